#!/usr/bin/env bash
# Installs what is missing, builds batchwatch, and runs it.
#   scripts/run.sh                      the demo: a simulated cluster, batchwatch, and Prometheus
#                                       with the shipped alert rules plus Alertmanager
#   scripts/run.sh --kubeconfig F ...   batchwatch against a real cluster (any batchwatch flags;
#                                       also when $KUBECONFIG is set or when run in a pod)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --runtime-only
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHWATCH_TESTS=OFF \
  -DBATCHWATCH_BENCHMARKS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target batchwatch
bin=build/exporter/app/batchwatch

real_cluster=0
for a in "$@"; do
  case "$a" in --apiserver*|--kubeconfig*|--help|--version) real_cluster=1 ;; esac
done
if [ -n "${KUBECONFIG:-}" ] || [ -n "${KUBERNETES_SERVICE_HOST:-}" ]; then real_cluster=1; fi
if [ "$real_cluster" = 1 ]; then
  exec "$bin" "$@"
fi
exec python3 scripts/demo.py --batchwatch "$bin" "$@"
