#!/usr/bin/env bash
# Builds the container image from the repository's Dockerfile with Debian's buildah (no Docker
# engine needed) and reports its layers and what the runtime stage adds over its base.
#
#   scripts/image.sh build     make sure the base image exists, build, print the report
#   scripts/image.sh probe     exit 0 if podman can run a container here, 77 (with the reason on
#                              stderr) if buildah or podman cannot run at all
#   scripts/image.sh report    print the layers and sizes of an image already built
#
# The Dockerfile starts FROM debian:bookworm-slim. When no such image is present and none can be
# pulled (no container registry reachable), the base is made with `debootstrap --variant=minbase
# bookworm` from the machine's configured Debian mirror, slimmed the way the official -slim image
# is (no docs, man pages or locales), imported as docker.io/library/debian:bookworm-slim, and
# cached as a tarball under ~/.cache/batchwatch keyed by the mirror's Release date.
#
# Environment: BATCHWATCH_IMAGE (default localhost/batchwatch:dev) names the image built;
# BATCHWATCH_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/batchwatch/image) holds the base tarball.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${BATCHWATCH_IMAGE:-localhost/batchwatch:dev}
BASE=docker.io/library/debian:bookworm-slim
BASE_LABEL=io.batchwatch.base-key
CACHE=${BATCHWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/batchwatch/image}
# runc, not crun: crun cannot handle this kind of host's hybrid cgroups. An empty
# default_ulimits stops podman from raising RLIMIT_NOFILE, which sandboxes refuse.
CONTAINERS_CONF=${CONTAINERS_CONF:-$CACHE/containers.conf}
export CONTAINERS_CONF
PODMAN=(podman --runtime runc)

log() { echo "image: $*" >&2; }
die() { echo "image: error: $*" >&2; exit 1; }

write_containers_conf() {
  mkdir -p "$(dirname "$CONTAINERS_CONF")"
  [ -e "$CONTAINERS_CONF" ] || printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
}

# The first URIs: of the machine's Debian sources (deb822 or one-line format), read at run time
# so that no mirror is ever written into the repository.
debian_mirror() {
  local m=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || die "no Debian mirror configured (no URIs: in /etc/apt/sources.list.d/debian.sources)"
  echo "${m%/}"
}

# A root filesystem holding only /bin/true and the libraries it loads: enough for a trivial
# container without any image or registry.
tiny_rootfs() {
  local dir=$1 lib
  mkdir -p "$dir/bin"
  cp /bin/true "$dir/bin/true"
  for lib in $(ldd /bin/true | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
}

# Exit 77 with the reason when containers cannot run here at all: a tool is missing, or
# buildah or podman fail to run /bin/true in a container. Anything else (this script, the
# build, the image) is an error, not a skip.
probe() {
  local why="" tool
  for tool in buildah podman runc; do
    command -v "$tool" >/dev/null 2>&1 || why="$why $tool"
  done
  if [ -n "$why" ]; then
    echo "SKIP: cannot run containers here: not installed:$why (scripts/setup.sh installs them)" >&2
    return 77
  fi
  local dir out rc=0
  dir=$(mktemp -d /tmp/batchwatch-probe.XXXXXX)
  tiny_rootfs "$dir/rootfs"
  out=$("${PODMAN[@]}" run --rm --network none --rootfs "$dir/rootfs" /bin/true 2>&1) || rc=$?
  if [ $rc -ne 0 ]; then
    rm -rf "$dir"
    echo "SKIP: podman cannot run a container here (podman --runtime runc run --rootfs DIR" \
      "/bin/true exited $rc): $(tail -n 3 <<<"$out")" >&2
    return 77
  fi
  # The build's RUN steps: chroot isolation in a working container.
  local ctr=""
  if ctr=$(buildah from --pull=never scratch 2>&1); then
    out=$(buildah copy "$ctr" "$dir/rootfs" / 2>&1 &&
          buildah run --isolation chroot "$ctr" /bin/true 2>&1) || rc=$?
    buildah rm "$ctr" >/dev/null 2>&1 || true
  else
    out=$ctr
    rc=1
  fi
  rm -rf "$dir"
  if [ $rc -ne 0 ]; then
    echo "SKIP: buildah cannot run a build step here (buildah run --isolation chroot" \
      "/bin/true failed): $(tail -n 3 <<<"$out")" >&2
    return 77
  fi
}

# The key of the base image: the date of the mirror's bookworm Release file (it changes with
# every point release), and the mirror itself, hashed so the mirror is not spelled in names.
base_key() {
  local mirror=$1 date
  date=$(curl -fsS --max-time 30 "$mirror/dists/bookworm/Release" | sed -n 's/^Date: //p' | head -n 1) ||
    die "cannot read $mirror/dists/bookworm/Release"
  [ -n "$date" ] || die "no Date: in $mirror/dists/bookworm/Release"
  local stamp
  stamp=$(date -u -d "$date" +%Y%m%dT%H%M%SZ)
  echo "$stamp-$(printf '%s' "$mirror" | sha256sum | cut -c1-8)"
}

# Slims a minbase rootfs the way the official -slim images are (debuerreotype's slimify and
# its apt settings), so that what our runtime stage adds is measured as it would be on them.
slimify() {
  local dir=$1
  mkdir -p "$dir/etc/dpkg/dpkg.cfg.d" "$dir/etc/apt/apt.conf.d"
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$dir/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'APT::AutoRemove::SuggestsImportant "false";' >"$dir/etc/apt/apt.conf.d/docker-autoremove-suggests"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$dir/usr/share/man" "$dir/usr/share/info" "$dir/usr/share/groff" "$dir/usr/share/lintian"
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/var/log/* "$dir"/tmp/* "$dir"/root/.cache
  # Same sources as this machine (bookworm, -updates, -security), as the official image has.
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/debian.sources"
    rm -f "$dir/etc/apt/sources.list"
  fi
  : >"$dir/etc/hostname"
  rm -f "$dir/etc/resolv.conf"
}

make_base_tarball() {
  local mirror=$1 tarball=$2
  local dir
  dir=$(mktemp -d /var/tmp/batchwatch-rootfs.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$dir'" RETURN
  log "debootstrap --variant=minbase bookworm (mirror from /etc/apt/sources.list.d)"
  local started=$SECONDS
  if ! debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1; then
    tail -n 30 "$dir.log" >&2
    rm -f "$dir.log"
    die "debootstrap failed"
  fi
  rm -f "$dir.log"
  slimify "$dir"
  mkdir -p "$CACHE"
  tar --numeric-owner --xattrs -C "$dir" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  log "base rootfs made in $((SECONDS - started))s: $(du -h "$tarball" | cut -f1) ($tarball)"
}

# Makes sure $BASE exists: a real one (present or pulled) is used as it is; one this script
# imported is replaced when the mirror's Release changed.
ensure_base() {
  local have_key=""
  if podman image exists "$BASE"; then
    have_key=$(podman image inspect "$BASE" --format "{{index .Config.Labels \"$BASE_LABEL\"}}" 2>/dev/null || true)
    [ "$have_key" = "<no value>" ] && have_key=""
    if [ -z "$have_key" ]; then
      log "using $BASE as present"
      return
    fi
  elif timeout 120 podman pull -q "$BASE" >/dev/null 2>&1; then
    log "pulled $BASE"
    return
  fi
  local mirror key tarball
  mirror=$(debian_mirror)
  key=$(base_key "$mirror")
  if [ "$have_key" = "$key" ]; then
    log "using $BASE made by debootstrap ($key)"
    return
  fi
  tarball="$CACHE/debian-bookworm-minbase-$key.tar"
  if [ -e "$tarball" ]; then
    log "importing cached base $tarball"
  else
    make_base_tarball "$mirror" "$tarball"
    # Earlier bases in our own cache are stale now.
    find "$CACHE" -maxdepth 1 -name 'debian-bookworm-minbase-*.tar' -not -name "${tarball##*/}" -delete
  fi
  local old_id=""
  [ -n "$have_key" ] && old_id=$(podman image inspect "$BASE" --format '{{.Id}}')
  podman import -q --change "LABEL $BASE_LABEL=$key" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$tarball" "$BASE" >/dev/null
  if [ -n "$old_id" ]; then podman rmi "$old_id" >/dev/null 2>&1 || true; fi
}

