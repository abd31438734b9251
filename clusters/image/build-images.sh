#!/usr/bin/env bash
# Build the container images a cluster needs, from the binaries built by
# build-kubernetes.sh / build-components.sh and from Debian packages, tagged
# exactly as kubeadm and the node's manifests reference them.
#   build-images.sh   (the upgrade target's images too, once its binaries exist)
. "$(dirname "$0")/lib.sh"
FILES=$IMAGE_DIR/files
# Content hashes only (never paths), so a clone elsewhere reuses the cache.
NETD_IMAGE=kubedrill.local/netd:$(cat "$FILES/kubedrill-netd" "$FILES/iptables-wrapper" | sha256sum | cut -c1-10)
LPP_IMAGE=kubedrill.local/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION
BUSYBOX_IMAGE=docker.io/library/busybox:1.37
NGINX_IMAGE=docker.io/library/nginx:1.22

# scratch_image REF KEY ENTRY FILE...: an image holding only static binaries.
scratch_image() {
  local ref=$1 key=$2 entry=$3; shift 3
  image_present "$ref" "$key" && { log "image $ref: cached"; return 0; }
  local dir; dir=$(mktemp -d "$WORK/img.XXXXXX")
  mkdir -p "$dir/usr/local/bin" "$dir/tmp" "$dir/etc"
  chmod 1777 "$dir/tmp"
  echo 'root:x:0:0:root:/root:/sbin/nologin' >"$dir/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/sbin/nologin' >>"$dir/etc/passwd"
  local f; for f in "$@"; do cp "$f" "$dir/usr/local/bin/"; done
  if [ -n "$entry" ]; then
    import_dir "$dir" "$ref" "$key" --change "ENTRYPOINT [\"$entry\"]"
  else
    import_dir "$dir" "$ref" "$key"
  fi
  rm -rf "$dir"
}

# debian_image REF KEY ROOTFS_TAR SETUP_FN [--change ...]
debian_image() {
  local ref=$1 key=$2 tarball=$3 setup=$4; shift 4
  image_present "$ref" "$key" && { log "image $ref: cached"; return 0; }
  local dir; dir=$(mktemp -d "$WORK/img.XXXXXX")
  tar -C "$dir" -xf "$tarball"
  "$setup" "$dir"
  import_dir "$dir" "$ref" "$key" "$@"
  rm -rf "$dir"
}

TOOLS_PKGS="iptables nftables conntrack ipset iproute2 kmod"
setup_iptables_wrapper() { # DIR
  install -m 0755 "$FILES/iptables-wrapper" "$1/usr/sbin/iptables-wrapper"
  local t s; for t in iptables ip6tables; do for s in "" -save -restore; do
    ln -sf iptables-wrapper "$1/usr/sbin/$t$s"; done; done
}

kubernetes_images() { # VERSION
  local v=$1 bin=$BIN_CACHE/kubernetes-$1 c
  [ -x "$bin/kube-apiserver" ] || die "kubernetes $v binaries missing: run build-kubernetes.sh $v"
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    scratch_image "registry.k8s.io/$c:$v" "$(cat "$bin.stamp") $c" "" "$bin/$c"
  done
  local tools; tools=$(rootfs_tar tools "$TOOLS_PKGS")
  setup_kube_proxy() { setup_iptables_wrapper "$1"; install -m 0755 "$bin/kube-proxy" "$1/usr/local/bin/kube-proxy"; }
  debian_image "registry.k8s.io/kube-proxy:$v" "$(cat "$bin.stamp") tools=$(cat "$tools.stamp") $(sha256sum <"$FILES/iptables-wrapper")" \
    "$tools" setup_kube_proxy
}

etcd_image() { # ETCD_VERSION KUBEADM_TAG
  local bin=$BIN_CACHE/etcd-$1
  local files=("$bin/etcd"); [ -x "$bin/etcdctl" ] && files+=("$bin/etcdctl" "$bin/etcdutl")
  scratch_image "registry.k8s.io/etcd:$2" "$(cat "$bin.stamp")" "" "${files[@]}"
}

coredns_image() { # VERSION
  local bin=$BIN_CACHE/coredns-$1
  local ref=registry.k8s.io/coredns/coredns:$1 key; key=$(cat "$bin.stamp")
  image_present "$ref" "$key" && { log "image $ref: cached"; return 0; }
  local dir; dir=$(mktemp -d "$WORK/img.XXXXXX")
  install -D -m 0755 "$bin/coredns" "$dir/coredns"
  import_dir "$dir" "$ref" "$key" --change 'ENTRYPOINT ["/coredns"]'
  rm -rf "$dir"
}

