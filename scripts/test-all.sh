#!/usr/bin/env bash
# The README's test command: system packages, npm dependencies (with the native addon), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-packages.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit
fi
exec npm test --silent
