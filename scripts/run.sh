#!/usr/bin/env bash
# Installs what is missing, builds batchwatch (in build-run/, apart from the test build in
# build/), and runs it.
#   scripts/run.sh [demo options]        the demo: a simulated cluster, batchwatch, Prometheus
#                                        with the shipped alert rules, and Alertmanager, all on
#                                        127.0.0.1 (scripts/run.sh --help lists its options)
#   scripts/run.sh --kubeconfig F ...    batchwatch against a real cluster: only with an explicit
#   scripts/run.sh --apiserver URL ...   connection flag (--kubeconfig, --apiserver or
#   scripts/run.sh --in-cluster ...      --in-cluster); $KUBECONFIG alone never leaves the demo
set -euo pipefail
cd "$(dirname "$0")/.."

real_cluster=0
args=()
for a in "$@"; do
  case "$a" in
    --apiserver|--apiserver=*|--kubeconfig|--kubeconfig=*) real_cluster=1 ;;
    --in-cluster) real_cluster=1; continue ;;  # ours: batchwatch finds the service account itself
  esac
  args+=("$a")
done

bash scripts/setup.sh --runtime-only
cmake -S . -B build-run -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHWATCH_TESTS=OFF \
  -DBATCHWATCH_BENCHMARKS=OFF >/dev/null
cmake --build build-run -j "$(nproc)" --target batchwatch
bin=build-run/exporter/app/batchwatch

if [ "$real_cluster" = 1 ]; then
  listen=":9981"
  web_config=0
  for a in "${args[@]}"; do
    case "$a" in
      --listen-address=*) listen="${a#--listen-address=}" ;;
      --web-config-file|--web-config-file=*) web_config=1 ;;
    esac
  done
  prev=""
  for a in "${args[@]}"; do
    [ "$prev" = "--listen-address" ] && listen="$a"
    prev="$a"
  done
  case "$listen" in
    :*|0.0.0.0:*|\[::\]:*)
      if [ "$web_config" = 0 ]; then
        echo "scripts/run.sh: warning: batchwatch will serve /metrics on all interfaces" \
          "($listen) without TLS or authentication; pass --listen-address 127.0.0.1:9981, or" \
          "--web-config-file (docs/web.md)" >&2
      fi ;;
  esac
  exec "$bin" ${args[@]+"${args[@]}"}
fi
exec python3 scripts/demo.py --batchwatch "$bin" ${args[@]+"${args[@]}"}
