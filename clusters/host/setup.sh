#!/usr/bin/env bash
# Kubedrill host setup: make this machine able to run kind clusters.
#
# Idempotent. On a machine where Docker already answers and can start
# privileged containers, it changes nothing. On a bare Debian host (the CI
# VM: no engine running, no systemd as PID 1, CAP_SYS_RESOURCE missing from
# the capability bounding set) it installs and starts dockerd and registers a
# runc wrapper as the default runtime.
#
# Every action is reported on a line starting with "host-setup:".
set -euo pipefail

log() { printf 'host-setup: %s\n' "$*" >&2; }
die() { printf 'host-setup: ERROR: %s\n' "$*" >&2; exit 1; }

STATE_DIR=${KUBEDRILL_STATE_DIR:-/var/lib/kubedrill}
WRAPPER=/usr/local/libexec/kubedrill/runc-nosysres
DOCKER_LOG=/var/log/kubedrill-dockerd.log
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "must run as root (or have sudo) to set up the host"
  SUDO="sudo"
fi

# The client from Debian's docker.io matches the daemon's API exactly; a newer
# client elsewhere on PATH also works, so prefer whatever is there.
docker_ok() { timeout 20 docker info >/dev/null 2>&1; }

apt_updated=""
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. Packages the engine and the offline image build need.
if ! command -v docker >/dev/null || ! docker_ok; then
  apt_install docker.io
fi
# Tools used by the image build (debootstrap rootfs, pause, busybox images).
apt_install debootstrap jq gcc libc6-dev busybox-static iptables ca-certificates apt-utils

# 2. Start dockerd when no engine answers and there is no init to do it for us.
start_dockerd() {
  log "starting dockerd (log: $DOCKER_LOG)"
  $SUDO sh -c "nohup dockerd >>'$DOCKER_LOG' 2>&1 </dev/null &"
  for _ in $(seq 1 60); do docker_ok && return 0; sleep 1; done
  tail -n 30 "$DOCKER_LOG" >&2 || true
  die "dockerd did not answer within 60s (see $DOCKER_LOG)"
}
stop_dockerd() {
  local pid
  pid=$(pgrep -x dockerd || true)
  [ -z "$pid" ] && return 0
  log "stopping dockerd (pid $pid) to apply its configuration"
  $SUDO kill "$pid"
  for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || return 0; sleep 1; done
  die "dockerd did not stop"
}

if ! docker_ok; then
  if command -v systemctl >/dev/null && [ "$(ps -o comm= -p 1)" = systemd ]; then
    log "starting docker via systemd"
    $SUDO systemctl start docker || true
  fi
  docker_ok || start_dockerd
fi

# 3. Can the engine start a privileged container? kind needs it for every node.
probe_image=kubedrill-probe:1
ensure_probe_image() {
  docker image inspect "$probe_image" >/dev/null 2>&1 && return 0
  local d; d=$(mktemp -d)
  mkdir -p "$d/bin"
  cp /bin/busybox "$d/bin/busybox"
  ln -s busybox "$d/bin/sh"; ln -s busybox "$d/bin/true"
  tar -C "$d" -c . | docker import - "$probe_image" >/dev/null
  rm -rf "$d"
}
privileged_ok() {
  docker run --rm --privileged "$probe_image" /bin/true >/dev/null 2>&1 || return 1
  # docker exec takes a different path through runc (--process): test it too.
  local c
  c=$(docker run -d --privileged "$probe_image" /bin/sh -c 'sleep 60') || return 1
  docker exec "$c" /bin/true >/dev/null 2>&1; local rc=$?
  docker rm -f "$c" >/dev/null 2>&1 || true
  return $rc
}
if command -v busybox >/dev/null || [ -x /bin/busybox ]; then
  ensure_probe_image
fi

if privileged_ok; then
  log "privileged containers work"
else
  bound=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
  # CAP_SYS_RESOURCE is bit 24.
  if [ $(( 0x$bound >> 24 & 1 )) -eq 1 ]; then
    docker run --rm --privileged "$probe_image" /bin/true || true
    die "privileged containers fail and CAP_SYS_RESOURCE is present: unknown cause (see the error above)"
  fi
  log "privileged containers fail: CAP_SYS_RESOURCE is absent from the bounding set; installing the runc wrapper"
  $SUDO install -d "$(dirname "$WRAPPER")"
  $SUDO install -m 0755 "$(dirname "$0")/runc-nosysres" "$WRAPPER"
  $SUDO install -d /etc/docker
  cfg=/etc/docker/daemon.json
  [ -s "$cfg" ] || echo '{}' | $SUDO tee "$cfg" >/dev/null
  tmp=$(mktemp)
  jq --arg p "$WRAPPER" '.runtimes.nosysres.path = $p | ."default-runtime" = "nosysres"' "$cfg" >"$tmp"
  $SUDO install -m 0644 "$tmp" "$cfg"; rm -f "$tmp"
  log "registered runtime nosysres in $cfg"
  if command -v systemctl >/dev/null && [ "$(ps -o comm= -p 1)" = systemd ]; then
    $SUDO systemctl restart docker
  else
    stop_dockerd; start_dockerd
  fi
  privileged_ok || die "privileged containers still fail with the wrapper; see $DOCKER_LOG"
  log "privileged containers work through the wrapper"
fi

# 4. inotify limits: every node runs systemd, kubelet and containerd watches.
raise_sysctl() {
  local key=$1 want=$2 have
  have=$(sysctl -n "$key")
  if [ "$have" -lt "$want" ]; then
    $SUDO sysctl -qw "$key=$want" && log "raised $key from $have to $want"
  fi
}
raise_sysctl fs.inotify.max_user_instances 512
raise_sysctl fs.inotify.max_user_watches 524288

$SUDO install -d "$STATE_DIR"
log "ready: $(docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null)"
