#!/usr/bin/env bash
# Builds the images the node runs, without a Docker daemon or a registry, from the same Dockerfiles users
# build with docker (src/main/docker/), into archives that `ctr -n k8s.io images import` takes:
#   app      docker.io/collab/collab-session-operator:<hash>  Dockerfile.jvm on a Debian openjdk-17 base
#   session  docker.io/collab/collab-session:<hash>           Dockerfile.session on Dockerfile.opencode (opencode
#                                                             from npm) on a Debian base; no opencode-claude-auth
#   pause    registry.k8s.io/pause:<tag>-local                Kubernetes' build/pause/linux/pause.c, FROM scratch
#   coredns  registry.k8s.io/coredns/coredns:<ver>-local      only with COREDNS_BIN=<path of a coredns binary>
# Base root filesystems come from Debian bookworm packages (mmdebstrap); buildah builds (chroot isolation).
# Everything is cached by content under ${COLLAB_IMAGE_CACHE:-~/.cache/collab/images}: a run with unchanged
# inputs only hashes them. Progress goes to stderr; stdout gets one line, the path of an env file:
#   COLLAB_IMAGE_<APP|SESSION|PAUSE|COREDNS>=<fully qualified name>
#   COLLAB_IMAGE_<APP|SESSION|PAUSE|COREDNS>_ARCHIVE=<docker-archive path>
# so callers can do: source "$(tools/images/build.sh)"; ctr -n k8s.io images import "$COLLAB_IMAGE_APP_ARCHIVE".
# Environment:
#   COLLAB_IMAGES              which images, default "app session pause coredns" (coredns needs COREDNS_BIN)
#   COLLAB_IMAGES_BUILD_APP    auto (default: ./mvnw package when target/quarkus-app is missing or older than
#                              pom.xml/src/main), always, never; COLLAB_MAVEN_OFFLINE=1 adds -o (a filled ~/.m2)
#   COLLAB_IMAGE_STORAGE_DRIVER  buildah storage driver, default overlay (vfs works everywhere, slower)
#   COLLAB_DEBIAN_MIRROR       default http://deb.debian.org/debian
#   COLLAB_KUBERNETES_VERSION  module whose build/pause/linux/pause.c is compiled, default v1.36.3
#   COLLAB_PAUSE_IMAGE         name of the pause image, default registry.k8s.io/pause:<TAG of its Makefile>-local
#   COLLAB_BUILD_CA_BUNDLE     CA bundle the RUN steps trust, default /etc/ssl/certs/ca-certificates.crt
#   COREDNS_BIN                a coredns binary to wrap in an image (skipped when unset)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
docker_dir="$repo/src/main/docker"
cache=${COLLAB_IMAGE_CACHE:-$HOME/.cache/collab/images}
images=${COLLAB_IMAGES:-app session pause coredns}
build_app=${COLLAB_IMAGES_BUILD_APP:-auto}
driver=${COLLAB_IMAGE_STORAGE_DRIVER:-overlay}
mirror=${COLLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
k8s_version=${COLLAB_KUBERNETES_VERSION:-v1.36.3}
suite=bookworm
# Fixed so that every machine hashes the same inputs; mmdebstrap takes the newest packages of the suite.
sources=("deb $mirror $suite main" "deb $mirror $suite-updates main" "deb ${mirror%/debian}/debian-security $suite-security main")

log() { echo "[images $(date +%H:%M:%S)] $*" >&2; }
die() { echo "tools/images/build.sh: $*" >&2; exit 1; }
hash_of() { sha256sum | cut -c1-16; }
run_start=$(date +%s)

[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap and buildah write root-owned file systems here); e.g. sudo $0"

# Tools: Debian packages, installed when missing (as .ci/run installs its packages).
missing=()
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || die "could not install ${missing[*]} with apt-get"
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -w 3600 9 || die "another build holds $cache/.lock"

run_dir=${XDG_RUNTIME_DIR:-/run}/collab-images
B=(buildah --root "$cache/storage" --runroot "$run_dir" --storage-driver "$driver")
cleanup() {
  # Working containers of a failed or interrupted build (only in this script's own storage).
  "${B[@]}" rm --all >/dev/null 2>&1 || true
  rm -rf "$cache/tmp.$$"
}
trap cleanup EXIT
work="$cache/tmp.$$"
mkdir -p "$work"

has_image() { "${B[@]}" inspect --type image "$1" >/dev/null 2>&1; }
# RUN steps that fetch from npm or Debian trust what this machine trusts (a TLS-inspecting egress proxy's CA,
# for one): its CA bundle is bound over the image's for the build only, never stored in a layer.
bud_opts=(--isolation chroot --layers=false --pull=never)
ca_bundle=${COLLAB_BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$ca_bundle" ] && bud_opts+=(--volume "$ca_bundle:/etc/ssl/certs/ca-certificates.crt:ro")
case $(uname -m) in
  x86_64) bud_opts+=(--build-arg TARGETARCH=amd64) ;;
  aarch64) bud_opts+=(--build-arg TARGETARCH=arm64) ;;
