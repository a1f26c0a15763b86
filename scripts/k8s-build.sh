#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager v1.20.2 from Debian bookworm's `kubernetes`
# source package (the only complete Kubernetes source reachable here; see docs/testing.md) and
# caches the two binaries under ~/.cache/batchwatch/k8s-<source version>/ for the realk8s tests.
# Reuses the cache when present. Never touches /etc/apt: the source comes through a private
# APT_CONFIG whose deb-src lines use the mirror URIs of /etc/apt/sources.list.d/debian.sources.
#
# Prints the cache directory on stdout (last line); progress goes to stderr.
# Options: --print-dir prints the directory the cache would use and exits (no build, no network).
# Environment: BATCHWATCH_K8S_CACHE overrides ~/.cache/batchwatch.
set -euo pipefail

# The source package version pins the build; the cache directory is keyed by it.
SOURCE_PACKAGE=kubernetes
SOURCE_VERSION=1.20.5+really1.20.2-1.1+deb12u1
GIT_VERSION=v1.20.2
GIT_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56  # upstream v1.20.2 tag
# The last two are for the tests: openssl makes their PKI, python3-yaml reads deploy/.
PACKAGES=(golang-1.19-go etcd-server etcd-client golang-github-modern-go-reflect2-dev make rsync
  openssl python3-yaml)

cache_root=${BATCHWATCH_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/batchwatch}
cache_dir="$cache_root/k8s-$SOURCE_VERSION"
if [ "${1:-}" = "--print-dir" ]; then
  echo "$cache_dir"
  exit 0
fi

log() { echo "k8s-build: $*" >&2; }

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
mapfile -t missing < <(apt_missing "${PACKAGES[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt_install "${missing[@]}" || { log "apt-get install failed"; exit 1; }
fi

if [ -x "$cache_dir/kube-apiserver" ] && [ -x "$cache_dir/kube-controller-manager" ]; then
  log "cached: $cache_dir"
  echo "$cache_dir"
  exit 0
fi

mkdir -p "$cache_root"
# Everything happens in a scratch directory next to the cache (same file system, so the final
# rename is atomic); an interrupted build leaves only a scratch directory, removed on exit.
work=$(mktemp -d "$cache_root/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS

# Private APT configuration: only deb-src lines, its own lists and cache.
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/sources.list.d" \
  "$work/apt/preferences.d"
sources=/etc/apt/sources.list.d/debian.sources
uris=$(sed -n 's/^URIs:[[:space:]]*//p' "$sources")
[ -n "$uris" ] || { log "no URIs in $sources"; exit 1; }
main_uri="" security_uri=""
for u in $uris; do
  case "$u" in
    *debian-security*) security_uri=$u ;;
    *) [ -n "$main_uri" ] || main_uri=$u ;;
  esac
done
[ -n "$main_uri" ] || { log "no main mirror in $sources"; exit 1; }
{
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $main_uri bookworm main"
  if [ -n "$security_uri" ]; then
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security_uri bookworm-security main"
  fi
} >"$work/apt/sources.list"
cat >"$work/apt/apt.conf" <<EOF
Dir::Etc::SourceList "$work/apt/sources.list";
Dir::Etc::SourceParts "$work/apt/sources.list.d";
Dir::Etc::Preferences "$work/apt/preferences.d/none";
Dir::Etc::PreferencesParts "$work/apt/preferences.d";
Dir::State::Lists "$work/apt/lists";
Dir::Cache "$work/apt/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Sandbox::User "$(id -un)";
EOF
export APT_CONFIG="$work/apt/apt.conf"
log "fetching $SOURCE_PACKAGE=$SOURCE_VERSION from $main_uri"
apt-get update -qq >&2
mkdir -p "$work/src"
(cd "$work/src" && apt-get source --download-only -qq "$SOURCE_PACKAGE=$SOURCE_VERSION" >&2)
unset APT_CONFIG
orig=$(find "$work/src" -maxdepth 1 -name "${SOURCE_PACKAGE}_*.orig.tar.*" | head -n 1)
[ -n "$orig" ] || { log "no orig tarball downloaded"; exit 1; }
mkdir -p "$work/tree"
tar -xf "$orig" -C "$work/tree" --strip-components=1

# vendored reflect2 v1.0.1 crashes under Go >= 1.18 (json-iterator map encoding): use Debian's
# 1.0.2, which has the fix, in its place.
reflect2_vendor="$work/tree/vendor/github.com/modern-go/reflect2"
reflect2_debian=/usr/share/gocode/src/github.com/modern-go/reflect2
if [ ! -d "$reflect2_vendor" ] || [ ! -d "$reflect2_debian" ]; then
  log "reflect2 sources not found ($reflect2_vendor, $reflect2_debian)"
  exit 1
fi
find "$reflect2_vendor" -maxdepth 1 \( -name '*.go' -o -name '*.s' \) -delete
find "$reflect2_debian" -maxdepth 1 \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
  -exec cp {} "$reflect2_vendor"/ \;

cat >"$work/version" <<EOF
KUBE_GIT_VERSION='$GIT_VERSION'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='20'
KUBE_GIT_COMMIT='$GIT_COMMIT'
KUBE_GIT_TREE_STATE='clean'
EOF
log "building kube-apiserver and kube-controller-manager (several minutes)"
(
  cd "$work/tree"
  export PATH=/usr/lib/go-1.19/bin:$PATH CGO_ENABLED=0 KUBE_GIT_VERSION_FILE="$work/version"
  export GOCACHE="$work/gocache"
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$work/make.log" 2>&1
) || { tail -n 40 "$work/make.log" >&2; log "make failed"; exit 1; }

mkdir -p "$work/out"
for b in kube-apiserver kube-controller-manager; do
  cp "$work/tree/_output/bin/$b" "$work/out/$b"
done
"$work/out/kube-apiserver" --version >&2
rm -rf "$work/tree/_output"
rm -rf "$cache_dir"
mv "$work/out" "$cache_dir"
log "built in $((SECONDS - start)) s: $cache_dir"
echo "$cache_dir"