pause_image() { # VERSION
  local bin=$BIN_CACHE/pause-$1
  local ref=registry.k8s.io/pause:$1 key; key=$(cat "$bin.stamp")
  image_present "$ref" "$key" && { log "image $ref: cached"; return 0; }
  local dir; dir=$(mktemp -d "$WORK/img.XXXXXX")
  install -m 0755 "$bin/pause" "$dir/pause"
  import_dir "$dir" "$ref" "$key" --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535'
  rm -rf "$dir"
}

netd_image() {
  local tools; tools=$(rootfs_tar tools "$TOOLS_PKGS")
  local kubectl=$BIN_CACHE/kubernetes-$BASE_K8S_VERSION/kubectl
  setup_netd() {
    setup_iptables_wrapper "$1"
    install -m 0755 "$kubectl" "$1/usr/local/bin/kubectl"
    install -m 0755 "$FILES/kubedrill-netd" "$1/usr/local/bin/kubedrill-netd"
  }
  debian_image "$NETD_IMAGE" "tools=$(cat "$tools.stamp") $(cat "$BIN_CACHE/kubernetes-$BASE_K8S_VERSION.stamp")" "$tools" setup_netd
}

local_path_images() {
  local bin=$BIN_CACHE/local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION
  scratch_image "$LPP_IMAGE" "$(cat "$bin.stamp")" "" "$bin/local-path-provisioner"
}

busybox_image() {
  # Debian trixie's busybox 1.37 with the glibc it was built for. (bookworm's
  # 1.35 crashes on `wget -T`, and a static glibc cannot resolve names.)
  local bb libc; bb=$(debian_download trixie busybox); libc=$(debian_download trixie libc6)
  local key; key="$(basename "$bb") $(basename "$libc")"
  image_present "$BUSYBOX_IMAGE" "$key" && { log "image $BUSYBOX_IMAGE: cached"; return 0; }
  local dir; dir=$(mktemp -d "$WORK/img.XXXXXX")
  dpkg-deb -x "$libc" "$dir"; dpkg-deb -x "$bb" "$dir"
  rm -rf "$dir/usr/share"
  ln -s usr/bin "$dir/bin"; ln -s usr/sbin "$dir/sbin"; ln -s usr/lib "$dir/lib"; ln -s usr/lib64 "$dir/lib64"
  mkdir -p "$dir/tmp" "$dir/etc" "$dir/root" "$dir/var/www"
  chmod 1777 "$dir/tmp"
  local a; for a in $(chroot "$dir" /usr/bin/busybox --list); do
    [ -e "$dir/usr/bin/$a" ] || ln -s busybox "$dir/usr/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$dir/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$dir/etc/nsswitch.conf"
  import_dir "$dir" "$BUSYBOX_IMAGE" "$key" --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["sh"]'
  rm -rf "$dir"
}

nginx_image() {
  local root; root=$(rootfs_tar nginx "nginx-light")
  setup_nginx() {
    install -d "$1/usr/share/nginx/html" "$1/etc/nginx/conf.d"
    install -m 0644 "$FILES/nginx-index.html" "$1/usr/share/nginx/html/index.html"
    install -m 0644 "$FILES/nginx-default.conf" "$1/etc/nginx/conf.d/default.conf"
    rm -f "$1/etc/nginx/sites-enabled/default"
    ln -sf /dev/stdout "$1/var/log/nginx/access.log"
    ln -sf /dev/stderr "$1/var/log/nginx/error.log"
  }
  debian_image "$NGINX_IMAGE" "root=$(cat "$root.stamp") $(cat "$FILES"/nginx-* | sha256sum)" "$root" setup_nginx \
    --change 'CMD ["nginx", "-g", "daemon off;"]' --change 'EXPOSE 80'
}

build_all_images() {
  kubernetes_images "$K8S_VERSION"
  etcd_image "$ETCD_VERSION" "${ETCD_VERSION#v}-0"
  coredns_image "$COREDNS_VERSION"
  pause_image "$PAUSE_VERSION"
  pause_image "$UPGRADE_PAUSE_VERSION"
  netd_image
  local_path_images
  busybox_image
  nginx_image
  if [ -x "$BIN_CACHE/kubernetes-$UPGRADE_K8S_VERSION/kubeadm" ]; then
    kubernetes_images "$UPGRADE_K8S_VERSION"
    etcd_image "$UPGRADE_ETCD_VERSION" "${UPGRADE_ETCD_VERSION#v}-0"
    coredns_image "$UPGRADE_COREDNS_VERSION"
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then build_all_images "$@"; fi
