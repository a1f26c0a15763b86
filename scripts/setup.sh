#!/usr/bin/env bash
# Installs every Debian package batchwatch needs to build, test and run its demo.
# Idempotent: installs nothing when everything is present. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata ccache
  # civetweb: its CMake config names the /usr/bin/civetweb program (not only the library)
  civetweb libcivetweb-dev libcurl4-openssl-dev nlohmann-json3-dev libcctz-dev
  libyaml-cpp-dev libssl-dev zlib1g-dev libsimdjson-dev
)
PACKAGES=(
  "${BUILD_PACKAGES[@]}"
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev python3 curl openssl
  clang libclang-rt-14-dev clang-format
  prometheus prometheus-alertmanager yamllint shellcheck jsonnet
  # the browser tests (tests/browser: headless chromium over the DevTools protocol)
  chromium python3-websocket
  # the container image stage (scripts/image.sh, tests/image)
  buildah podman runc debootstrap
)
if [ "${1:-}" = "--runtime-only" ]; then
  PACKAGES=("${BUILD_PACKAGES[@]}" python3 curl prometheus prometheus-alertmanager)
fi
# --build-only: just what compiling the batchwatch binary needs (the Dockerfile's build stage).
if [ "${1:-}" = "--build-only" ]; then
  PACKAGES=("${BUILD_PACKAGES[@]}")
fi

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
mapfile -t missing < <(apt_missing "${PACKAGES[@]}")

# Node.js with npm (manifest validation). Some images ship NodeSource's nodejs, which bundles
# npm and conflicts with Debian's npm package: only ask for packages when the commands are absent.
if [ "${1:-}" != "--runtime-only" ] && [ "${1:-}" != "--build-only" ] && ! command -v npm >/dev/null 2>&1; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
apt_install "${missing[@]}"
