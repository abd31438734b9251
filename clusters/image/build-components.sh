#!/usr/bin/env bash
# Build every Go/C component of the node image other than Kubernetes itself,
# each from the Go module proxy (or Debian's gcc), each cached by a stamp.
#   build-components.sh  ->  $KUBEDRILL_CACHE/bin/<component>-<version>/
. "$(dirname "$0")/lib.sh"

# go_main_build NAME VERSION TOOLCHAIN "MODULE@VER ..." "PKG ..." [LDFLAGS] [ENV...]
# Builds main packages of dependency modules inside a throwaway module, so
# that modules whose own go.mod has replace directives still build.
go_main_build() {
  local name=$1 ver=$2 tc=$3 reqs=$4 pkgs=$5 ld=${6:-}
  local out=$BIN_CACHE/$name-$ver key="reqs=$reqs pkgs=$pkgs go=$tc ld=$ld"
  if stamp_ok "$out" "$key" && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then log "$name $ver: cached"; return 0; fi
  local mod=$WORK/$name-$ver
  new_go_module "$mod" "$tc"
  (
    cd "$mod"
    export GOTOOLCHAIN=$tc
    for r in $reqs; do go mod edit -require="$r"; done
    if [ -n "${GO_MAIN_SOURCE:-}" ]; then printf '%s\n' "$GO_MAIN_SOURCE" >main.go; fi
    log "$name $ver: go build $pkgs"
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    # One go build per main package, each -o named: several of these
    # modules name their main package "v3", which would collide.
    local spec pkg bin
    for spec in $pkgs; do
      pkg=${spec%%=*}; bin=${spec#*=}
      [ "$bin" = "$spec" ] && bin=$(basename "$pkg")
      CGO_ENABLED=0 go build -ldflags "-s -w $ld" -o "$out.tmp/$bin" "$pkg"
    done
  )
  rm -rf "$out"; mv "$out.tmp" "$out"
  stamp_write "$out" "$key"
}

build_etcd() { # VERSION TOOLCHAIN — etcd, etcdctl and etcdutl (the image ships all three)
  local v=$1 tc=$2
  local reqs="go.etcd.io/etcd/server/v3@$v go.etcd.io/etcd/etcdctl/v3@$v go.etcd.io/etcd/etcdutl/v3@$v"
  local pkgs="go.etcd.io/etcd/server/v3=etcd go.etcd.io/etcd/etcdctl/v3=etcdctl go.etcd.io/etcd/etcdutl/v3=etcdutl"
  go_main_build etcd "$v" "$tc" "$reqs" "$pkgs"
  local out=$BIN_CACHE/etcd-$v
  local said; said=$("$out/etcd" --version)
  [[ $said == *"etcd Version: ${v#v}"* ]] || die "etcd $v: wrong version: ${said%%$'\n'*}"
}

build_coredns() { # VERSION TOOLCHAIN
  # A CoreDNS main with the plugins a kubeadm Corefile (and the usual
  # learner edits) use; skipping the cloud-provider plugins saves most of
  # the compile. The version string is CoreDNS's own.
  local v=$1 tc=$2
  GO_MAIN_SOURCE='package main

import (
	_ "github.com/coredns/caddy/onevent"
	_ "github.com/coredns/coredns/plugin/any"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/debug"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/whoami"
	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }' \
  go_main_build coredns "$v" "$tc" "github.com/coredns/coredns@$v" ".=coredns"
}

build_pause() { # VERSION (e.g. 3.10) — from the Kubernetes module's build/pause
  local v=$1 out=$BIN_CACHE/pause-$1
  local src; src=$(moddir "k8s.io/kubernetes@$BASE_K8S_VERSION")/build/pause/linux/pause.c
  local key="src=$src"
  if stamp_ok "$out" "$key" && [ -x "$out/pause" ]; then log "pause $v: cached"; return 0; fi
  mkdir -p "$out"
  gcc -Os -Wall -Werror -static -DVERSION="v$v" -o "$out/pause" "$src"
  strip "$out/pause"
  stamp_write "$out" "$key"
}

build_all_components() {
  build_etcd "$ETCD_VERSION" "$K8S_GO"
  build_etcd "$UPGRADE_ETCD_VERSION" "$K8S_GO"
  build_coredns "$COREDNS_VERSION" "$K8S_GO"
  build_coredns "$UPGRADE_COREDNS_VERSION" "$K8S_GO"
  go_main_build local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" "$K8S_GO" \
    "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION" "github.com/rancher/local-path-provisioner=local-path-provisioner" \
    "-X main.VERSION=$LOCAL_PATH_PROVISIONER_VERSION"
  go_main_build kind "$KIND_VERSION" "$KIND_GO" "sigs.k8s.io/kind@$KIND_VERSION" "sigs.k8s.io/kind"
  # cri-tools v1.34.0 pins release candidates of cri-api/cri-client that the
  # checksum database does not know; require the released v0.34 patch instead.
  GONOSUMDB=sigs.k8s.io/cri-tools \
    go_main_build crictl "$CRICTL_VERSION" "$K8S_GO" \
    "sigs.k8s.io/cri-tools@$CRICTL_VERSION k8s.io/cri-api@v0.${K8S_VERSION#v1.} k8s.io/cri-client@v0.${K8S_VERSION#v1.}" "sigs.k8s.io/cri-tools/cmd/crictl" \
    "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"
  build_pause "$PAUSE_VERSION"
  build_pause "$UPGRADE_PAUSE_VERSION"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then build_all_components; fi
