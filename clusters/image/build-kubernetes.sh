#!/usr/bin/env bash
# Build the Kubernetes server binaries of one version from the Go module proxy.
#   build-kubernetes.sh VERSION GOTOOLCHAIN  ->  $KUBEDRILL_CACHE/bin/kubernetes-VERSION/
# k8s.io/kubernetes is not meant to be consumed as a module: its go.mod
# replaces every staging module (k8s.io/api, client-go, ...) with a local
# directory. We re-point each replace at the published v0.<minor>.<patch>.
. "$(dirname "$0")/lib.sh"
V=${1:?version}; TC=${2:?go toolchain}
OUT=$BIN_CACHE/kubernetes-$V
BINS="kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl"
KEY="k8s=$V go=$TC bins=$BINS"
if stamp_ok "$OUT" "$KEY" && [ -x "$OUT/kubelet" ]; then log "kubernetes $V: cached"; exit 0; fi

SV=v0.${V#v1.}
MOD=$WORK/kubernetes-$V
new_go_module "$MOD" "$TC"
cd "$MOD"
export GOTOOLCHAIN=$TC
UPSTREAM=$(go mod download -json "k8s.io/kubernetes@$V" | jq -r .GoMod)
go mod edit -require="k8s.io/kubernetes@$V"
# Match upstream's default GODEBUG settings.
grep -E '^godebug ' "$UPSTREAM" >>go.mod || true
for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$UPSTREAM"); do
  go mod edit -replace="$m=$m@$SV"
done
# Take every other requirement exactly as upstream pins it.
go mod edit -json "$UPSTREAM" | jq -r '.Require[] | "\(.Path)@\(.Version)"' | grep -v '@v0.0.0$' |
  while read -r r; do go mod edit -require="$r"; done

MAJ=1; MIN=$(echo "$V" | cut -d. -f2)
LD="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LD="$LD -X $p.gitVersion=$V -X $p.gitMajor=$MAJ -X $p.gitMinor=$MIN"
  LD="$LD -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.gitTreeState=clean"
  LD="$LD -X $p.buildDate=2025-01-01T00:00:00Z"
done
pkgs=(); for b in $BINS; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
log "kubernetes $V: go build (${BINS}) with $TC"
rm -rf "$OUT.tmp"; mkdir -p "$OUT.tmp"
CGO_ENABLED=0 go build -p "$(nproc)" -ldflags "$LD" -o "$OUT.tmp/" "${pkgs[@]}"
[ "$("$OUT.tmp/kubeadm" version -o short)" = "$V" ] || die "kubeadm is stamped $("$OUT.tmp/kubeadm" version -o short), want $V"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
stamp_write "$OUT" "$KEY"
log "kubernetes $V: built into $OUT"
