#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the Go module proxy into
#   ${COLLAB_CONTROL_PLANE_CACHE:-~/.cache/collab/control-plane}/<k8s version>/bin/
# Idempotent: a second run with unchanged inputs only checks a stamp. Prints the bin directory on stdout
# (progress goes to stderr), so callers can do: bin=$(tools/control-plane/build.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
export CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly
root=${COLLAB_CONTROL_PLANE_CACHE:-$HOME/.cache/collab/control-plane}
out="$root/$K8S_VERSION"
bin="$out/bin"
stamp_input=$(cat "$here/versions.env" "$here"/kubernetes/go.{mod,sum} "$here"/etcd/go.{mod,sum}; go version)
stamp=$(sha256sum <<<"$stamp_input" | cut -c1-16)
binaries="etcd kube-apiserver kube-controller-manager kubectl"

log() { echo "[control-plane $(date +%H:%M:%S)] $*" >&2; }

complete() {
  [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ] || return 1
  for b in $binaries; do [ -x "$bin/$b" ] || return 1; done
}

if complete; then
  log "up to date: $bin"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "go is not installed (need Go >= $(awk '/^go /{print $2}' "$here/kubernetes/go.mod"))" >&2; exit 1; }
mkdir -p "$bin"
rm -f "$out/stamp"
start=$(date +%s)

# Download first, module by module, so a module missing from the proxy is named clearly.
for dir in kubernetes etcd; do
  log "downloading modules of $dir (go mod download)"
  if ! (cd "$here/$dir" && go mod download -x 2>&1 | awk '/^# get .*200 OK/ {n++; if (n % 50 == 0) printf "[control-plane] %d modules fetched\n", n > "/dev/stderr"} /: (404|410) |not found|unknown revision|verifying/ {print > "/dev/stderr"}'); then
    echo "downloading the modules of tools/control-plane/$dir failed (see the module named above)" >&2
    exit 1
  fi
done

# Version string as Kubernetes' own hack/lib/version.sh sets it, for kubectl version and the API's /version.
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

# build <module dir> <package> <binary>: compiles with a progress line every 100 packages.
build() {
  local dir=$1 pkg=$2 name=$3 t0
  t0=$(date +%s)
  log "building $name ($pkg)"
  (cd "$here/$dir" && nice -n 10 go build -v -trimpath -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg" 2>&1) \
    | awk -v name="$name" '{n++; if (n % 100 == 0) printf "[control-plane] %s: %d packages compiled\n", name, n > "/dev/stderr"} /\.go:[0-9]+:|^go: / {print > "/dev/stderr"}'
  [ "${PIPESTATUS[0]}" = 0 ] && [ -f "$bin/$name.tmp" ] || { echo "building $name failed" >&2; exit 1; }
  mv "$bin/$name.tmp" "$bin/$name"
  log "built $name in $(( $(date +%s) - t0 )) s"
}

build etcd go.etcd.io/etcd/server/v3 etcd
build kubernetes k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver
build kubernetes k8s.io/kubernetes/cmd/kube-controller-manager kube-controller-manager
build kubernetes k8s.io/kubernetes/cmd/kubectl kubectl

echo "$stamp" > "$out/stamp"
log "control plane $K8S_VERSION (etcd $ETCD_VERSION) built in $(( $(date +%s) - start )) s: $bin"
echo "$bin"
