#!/usr/bin/env bash
# Builds bench/operator-scale's reference controller (client-go v0.36.3, the control plane's Kubernetes version)
# with the Go toolchain tools/control-plane builds with, into
#   ${COLLAB_REFERENCE_CACHE:-~/.cache/collab/reference}/<content hash>/reference
# The hash covers the sources, go.mod, go.sum and `go version`: an unchanged tree only checks that the binary is
# there. Prints the binary's path on stdout (progress on stderr): bin=$(bench/operator-scale/reference/build.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly
command -v go >/dev/null || { echo "go is not installed (need Go >= $(awk '/^go /{print $2}' "$here/go.mod"))" >&2; exit 1; }
stamp=$( (cd "$here" && cat go.mod go.sum ./*.go; go version) | sha256sum | cut -c1-16)
out="${COLLAB_REFERENCE_CACHE:-$HOME/.cache/collab/reference}/$stamp"
if [ -x "$out/reference" ]; then
  echo "[reference] up to date: $out/reference" >&2
  echo "$out/reference"
  exit 0
fi
mkdir -p "$out"
echo "[reference] building with $(go version) into $out" >&2
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$out/reference.tmp" .)
mv "$out/reference.tmp" "$out/reference"
echo "$out/reference"
