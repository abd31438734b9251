#!/usr/bin/env bash
# Assemble Kubedrill's offline kind node image:
#   Debian rootfs + kind's node files (read from the kind Go module, never
#   copied into this repo) + containerd + Kubernetes .debs (held) + a local
#   apt repository with the upgrade target + every image preloaded.
#   build-node.sh  ->  docker image $NODE_IMAGE
. "$(dirname "$0")/lib.sh"
. "$IMAGE_DIR/build-images.sh"
NODE_IMAGE=${NODE_IMAGE:-kubedrill/node:$K8S_VERSION}
NODE_PKGS="systemd systemd-sysv dbus conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz e2fsprogs bash ca-certificates curl jq procps runc containernetworking-plugins
  vim nano less bash-completion iputils-ping dnsutils netcat-openbsd openssl tree psmisc"
NODE_PKGS=$(echo $NODE_PKGS)
DEB_REV=1.1

# deb_for NAME VERSION: a .deb holding one Kubernetes binary, named and
# versioned like the upstream packages (e.g. kubeadm 1.34.4-1.1).
deb_for() {
  local name=$1 v=$2 out=$KUBEDRILL_CACHE/debs
  local deb=$out/${name}_${v#v}-${DEB_REV}_amd64.deb bin=$BIN_CACHE/kubernetes-$v/$name
  local key; key="$(cat "$BIN_CACHE/kubernetes-$v.stamp") $name"
  if stamp_ok "$deb" "$key" && [ -s "$deb" ]; then echo "$deb"; return; fi
  local d; d=$(mktemp -d "$WORK/deb.XXXXXX")
  install -D -m 0755 "$bin" "$d/usr/bin/$name"
  mkdir -p "$d/DEBIAN"
  cat >"$d/DEBIAN/control" <<CONTROL
Package: $name
Version: ${v#v}-$DEB_REV
Architecture: amd64
Maintainer: Kubedrill <dev@kubedrill.invalid>
Section: admin
Priority: optional
Description: Kubernetes $name $v (built from source by Kubedrill)
CONTROL
  mkdir -p "$out"
  dpkg-deb --root-owner-group -Zgzip --build "$d" "$deb" >/dev/null
  rm -rf "$d"
  stamp_write "$deb" "$key"
  echo "$deb"
}

containerd_deb() { debian_download trixie "containerd=$CONTAINERD_DEB_VERSION"; }

# kind's node files at the pinned kind version, from the Go module cache.
kind_files() { echo "$(moddir "sigs.k8s.io/kind@$KIND_VERSION")/images/base/files"; }

storage_manifest() { # -> stdout: kind's default storage manifest, our images
  local src; src=$(moddir "sigs.k8s.io/kind@$KIND_VERSION")/pkg/build/nodeimage/const_storage.go
  awk '/^const defaultStorageManifest = `/{on=1; next} on && /^`/{exit} on{print}' "$src" |
    sed -e "s#\` + storageProvisionerImage + \`#$LPP_IMAGE#g" -e "s#\` + storageHelperImage + \`#$BUSYBOX_IMAGE#g"
}

stage_rootfs() { # DIR
  local root=$1 kf; kf=$(kind_files)
  tar -C "$root" -xf "$(rootfs_tar node "$NODE_PKGS")"
  # Packages first (kind's files below replace their default configs):
  # containerd from trixie (bookworm's 1.6 is too old), then our Kubernetes
  # .debs, held like a real kubeadm install.
  local debs=() b
  cp "$(containerd_deb)" "$root/tmp/containerd.deb"
  chroot "$root" dpkg -i /tmp/containerd.deb >/dev/null
  for b in kubeadm kubelet kubectl; do cp "$(deb_for "$b" "$K8S_VERSION")" "$root/tmp/$b.deb"; debs+=("/tmp/$b.deb"); done
  chroot "$root" dpkg -i "${debs[@]}" >/dev/null
  chroot "$root" apt-mark hold kubeadm kubelet kubectl >/dev/null
  rm -f "$root"/tmp/*.deb
  # kind's node files (entrypoint, units, containerd config, sysctls).
  # The module cache holds them read-only and without exec bits: give files
  # ordinary modes and make the scripts executable.
  cp -r --no-preserve=mode "$kf"/. "$root"/
  rm -rf "$root/LICENSES"
  chmod 0755 "$root"/usr/local/bin/entrypoint "$root"/usr/local/bin/clean-install "$root"/kind/bin/*.sh
  # Nodes run without CAP_SYS_RESOURCE on some hosts (and rootless): runc
  # then cannot lower a pod's oom_score_adj and every sandbox fails with
  # "can't get final child's PID from pipe". Clamp to containerd's own value.
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$root/etc/containerd/config.toml"
  grep -q 'restrict_oom_score_adj = true' "$root/etc/containerd/config.toml" || die "containerd config: restrict_oom_score_adj not set"
  # Debian installs containerd in /usr/bin, kind's unit expects /usr/local/bin.
  sed -i 's#^ExecStart=/usr/local/bin/containerd#ExecStart=/usr/bin/containerd#' "$root/etc/systemd/system/containerd.service"
  # kind's base image build steps, replicated (see kind images/base/Dockerfile).
  rm -f "$root"/lib/systemd/system/multi-user.target.wants/* "$root"/etc/systemd/system/*.wants/* \
    "$root"/lib/systemd/system/local-fs.target.wants/* "$root"/lib/systemd/system/sockets.target.wants/*udev* \
    "$root"/lib/systemd/system/sockets.target.wants/*initctl* "$root"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"$root/etc/systemd/journald.conf"
  ln -sf /lib/systemd/systemd "$root/sbin/init"
  chroot "$root" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  chroot "$root" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  mkdir -p "$root/etc/kubernetes/manifests" "$root/opt/cni/bin" "$root/kind/manifests"
  for b in host-local loopback ptp portmap bridge; do cp "$root/usr/lib/cni/$b" "$root/opt/cni/bin/$b"; done
  chroot "$root" ctr oci spec |
    jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}]' | jq 'del(.process.rlimits)' \
      >"$root/etc/containerd/cri-base.json"
  echo "$K8S_VERSION" >"$root/kind/version"
  sed "s#__NETD_IMAGE__#$NETD_IMAGE#" "$FILES/netd-manifest.yaml" >"$root/kind/manifests/default-cni.yaml"
  storage_manifest >"$root/kind/manifests/default-storage.yaml"
  # Practice tooling (the image contract): etcdctl/etcdutl, crictl, completion.
  install -m 0755 "$BIN_CACHE/etcd-$ETCD_VERSION/etcdctl" "$BIN_CACHE/etcd-$ETCD_VERSION/etcdutl" \
    "$BIN_CACHE/crictl-$CRICTL_VERSION/crictl" "$root/usr/local/bin/"
  chroot "$root" kubectl completion bash >"$root/usr/share/bash-completion/completions/kubectl"
  chroot "$root" kubeadm completion bash >"$root/usr/share/bash-completion/completions/kubeadm"
  chroot "$root" crictl completion bash >"$root/usr/share/bash-completion/completions/crictl" 2>/dev/null || true
  # The upgrade target: a local apt repository with the next version's
  # packages. No other apt source: exam nodes have no internet either.
  local repo=$root/opt/kubedrill/apt
  mkdir -p "$repo"
  if [ -x "$BIN_CACHE/kubernetes-$UPGRADE_K8S_VERSION/kubeadm" ]; then
    for b in kubeadm kubelet kubectl; do
      cp "$(deb_for "$b" "$K8S_VERSION")" "$(deb_for "$b" "$UPGRADE_K8S_VERSION")" "$repo/"
    done
  else
    log "WARNING: upgrade target $UPGRADE_K8S_VERSION not built; the node has no upgrade packages"
    for b in kubeadm kubelet kubectl; do cp "$(deb_for "$b" "$K8S_VERSION")" "$repo/"; done
  fi
  (cd "$repo" && apt-ftparchive packages . >Packages && apt-ftparchive release . >Release)
  rm -f "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
  echo "deb [trusted=yes] file:/opt/kubedrill/apt ./" >"$root/etc/apt/sources.list.d/kubedrill.list"
  cat >"$root/kind/kubedrill-image.json" <<JSON
{"kubernetes": "$K8S_VERSION", "upgradeTarget": "$( [ -x "$BIN_CACHE/kubernetes-$UPGRADE_K8S_VERSION/kubeadm" ] && echo "$UPGRADE_K8S_VERSION")",
 "etcd": "$ETCD_VERSION", "kind": "$KIND_VERSION", "containerd": "$CONTAINERD_DEB_VERSION", "cni": "$NETD_IMAGE"}
JSON
}

preload_images() { # IMAGE_LIST_FILE BASE_IMAGE
  local list=$1 base=$2 c=kubedrill-node-build-$$
  docker rm -f "$c" >/dev/null 2>&1 || true
  docker run -d --name "$c" --entrypoint sleep --security-opt seccomp=unconfined "$base" infinity >/dev/null
  docker exec "$c" bash -c 'nohup containerd >/tmp/containerd.log 2>&1 &'
  local i; for i in $(seq 1 30); do docker exec "$c" ctr version >/dev/null 2>&1 && break; sleep 1; done
  local ref
  while read -r ref; do
    [ -n "$ref" ] || continue
    docker image inspect "$ref" >/dev/null 2>&1 || die "image $ref is missing (build-images.sh)"
    docker save "$ref" | docker exec -i "$c" ctr -n k8s.io images import --no-unpack --digests - >/dev/null
    log "preloaded $ref"
  done <"$list"
  # Every reference must be present exactly as the kubelet will ask for it.
  local have; have=$(docker exec "$c" ctr -n k8s.io images ls -q)
  while read -r ref; do
    [ -n "$ref" ] || continue
    grep -qxF "$ref" <<<"$have" || die "preload check: $ref not in the node's containerd"
  done <"$list"
  docker exec "$c" pkill containerd || true
  sleep 2
  docker commit \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    --change 'ENV container=docker' \
    "$c" "$NODE_IMAGE.tmp" >/dev/null
  docker rm -f "$c" >/dev/null
  # docker commit cannot set STOPSIGNAL (systemd stops cleanly on
  # SIGRTMIN+3); a one-line build on top adds it without a layer.
  printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\nLABEL dev.kubedrill.build-key=%s\n' "$NODE_IMAGE.tmp" "$NODE_KEY" |
    DOCKER_BUILDKIT=0 docker build -q -t "$NODE_IMAGE" - >/dev/null
  docker rmi "$NODE_IMAGE.tmp" >/dev/null
}

image_list() {
  local v
  for v in "$K8S_VERSION" "$UPGRADE_K8S_VERSION"; do
    [ -x "$BIN_CACHE/kubernetes-$v/kubeadm" ] || continue
    "$BIN_CACHE/kubernetes-$v/kubeadm" config images list --kubernetes-version "$v" 2>/dev/null
  done
  echo "registry.k8s.io/pause:$PAUSE_VERSION"
  echo "$NETD_IMAGE"; echo "$LPP_IMAGE"; echo "$BUSYBOX_IMAGE"; echo "$NGINX_IMAGE"
}

build_node() {
  local list=$WORK/node-images.txt
  image_list | docker_normalise | sort -u >"$list"
  # The node's inputs: package list, scripts, binaries' stamps, image ids.
  local ids; ids=$(while read -r r; do docker image inspect -f '{{.Id}}' "$r" 2>/dev/null || echo "missing:$r"; done <"$list")
  NODE_KEY=$( { echo "$NODE_PKGS $CONTAINERD_DEB_VERSION $KIND_VERSION"; cat "$IMAGE_DIR"/build-node.sh "$FILES"/*;
    cat "$BIN_CACHE"/*.stamp; echo "$ids"; } | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{ index .Config.Labels "dev.kubedrill.build-key" }}' "$NODE_IMAGE" 2>/dev/null)" = "$NODE_KEY" ]; then
    log "node image $NODE_IMAGE: cached"; return 0
  fi
  local root=$WORK/node-rootfs base=kubedrill.local/node-base:$NODE_KEY
  rm -rf "$root"; mkdir -p "$root"
  stage_rootfs "$root"
  tar -C "$root" --numeric-owner -c . | docker import - "$base" >/dev/null
  rm -rf "$root"
  preload_images "$list" "$base"
  docker rmi "$base" >/dev/null 2>&1 || true
  log "node image $NODE_IMAGE built ($(docker image inspect -f '{{.Size}}' "$NODE_IMAGE" | numfmt --to=iec))"
}

# containerd lists images by their fully qualified names.
docker_normalise() {
  local ref first
  while read -r ref; do
    [ -n "$ref" ] || continue
    first=${ref%%/*}
    if [[ $ref != */* ]]; then echo "docker.io/library/$ref"
    elif [[ $first == *.* || $first == *:* || $first == localhost ]]; then echo "$ref"
    else echo "docker.io/$ref"; fi
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then build_node; fi
