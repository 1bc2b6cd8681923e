#!/usr/bin/env bash
# Brings tsnet up and runs its main job. Until the engine lands it installs, builds and runs the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-packages.sh
[ -d node_modules ] || npm ci --no-fund --no-audit
npm run build