esac
# bud <log file> <args...>: a buildah build, its output in the log file, its last lines on failure.
bud() {
  local logf=$1; shift
  if ! nice -n 10 "${B[@]}" bud "${bud_opts[@]}" "$@" >"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    die "buildah bud $* failed (full log: $logf)"
  fi
}
size_of() { du -sh "$1" | cut -f1; }
declare -A results

# --- Base root file systems from Debian packages -------------------------------------------------------------
# minbase (apt, dpkg, a shell, coreutils) without documentation, man pages and translations; man1 must exist
# all the same (update-alternatives of openjdk links its man page there).
mmdebstrap_opts=(--format=tar --variant=minbase --aptopt='Acquire::Retries "3"'
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --essential-hook='mkdir -p "$1/usr/share/man/man1"')
# base <name> <comma-separated packages>: makes localhost/collab-base-<name>:<key> from an mmdebstrap tarball.
# Sets base_ref.
base() {
  local name=$1 pkgs=$2 key dir t0
  key=$(printf '%s\n' "$suite" "$pkgs" "${mmdebstrap_opts[@]}" "${sources[@]}" | hash_of)
  dir="$cache/base-$name-$key"
  base_ref="localhost/collab-base-$name:$key"
  has_image "$base_ref" && return 0
  if [ ! -s "$dir/rootfs.tar" ]; then
    log "base $name: mmdebstrap $suite minbase + $pkgs (downloads Debian packages)"
    t0=$(date +%s)
    mkdir -p "$dir"
    rm -rf "$dir/rootfs.tar.tmp"
    if ! nice -n 10 mmdebstrap "${mmdebstrap_opts[@]}" --include="$pkgs" \
        "$suite" "$dir/rootfs.tar.tmp" "${sources[@]}" >"$dir/mmdebstrap.log" 2>&1; then
      tail -n 20 "$dir/mmdebstrap.log" >&2
      die "mmdebstrap of the $name base failed (packages: $pkgs; log: $dir/mmdebstrap.log)"
    fi
    mv "$dir/rootfs.tar.tmp" "$dir/rootfs.tar"
    log "base $name: root file system $(size_of "$dir/rootfs.tar") in $(($(date +%s) - t0)) s"
  fi
  log "base $name: importing into buildah as $base_ref"
  printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8\nCMD ["/bin/sh"]\n' \
    >"$dir/Containerfile"
  bud "$dir/import.log" -f "$dir/Containerfile" -t "$base_ref" "$dir"
}

# export_image <local ref> <name> <dir>: writes <dir>/image.tar (docker-archive named <name>).
export_image() {
  local ref=$1 name=$2 dir=$3
  rm -f "$dir/image.tar.tmp"
  nice -n 10 "${B[@]}" push --quiet "$ref" "docker-archive:$dir/image.tar.tmp:$name" >"$dir/push.log" 2>&1 \
    || { cat "$dir/push.log" >&2; die "exporting $name failed"; }
  mv "$dir/image.tar.tmp" "$dir/image.tar"
}

