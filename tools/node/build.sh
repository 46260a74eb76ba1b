#!/usr/bin/env bash
# Builds the real node's binaries from the Go module proxy into
#   ${COLLAB_NODE_CACHE:-~/.cache/collab/node}/<stamp>/bin/
# kubelet, kube-scheduler, kube-proxy (k8s.io/kubernetes, the control plane's wrapper module and version),
# containerd + containerd-shim-runc-v2 + ctr, runc (cgo, seccomp), coredns (cluster DNS, main.go's plugins) and
# kube-router (its NetworkPolicy controller only). Idempotent: unchanged inputs only check a stamp. Prints the bin
# directory on stdout (progress on stderr): bin=$(tools/node/build.sh). Needs Debian's libseccomp-dev, pkg-config
# and gcc for runc; the node itself needs iptables, ipset and containernetworking-plugins at run time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s="$here/../control-plane"
source "$here/versions.env"
source "$k8s/versions.env"
export GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly
root=${COLLAB_NODE_CACHE:-$HOME/.cache/collab/node}
stamp_input=$(cat "$here/versions.env" "$k8s/versions.env" "$k8s"/kubernetes/go.{mod,sum} \
  "$here"/{containerd,runc,coredns,kube-router}/go.{mod,sum} "$here/coredns/main.go"; go version)
stamp=$(sha256sum <<<"$stamp_input" | cut -c1-16)
out="$root/$stamp"
bin="$out/bin"
binaries="kubelet kube-scheduler kube-proxy containerd containerd-shim-runc-v2 ctr runc coredns kube-router"

log() { echo "[node $(date +%H:%M:%S)] $*" >&2; }

complete() {
  [ -f "$out/stamp" ] || return 1
  for b in $binaries; do [ -x "$bin/$b" ] || return 1; done
}

# "current" names the last build, for tests run by hand (COLLAB_NODE_BIN overrides it; CI sets it)
if complete; then
  ln -sfn "$stamp" "$root/current"
  log "up to date: $bin"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "go is not installed (need Go 1.26)" >&2; exit 1; }
for need in gcc pkg-config; do
  command -v $need >/dev/null || { echo "$need is missing: runc needs it (apt-get install gcc pkg-config libseccomp-dev)" >&2; exit 1; }
done
pkg-config --exists libseccomp || { echo "libseccomp-dev is missing: runc needs it (apt-get install libseccomp-dev)" >&2; exit 1; }
mkdir -p "$bin"
start=$(date +%s)

for dir in "$k8s/kubernetes" "$here/containerd" "$here/runc" "$here/coredns" "$here/kube-router"; do
  log "downloading modules of ${dir#$here/../} (go mod download)"
  if ! (cd "$dir" && go mod download -x 2>&1 | awk '/: (404|410) |not found|unknown revision|verifying/ {print > "/dev/stderr"}'); then
    echo "downloading the modules of $dir failed (see the module named above)" >&2
    exit 1
  fi
done

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
containerd_ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION"
runc_ldflags="-s -w -X main.version=${RUNC_VERSION#v}"

# build <module dir> <package> <binary> <cgo 0|1> <tags> <ldflags>: compiles with a progress line every 100 packages.
build() {
  local dir=$1 pkg=$2 name=$3 cgo=$4 tags=$5 ldflags=$6 t0
  [ -x "$bin/$name" ] && { log "$name already built"; return 0; }
  t0=$(date +%s)
  log "building $name ($pkg)"
  (cd "$dir" && CGO_ENABLED=$cgo nice -n 10 go build -v -trimpath -tags "$tags" -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg" 2>&1) \
    | awk -v name="$name" '{n++; if (n % 100 == 0) printf "[node] %s: %d packages compiled\n", name, n > "/dev/stderr"} /\.go:[0-9]+:|^go: / {print > "/dev/stderr"}'
  [ "${PIPESTATUS[0]}" = 0 ] && [ -f "$bin/$name.tmp" ] || { echo "building $name failed" >&2; exit 1; }
  mv "$bin/$name.tmp" "$bin/$name"
  log "built $name in $(( $(date +%s) - t0 )) s"
}

ctd_tags="no_btrfs no_devmapper no_zfs"
build "$k8s/kubernetes" k8s.io/kubernetes/cmd/kubelet kubelet 0 "" "$k8s_ldflags"
build "$k8s/kubernetes" k8s.io/kubernetes/cmd/kube-scheduler kube-scheduler 0 "" "$k8s_ldflags"
build "$k8s/kubernetes" k8s.io/kubernetes/cmd/kube-proxy kube-proxy 0 "" "$k8s_ldflags"
build "$here/containerd" github.com/containerd/containerd/v2/cmd/containerd containerd 0 "$ctd_tags" "$containerd_ldflags"
build "$here/containerd" github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 containerd-shim-runc-v2 0 "$ctd_tags" "$containerd_ldflags"
build "$here/containerd" github.com/containerd/containerd/v2/cmd/ctr ctr 0 "$ctd_tags" "$containerd_ldflags"
build "$here/runc" github.com/opencontainers/runc runc 1 "seccomp" "$runc_ldflags"
build "$here/coredns" collab.dev/tools/node/coredns coredns 0 "" "-s -w"
build "$here/kube-router" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router kube-router 0 "" "-s -w"

echo "$stamp" > "$out/stamp"
ln -sfn "$stamp" "$root/current"
log "node binaries built in $(( $(date +%s) - start )) s: $bin ($(du -sm "$bin" | cut -f1) MiB)"
echo "$bin"
