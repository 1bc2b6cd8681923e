#!/usr/bin/env bash
# The README's test command: system packages, npm dependencies (with the native addon), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# A setup step that fails still ends with the summary line CI reads.
trap 'status=$?; [ $status -eq 0 ] || echo "0 passed, 1 failed"' ERR
./scripts/system-packages.sh
# npm ci on a fresh clone, or when the lock file changed, or when the libnetwork addon is missing.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || ! compgen -G 'packages/libnetwork/build/Release/*.node' > /dev/null; then
  npm ci --no-fund --no-audit
fi
trap - ERR
exec npm test --silent