# cached <var> <kind> <name> <dir>: when <dir>/image.tar exists, records it and returns 0.
cached() {
  local var=$1 kind=$2 name=$3 dir=$4
  [ -s "$dir/image.tar" ] || return 1
  results[$var]="$name"
  results[${var}_ARCHIVE]="$dir/image.tar"
  log "$kind: up to date: $name ($(size_of "$dir/image.tar"), built in $(cat "$dir/build-seconds" 2>/dev/null || echo '?') s)"
}
# prune <kind> <name>: older builds of the same image leave buildah's storage; of their archives the three newest
# stay (an import of a previous build keeps working for a while).
prune() {
  local kind=$1 name=$2 old
  for old in $("${B[@]}" images --format '{{.Name}}:{{.Tag}}' | grep "^${name%:*}:" | grep -v "^$name\$"); do
    "${B[@]}" rmi "$old" >/dev/null 2>&1 || true
  done
  "${B[@]}" rmi --prune >/dev/null 2>&1 || true # untagged by a rebuild under the same name
  ls -dt "$cache/$kind"-*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
}
done_image() {
  local var=$1 kind=$2 name=$3 dir=$4 t0=$5
  prune "$kind" "$name"
  echo $(($(date +%s) - t0)) >"$dir/build-seconds"
  results[$var]="$name"
  results[${var}_ARCHIVE]="$dir/image.tar"
  log "$kind: built $name: archive $(size_of "$dir/image.tar") in $(cat "$dir/build-seconds") s"
}

