#!/usr/bin/env bash
# The one command of local mode (README): builds the app, builds the control plane on first use (etcd,
# kube-apiserver, kube-controller-manager, kubectl: tools/control-plane/build.sh, needs Go; without Go local mode
# runs on its embedded API), installs opencode into the data dir when none is on the PATH, starts local mode
# (Kubernetes API + operator + router + local node), creates a demo session and prints its router URL with its
# token. Ctrl-C stops everything; sessions come back on the next start.
# Environment: COLLAB_LOCAL_DATA_DIR (default ~/.local/share/collab-local), COLLAB_HTTP_PORT (default 8080),
#   COLLAB_DEMO_SESSION (default demo), COLLAB_DEMO_AUTH (an opencode auth.json for the demo session; default:
#   built from ANTHROPIC_API_KEY when set, else none), COLLAB_SKIP_BUILD=1 (reuse target/quarkus-app),
#   COLLAB_LOCAL_API (auto | control-plane | embedded: which Kubernetes API; auto = the control plane when built).
set -euo pipefail
cd "$(dirname "$0")/.."
export COLLAB_LOCAL_DATA_DIR="${COLLAB_LOCAL_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/collab-local}"
export COLLAB_HTTP_PORT="${COLLAB_HTTP_PORT:-8080}"
session="${COLLAB_DEMO_SESSION:-demo}"
data_dir="$COLLAB_LOCAL_DATA_DIR"
command -v java >/dev/null || { echo "local mode needs Java 17+" >&2; exit 1; }
command -v curl >/dev/null || { echo "local mode's demo needs curl" >&2; exit 1; }

if [ "${COLLAB_SKIP_BUILD:-}" != 1 ] || [ ! -f target/quarkus-app/quarkus-run.jar ]; then
  echo "building (./mvnw package) ..."
  ./mvnw -B -q package -DskipTests
fi

# The control plane: built once into ~/.cache/collab/control-plane (about 6 min on an idle 2-core machine, progress below),
# then checked in a second. Without Go, or with COLLAB_LOCAL_API=embedded, local mode uses its embedded API.
kubectl_bin=""
if [ "${COLLAB_LOCAL_API:-auto}" != embedded ]; then
  if command -v go >/dev/null 2>&1; then
    echo "control plane: tools/control-plane/build.sh (first time: builds etcd and Kubernetes from source, about 6 min on an idle 2-core machine) ..."
    if cp_bin=$(tools/control-plane/build.sh); then
      export COLLAB_CONTROL_PLANE_BIN="$cp_bin"
      kubectl_bin="$cp_bin/kubectl"
    else
      echo "control plane build failed: local mode falls back to its embedded API (no kubectl)" >&2
    fi
  else
    echo "no Go on the PATH: local mode runs on its embedded API (no kubectl; install Go 1.26 for the control plane)" >&2
  fi
fi

mkdir -p "$data_dir"
rm -f "$data_dir/kubeconfig"
if [ -z "${COLLAB_LOCAL_OPENCODE_COMMAND:-}" ] && ! command -v opencode >/dev/null 2>&1 \
   && [ ! -x "$data_dir/opencode/node_modules/.bin/opencode" ]; then
  if [ -x .collab-local/opencode/node_modules/.bin/opencode ]; then   # installed by .ci/install-opencode.sh
    export COLLAB_LOCAL_OPENCODE_COMMAND="$PWD/.collab-local/opencode/node_modules/.bin/opencode"
  else
    echo "opencode is not on the PATH: local mode installs opencode-ai@1.18.33 into $data_dir/opencode (once) ..."
  fi
fi
log="$data_dir/collab.log"
echo "starting local mode (log: $log) ..."
COLLAB_ROLE=local QUARKUS_HTTP_PORT="$COLLAB_HTTP_PORT" java -jar target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap 'echo; echo "stopping local mode ..."; stop; exit 0' INT TERM
trap 'stop' EXIT

for _ in $(seq 1 600); do
  kill -0 "$pid" 2>/dev/null || { echo "local mode exited; last lines of $log:" >&2; tail -30 "$log" >&2; exit 1; }
  if [ -f "$data_dir/kubeconfig" ] && \
     [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$COLLAB_HTTP_PORT/q/health/live")" = 200 ]; then
    break
  fi
  sleep 1
done

args=()
demo_auth="${COLLAB_DEMO_AUTH:-}"
if [ -z "$demo_auth" ] && [ -n "${ANTHROPIC_API_KEY:-}" ]; then
  demo_auth="$data_dir/demo-auth.json"
  (umask 077; printf '{"anthropic":{"type":"api","key":"%s"}}\n' "$ANTHROPIC_API_KEY" >"$demo_auth")
fi
[ -n "$demo_auth" ] && args+=(--auth "$demo_auth")
examples/local-session.sh "$session" ${args[@]+"${args[@]}"}
cat <<TXT

Local mode is running (Ctrl-C stops it; sessions and their HOME folders stay in $data_dir).
  Kubernetes API: kubeconfig $data_dir/kubeconfig$( [ -n "$kubectl_bin" ] && printf '\n  kubectl:  export PATH="%s:$PATH" KUBECONFIG="%s"; kubectl get collab' "$(dirname "$kubectl_bin")" "$data_dir/kubeconfig")
  Router admin token (credential upload, delete): $data_dir/admin-token
  More sessions: examples/local-session.sh NAME [--auth auth.json] [--config opencode.json]
TXT
wait "$pid"
