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