want() { case " $images " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
arg_default() { sed -n "s/^ARG $1=//p" "$2" | head -n1; }

# --- App image (operator, router, gateway): Dockerfile.jvm -----------------------------------------------------
build_app_image() {
  local app="$repo/target/quarkus-app" key dir name t0 tree
  case "$build_app" in
    always) rebuild=1 ;;
    never) rebuild=0 ;;
    auto)
      rebuild=0
      if [ ! -s "$app/quarkus-run.jar" ] \
        || [ -n "$(find "$repo/pom.xml" "$repo/src/main" -newer "$app/quarkus-run.jar" -print -quit)" ]; then
        rebuild=1
      fi ;;
    *) die "COLLAB_IMAGES_BUILD_APP must be auto, always or never" ;;
  esac
  if [ "$rebuild" = 1 ]; then
    log "app: ./mvnw package (target/quarkus-app is missing or older than the sources)"
    t0=$(date +%s)
    (cd "$repo" && nice -n 10 ./mvnw -B -q ${COLLAB_MAVEN_OFFLINE:+-o} package -DskipTests -Dspotless.check.skip=true >&2) \
      || die "./mvnw package failed: the app image needs target/quarkus-app"
    log "app: packaged in $(($(date +%s) - t0)) s"
  fi
  [ -s "$app/quarkus-run.jar" ] || die "target/quarkus-app/quarkus-run.jar is missing (run ./mvnw -B package -DskipTests)"
  base jre "ca-certificates,openjdk-17-jre-headless"
  local jre=$base_ref
  tree=$(cd "$app" && find . -type f -print0 | sort -z | xargs -0 sha256sum | hash_of)
  key=$(cat "$docker_dir/Dockerfile.jvm" <(echo "$jre $tree") | hash_of)
  name="docker.io/collab/collab-session-operator:$key"
  dir="$cache/app-$key"
  cached APP app "$name" "$dir" && return 0
  log "app: buildah bud -f src/main/docker/Dockerfile.jvm --build-arg JRE_IMAGE=$jre"
  t0=$(date +%s)
  mkdir -p "$dir"
  bud "$dir/build.log" -f "$docker_dir/Dockerfile.jvm" --build-arg "JRE_IMAGE=$jre" -t "$name" "$repo"
  # The image's user (185, no passwd entry) can run its java.
  local ctr
  ctr=$("${B[@]}" from --pull-never "$name")
  if ! "${B[@]}" run --isolation chroot "$ctr" -- java -version >"$dir/check.log" 2>&1; then
    cat "$dir/check.log" >&2; "${B[@]}" rm "$ctr" >/dev/null; die "java does not run in $name as its user"
  fi
  "${B[@]}" rm "$ctr" >/dev/null
  log "app: $(grep -m1 " version " "$dir/check.log") as uid $("${B[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$name")"
  export_image "$name" "$name" "$dir"
  done_image APP app "$name" "$dir" "$t0"
}

# --- Session image: Dockerfile.opencode (local stand-in for the stock image), then Dockerfile.session ------------
# smoke_session <image>: runs opencode from the image's root file system the way the worker pod does: read-only
# root, a non-root uid, HOME on a writable directory, /tmp empty; `opencode --version` and `opencode serve`
# answering GET /global/health.
smoke_session() {
  local ref=$1 ctr mnt root home out
  ctr=$("${B[@]}" from --pull-never "$ref")
  mnt=$("${B[@]}" mount "$ctr")
  home="$work/home"; root="$work/root"
  mkdir -p "$home" "$root"; chown 1000:1000 "$home"
  out="$work/smoke.log"
  # A private mount namespace: the binds disappear with it.
  if ! timeout 120 unshare --mount --propagation private sh -ec '
      mnt=$1; root=$2; home=$3; seed=$4
      mount --rbind "$mnt" "$root"
      mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
      mount -t proc proc "$root/proc"
      mount -t tmpfs tmpfs "$root/dev"
      for d in null zero random urandom tty; do touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done
      mount -t tmpfs tmpfs "$root/home"; mkdir "$root/home/session"; mount --bind "$home" "$root/home/session"
      mount -o remount,bind,ro "$root"
      run() { chroot --userspec=1000:1000 "$root" /usr/bin/env -i HOME=/home/session PATH=/usr/local/bin:/usr/bin:/bin \
                OPENCODE_CONFIG_DIR=/opt/opencode/config BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 "$@"; }
      v=$(run opencode --version); echo "opencode --version: $v (uid 1000, read-only root, HOME and /tmp writable)"
      # The seed-home init container: the operator'"'"'s script run by the image'"'"'s sh, as the pod runs it.
      mkdir -p "$root/tmp/creds"; printf "{}\n" >"$root/tmp/creds/opencode.json"; chmod -R a+rX "$root/tmp/creds"
      run /usr/bin/env COLLAB_CREDENTIALS_DIR=/tmp/creds sh -c "$(cat "$seed")" | sed "s/^/seed-home (sh): /"
      [ -f "$home/.config/opencode/opencode.json" ] || { echo "seed-home did not seed HOME"; exit 1; }
      if touch "$root/probe" 2>/dev/null; then echo "the root is not read-only"; exit 1; fi
      run sh -c "echo \$\$ >/tmp/serve.pid; cd /home/session && exec opencode serve --hostname 127.0.0.1 --port 0" \
        >"$root/tmp/serve.log" 2>&1 &
      stop() { kill "$(cat "$root/tmp/serve.pid")" 2>/dev/null || true; wait 2>/dev/null || true; }
      for i in $(seq 1 120); do
        url=$(sed -n "s,.*listening on \(http://[0-9.:]*\).*,\1,p" "$root/tmp/serve.log" | head -n1)
        if [ -n "$url" ] && [ "$(curl -s -o /dev/null -w "%{http_code}" "$url/global/health")" = 200 ]; then
          echo "opencode serve --port 0: $url/global/health answered 200 after $((i / 2)) s"
          stop; exit 0
        fi
        sleep 0.5
      done
      cat "$root/tmp/serve.log"; stop; exit 1
    ' sh "$mnt" "$root" "$home" "$repo/src/main/resources/dev/collab/operator/seed-home.sh" >"$out" 2>&1; then
    cat "$out" >&2
    "${B[@]}" umount "$ctr" >/dev/null; "${B[@]}" rm "$ctr" >/dev/null
    die "the session image does not start opencode read-only as a non-root uid (log above)"
  fi
  "${B[@]}" umount "$ctr" >/dev/null; "${B[@]}" rm "$ctr" >/dev/null
  sed 's/^/  /' "$out" >&2
}

build_session_image() {
  local version key okey dir name t0 node opencode_ref
  version=$(arg_default OPENCODE_VERSION "$docker_dir/Dockerfile.session")
  [ -n "$version" ] || die "no ARG OPENCODE_VERSION in src/main/docker/Dockerfile.session"
  # The plugin stage and the opencode download run npm: Debian's nodejs and npm.
  base node "ca-certificates,nodejs,npm"
  node=$base_ref
  # Runtime base, as the stock image: a shell (also for the seed-home init container), CA certificates, git,
  # ripgrep (opencode's search tools); opencode's binary needs only glibc.
  base session "ca-certificates,git,ripgrep"
  okey=$(cat "$docker_dir/Dockerfile.opencode" <(echo "$version $node $base_ref") | hash_of)
  opencode_ref="localhost/collab-opencode:$version-$okey"
  if ! has_image "$opencode_ref"; then
    log "session: opencode $version base: buildah bud -f src/main/docker/Dockerfile.opencode (npm)"
    t0=$(date +%s)
    mkdir -p "$cache/opencode-$okey"
    bud "$cache/opencode-$okey/build.log" -f "$docker_dir/Dockerfile.opencode" --build-arg "OPENCODE_VERSION=$version" \
      --build-arg "NODE_IMAGE=$node" --build-arg "BASE_IMAGE=$base_ref" -t "$opencode_ref" "$docker_dir"
    log "session: $opencode_ref in $(($(date +%s) - t0)) s"
  fi
  key=$(cat "$docker_dir/Dockerfile.session" <(echo "$opencode_ref $node claude-auth=none") | hash_of)
  name="docker.io/collab/collab-session:$key"
  dir="$cache/session-$key"
  cached SESSION session "$name" "$dir" && return 0
  log "session: buildah bud -f src/main/docker/Dockerfile.session (OPENCODE_IMAGE=$opencode_ref, no opencode-claude-auth)"
  t0=$(date +%s)
  mkdir -p "$dir"
  bud "$dir/build.log" -f "$docker_dir/Dockerfile.session" --build-arg "OPENCODE_IMAGE=$opencode_ref" \
    --build-arg "NODE_IMAGE=$node" --build-arg "CLAUDE_AUTH_VERSION=" -t "$name" "$docker_dir"
  log "session: checking opencode read-only as uid 1000"
  smoke_session "$name"
  export_image "$name" "$name" "$dir"
  done_image SESSION session "$name" "$dir" "$t0"
}

# --- Pause image (the CRI sandbox image) from Kubernetes' pause.c --------------------------------------------------
build_pause_image() {
  local modcache src mk tag key dir name t0 version
  command -v go >/dev/null 2>&1 || die "go is needed to find k8s.io/kubernetes@$k8s_version (pause.c) in the module cache"
  modcache=$(go env GOMODCACHE)
  src="$modcache/k8s.io/kubernetes@$k8s_version/build/pause"
  if [ ! -f "$src/linux/pause.c" ]; then
    log "pause: go mod download k8s.io/kubernetes@$k8s_version (for build/pause/linux/pause.c)"
    (cd "$work" && GOFLAGS=-mod=mod GOWORK=off go mod download -json "k8s.io/kubernetes@$k8s_version" >/dev/null) \
      || die "could not download the module k8s.io/kubernetes@$k8s_version (it holds build/pause/linux/pause.c)"
  fi
  [ -f "$src/linux/pause.c" ] || die "$src/linux/pause.c is missing"
  tag=$(sed -n 's/^TAG ?= *//p' "$src/Makefile")
  [ -n "$tag" ] || die "no TAG in $src/Makefile"
  name=${COLLAB_PAUSE_IMAGE:-registry.k8s.io/pause:$tag-local}
  key=$(cat "$src/linux/pause.c" <(echo "$tag $name"; gcc --version | head -n1) | hash_of)
  dir="$cache/pause-$key"
  cached PAUSE pause "$name" "$dir" && return 0
  t0=$(date +%s)
  mkdir -p "$dir/ctx"
  # As Kubernetes' build/pause/Makefile: CFLAGS = -Os -Wall -Werror -static -DVERSION=v$(TAG)-$(REV)
  version="v$tag-local"
  nice -n 10 gcc -Os -Wall -Werror -static -DVERSION="$version" -o "$dir/ctx/pause" "$src/linux/pause.c" \
    || die "gcc -static pause.c failed (needs libc6-dev)"
  strip "$dir/ctx/pause"
  # As Kubernetes' build/pause/Dockerfile.
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$dir/ctx/Containerfile"
  bud "$dir/build.log" -f "$dir/ctx/Containerfile" -t "$name" "$dir/ctx"
  export_image "$name" "$name" "$dir"
  done_image PAUSE pause "$name" "$dir" "$t0"
}

# --- CoreDNS image around a given binary ---------------------------------------------------------------------------
build_coredns_image() {
  local key dir name t0 version
  if [ -z "${COREDNS_BIN:-}" ]; then
    log "coredns: skipped (set COREDNS_BIN to a coredns binary to build registry.k8s.io/coredns/coredns:<version>-local)"
    return 0
  fi
  [ -x "$COREDNS_BIN" ] || die "COREDNS_BIN=$COREDNS_BIN is not an executable file"
  version=$("$COREDNS_BIN" -version 2>/dev/null | sed -n 's/^CoreDNS-\([0-9.]*\).*/\1/p' | head -n1)
  [ -n "$version" ] || die "$COREDNS_BIN -version does not print CoreDNS-<version>"
  name="registry.k8s.io/coredns/coredns:v$version-local"
  key=$(sha256sum "$COREDNS_BIN" | hash_of)
  dir="$cache/coredns-$key"
  cached COREDNS coredns "$name" "$dir" && return 0
  t0=$(date +%s)
  mkdir -p "$dir/ctx"
  cp "$COREDNS_BIN" "$dir/ctx/coredns"
  # As CoreDNS' own image: the binary alone, port 53; the Deployment grants NET_BIND_SERVICE and sets the user.
  printf 'FROM scratch\nCOPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT ["/coredns"]\n' >"$dir/ctx/Containerfile"
  bud "$dir/build.log" -f "$dir/ctx/Containerfile" -t "$name" "$dir/ctx"
  export_image "$name" "$name" "$dir"
  done_image COREDNS coredns "$name" "$dir" "$t0"
}

for image in $images; do
  case $image in
    app) build_app_image ;;
    session) build_session_image ;;
    pause) build_pause_image ;;
    coredns) build_coredns_image ;;
    *) die "unknown image '$image' in COLLAB_IMAGES (app, session, pause, coredns)" ;;
  esac
done

env_file="$cache/images.env"
{
  echo "# written by tools/images/build.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for var in APP SESSION PAUSE COREDNS; do
    if [ -n "${results[$var]:-}" ]; then
      echo "COLLAB_IMAGE_$var=${results[$var]}"
      echo "COLLAB_IMAGE_${var}_ARCHIVE=${results[${var}_ARCHIVE]}"
    else
      # Not built in this run (COLLAB_IMAGES): an earlier run's entry stays while its archive exists.
      prev=$(sed -n "s/^COLLAB_IMAGE_${var}_ARCHIVE=//p" "$env_file" 2>/dev/null || true)
      if [ -n "$prev" ] && [ -s "$prev" ]; then grep "^COLLAB_IMAGE_${var}=\|^COLLAB_IMAGE_${var}_ARCHIVE=" "$env_file"; fi
    fi
  done
} >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"
log "done in $(($(date +%s) - run_start)) s (load: $(cut -d' ' -f1-3 /proc/loadavg)); images: $env_file"
echo "$env_file"
