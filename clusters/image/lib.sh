# Shared helpers for the offline image build (sourced, not run).
# Caches live outside the repository: $KUBEDRILL_CACHE (default /var/cache/kubedrill).
set -euo pipefail
KUBEDRILL_CACHE=${KUBEDRILL_CACHE:-/var/cache/kubedrill}
export GOMODCACHE=${GOMODCACHE_OVERRIDE:-$KUBEDRILL_CACHE/go/mod}
export GOCACHE=${GOCACHE_OVERRIDE:-$KUBEDRILL_CACHE/go/build}
export GOFLAGS="-mod=mod -trimpath -buildvcs=false"
export GONOSUMDB= GOPRIVATE=
export DOCKER_BUILDKIT=0
BIN_CACHE=$KUBEDRILL_CACHE/bin
WORK=$KUBEDRILL_CACHE/work
mkdir -p "$GOMODCACHE" "$GOCACHE" "$BIN_CACHE" "$WORK"

IMAGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$IMAGE_DIR/versions.env"
# Images shared by every profile (pod network, pause) are built from the
# default version, so that building one profile never changes another's.
BASE_K8S_VERSION=$K8S_VERSION
# KUBEDRILL_IMAGE_PROFILE=v1.33 builds another node image (profiles/*.env).
if [ -n "${KUBEDRILL_IMAGE_PROFILE:-}" ]; then
  [ -f "$IMAGE_DIR/profiles/$KUBEDRILL_IMAGE_PROFILE.env" ] || { echo "unknown image profile $KUBEDRILL_IMAGE_PROFILE" >&2; exit 1; }
  # shellcheck disable=SC1090
  . "$IMAGE_DIR/profiles/$KUBEDRILL_IMAGE_PROFILE.env"
fi

log() { printf '[image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[image] ERROR: %s\n' "$*" >&2; exit 1; }

# phase NAME CMD...: runs a phase and prints its wall time.
PHASE_TIMES=()
phase() {
  local name=$1; shift
  local t0=$SECONDS
  log "phase $name: start"
  "$@"
  local dt=$((SECONDS - t0))
  PHASE_TIMES+=("$name=${dt}s")
  log "phase $name: done in ${dt}s"
}

# A stamp file records the inputs of a cached output; the output is reused
# only when the stamp matches exactly.
stamp_ok() { [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]; }
stamp_write() { printf '%s' "$2" >"$1.stamp"; }

# moddir MODULE@VERSION: the module's extracted source in the module cache.
moddir() { GOFLAGS=-mod=mod go mod download -json "$1" | jq -r .Dir; }

# new_go_module DIR GOTOOLCHAIN: an empty build module pinned to a toolchain.
new_go_module() {
  local dir=$1 tc=$2
  rm -rf "$dir"; mkdir -p "$dir"
  (cd "$dir" && GOTOOLCHAIN=$tc go mod init kubedrill.invalid/build >/dev/null 2>&1 &&
    go mod edit -go="${tc#go}" -toolchain=none)
}

# The Debian mirror this host already uses (no other source is reachable).
debian_mirror() {
  local m
  m=$(grep -rhoE '^(URIs:|deb) *https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
    grep -oE 'https?://[^ ]+' | grep -v security | head -1)
  echo "${m:-http://deb.debian.org/debian}"
}

# rootfs_tar NAME "PACKAGES": a cached debootstrap (minbase) of DEBIAN_SUITE
# with the given packages, as a tar file; prints its path.
rootfs_tar() {
  local name=$1 pkgs=$2
  local out=$KUBEDRILL_CACHE/rootfs/$name.tar key="suite=$DEBIAN_SUITE pkgs=$pkgs"
  mkdir -p "$KUBEDRILL_CACHE/rootfs"
  if stamp_ok "$out" "$key" && [ -s "$out" ]; then echo "$out"; return 0; fi
  local dir=$WORK/debootstrap-$name
  rm -rf "$dir"
  log "debootstrap $name: $pkgs"
  debootstrap --variant=minbase --include="$(echo "$pkgs" | tr ' ' ',')" "$DEBIAN_SUITE" "$dir" "$(debian_mirror)" >"$WORK/debootstrap-$name.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap-$name.log" >&2; die "debootstrap $name failed (log: $WORK/debootstrap-$name.log)"; }
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin
  tar -C "$dir" --numeric-owner -cf "$out.tmp" .
  mv "$out.tmp" "$out"; rm -rf "$dir"
  stamp_write "$out" "$key"
  echo "$out"
}

# image_present REF KEY: the image exists and was built from the same inputs.
image_present() {
  local have
  have=$(docker image inspect -f '{{ index .Config.Labels "dev.kubedrill.build-key" }}' "$1" 2>/dev/null) || return 1
  [ "$have" = "$(printf '%s' "$2" | sha256sum | cut -c1-16)" ]
}
# import_dir DIR REF KEY [--change ...]: a directory tree as an image.
import_dir() {
  local dir=$1 ref=$2 key=$3; shift 3
  local k; k=$(printf '%s' "$key" | sha256sum | cut -c1-16)
  tar -C "$dir" --numeric-owner -c . | docker import \
    --change "LABEL dev.kubedrill.build-key=$k" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$@" - "$ref" >/dev/null
  log "image $ref: built"
}

# debian_download SUITE PACKAGE[=VERSION]: a .deb from another Debian suite of
# the same mirror (e.g. trixie), cached in $KUBEDRILL_CACHE/debs; prints its path.
debian_download() {
  local suite=$1 spec=$2 out=$KUBEDRILL_CACHE/debs tmp=$WORK/apt-$1
  local name=${spec%%=*} ver=""
  [[ $spec == *=* ]] && ver=${spec#*=}
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$out/$suite"
  local found; found=$(ls "$out/$suite/${name}_"*"_amd64.deb" "$out/$suite/${name}_"*"_all.deb" 2>/dev/null | head -1 || true)
  if [ -n "$found" ] && { [ -z "$ver" ] || [ "$(dpkg-deb -f "$found" Version)" = "$ver" ]; }; then echo "$found"; return; fi
  echo "deb $(debian_mirror) $suite main" >"$tmp/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o APT::Get::List-Cleanup=0)
  [ -n "$(ls "$tmp/lists" 2>/dev/null | grep -v partial)" ] || apt-get "${opts[@]}" update -qq >&2
  rm -f "$out/$suite/${name}_"*.deb
  (cd "$out/$suite" && apt-get "${opts[@]}" download "$spec" >/dev/null 2>&1) ||
    { apt-get "${opts[@]}" update -qq >&2; (cd "$out/$suite" && apt-get "${opts[@]}" download "$spec" >&2); }
  ls "$out/$suite/${name}_"*.deb | head -1
}
