#!/usr/bin/env bash
# Installs the manifest validator's npm packages (package-lock.json) into tests/deploy/node_modules
# when they are absent or older than the lock file. Runs as a CTest fixture so the validators that
# need the packages never race each other on the install.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed: run scripts/setup.sh" >&2
  exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "node_modules is up to date"
  exit 0
fi
# kubernetes-models 5 declares node >= 22 but runs on node 20 (ESM): the engine warning is noise.
npm ci --no-audit --no-fund --loglevel=error
echo "installed $(find node_modules -maxdepth 2 -name package.json | wc -l) packages"