# Bytes of a layer list as printed by `podman history --format '{{.Size}}'` is rounded; the
# image inspect's RootFS and the layers' own sizes are exact, so sizes come from there.
report() {
  local image=${1:-$IMAGE}
  podman image exists "$image" || die "no image $image (run scripts/image.sh build)"
  echo "=== image $image"
  podman history --format '{{printf "%-12.12s" .ID}} {{printf "%10s" .Size}}  {{.CreatedBy}}' "$image" |
    cut -c1-160
  local total base_total
  total=$(podman image inspect "$image" --format '{{.Size}}')
  base_total=$(podman image inspect "$BASE" --format '{{.Size}}')
  local base_layers
  base_layers=$(podman image inspect "$BASE" --format '{{len .RootFS.Layers}}')
  echo "image: $total bytes ($((total / 1000000)) MB); base $BASE: $base_total bytes ($((base_total / 1000000)) MB, $base_layers layer(s))"
  local added=$((total - base_total))
  echo "runtime stage adds: $added bytes ($((added / 1000000)) MB) over its base (goal: under 40 MB)"
  local binsize
  binsize=$("${PODMAN[@]}" run --rm --network none --entrypoint /bin/sh "$image" \
    -c 'stat -c %s /usr/local/bin/batchwatch' 2>/dev/null || echo "?")
  echo "of which /usr/local/bin/batchwatch: $binsize bytes"
}

build() {
  local p=0
  probe || p=$?
  [ $p -eq 0 ] || exit $p
  local started=$SECONDS
  ensure_base
  local base_done=$SECONDS
  log "buildah bud -t $IMAGE ."
  # --layers: each step is a cached image, so a rebuild with unchanged setup.sh reuses the apt
  # steps and one with unchanged sources reuses everything.
  if ! buildah bud --pull=never --network host --isolation chroot --layers \
       -t "$IMAGE" -f Dockerfile . >"$CACHE/build.log" 2>&1; then
    tail -n 60 "$CACHE/build.log" >&2
    die "image build failed (full log: $CACHE/build.log)"
  fi
  # The step images of the previous build that this one did not reuse are stale: remove them
  # by ID (never by pattern; an image still in use is kept).
  local ids="$CACHE/step-images.txt"
  sed -n 's/^--> \([0-9a-f]\{8,\}\)$/\1/p' "$CACHE/build.log" | sort -u >"$ids.new"
  if [ -e "$ids" ]; then
    comm -23 "$ids" "$ids.new" | while read -r id; do podman rmi "$id" >/dev/null 2>&1 || true; done
  fi
  mv "$ids.new" "$ids"
  log "base image ready in $((base_done - started))s, image built in $((SECONDS - base_done))s"
  report "$IMAGE"
}

write_containers_conf
case "${1:-build}" in
  build) build ;;
  probe) probe ;;
  report) report "${2:-$IMAGE}" ;;
  *) echo "usage: scripts/image.sh [build|probe|report [IMAGE]]" >&2; exit 2 ;;
esac
