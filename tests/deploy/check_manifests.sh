#!/usr/bin/env bash
# Lints deploy/ with yamllint and validates it with validate_manifests.mjs. With --rendered, the
# objects come from `kubectl kustomize deploy/`; with --sharded, from `kubectl kustomize
# deploy-sharded/`, compared with deploy/'s (both skipped with exit 77 when kubectl is absent).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="${BATCHWATCH_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
export BATCHWATCH_SOURCE_DIR="$source_dir"

if [ ! -d "$here/node_modules" ]; then
  "$here/npm_ci.sh"
fi

if [ "${1:-}" = "--sharded" ]; then
  if ! command -v kubectl >/dev/null 2>&1; then
    echo "kubectl is not installed: skipping the sharded overlay check"
    exit 77
  fi
  yamllint -c "$here/yamllint.yaml" --strict "$source_dir/deploy-sharded"
  echo "yamllint: deploy-sharded/ is clean"
  base="$(mktemp)"
  sharded="$(mktemp)"
  trap 'rm -f "$base" "$sharded"' EXIT
  kubectl kustomize "$source_dir/deploy" >"$base"
  kubectl kustomize "$source_dir/deploy-sharded" >"$sharded"
  exec node "$here/validate_manifests.mjs" --rendered "$sharded" --sharded "$base"
fi

if [ "${1:-}" = "--rendered" ]; then
  if ! command -v kubectl >/dev/null 2>&1; then
    echo "kubectl is not installed: skipping the kustomize rendering check"
    exit 77
  fi
  rendered="$(mktemp)"
  trap 'rm -f "$rendered"' EXIT
  kubectl kustomize "$source_dir/deploy" >"$rendered"
  exec node "$here/validate_manifests.mjs" --rendered "$rendered"
fi

yamllint -c "$here/yamllint.yaml" --strict "$source_dir/deploy"
echo "yamllint: deploy/ is clean"
exec node "$here/validate_manifests.mjs"
