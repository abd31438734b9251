#!/usr/bin/env bash
# Build Kubedrill's offline kind node image from source, with no registry:
# Kubernetes and its components from the Go module proxy, the rest from
# Debian packages. Every phase is cached under $KUBEDRILL_CACHE and skipped
# when its inputs are unchanged; a warm run takes seconds to minutes.
#
#   clusters/image/build.sh            build (or confirm) kubedrill/node:<version>
#   clusters/image/build.sh --print    print the node image name and exit
. "$(dirname "$0")/lib.sh"
NODE_IMAGE=${NODE_IMAGE:-kubedrill/node:$K8S_VERSION}
if [ "${1:-}" = --print ]; then echo "$NODE_IMAGE"; exit 0; fi

for tool in go docker debootstrap jq gcc apt-ftparchive dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool is missing: run clusters/host/setup.sh first"
done
docker info >/dev/null 2>&1 || die "no Docker engine answers: run clusters/host/setup.sh first"

T0=$SECONDS
cd "$IMAGE_DIR"
phase "kubernetes-$K8S_VERSION" bash ./build-kubernetes.sh "$K8S_VERSION" "$K8S_GO"
phase components bash ./build-components.sh
phase "kubernetes-$UPGRADE_K8S_VERSION (upgrade target)" bash ./build-kubernetes.sh "$UPGRADE_K8S_VERSION" "$UPGRADE_GO"
phase images bash ./build-images.sh
phase node bash ./build-node.sh
log "node image $NODE_IMAGE ready in $((SECONDS - T0))s: ${PHASE_TIMES[*]}"
