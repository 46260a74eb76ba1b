#!/usr/bin/env bash
# Creates (or updates) a session in a running local mode, through its embedded Kubernetes API:
#   examples/local-session.sh NAME [--auth auth.json] [--config opencode.json] [--claude .credentials.json]
#                                  [--plugin plugin.js] [--owner someone@example.com]
# Writes the credential Secret NAME-credentials (the given files; without any, a minimal opencode.json) and the
# CollabSession NAME, waits until it is Ready, then prints its router URL and session token.
# --claude: a Claude subscription (Claude Code's ~/.claude/.credentials.json), used through the opencode-claude-auth
# plugin; --plugin adds a plugin file by path to the session's opencode.json (the --config one or the minimal one).
# Environment: COLLAB_LOCAL_DATA_DIR (default ~/.local/share/collab-local), COLLAB_HTTP_PORT (default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: examples/local-session.sh NAME [--auth FILE] [--config FILE] [--claude FILE] [--plugin FILE] [--owner EMAIL]}"
shift
data_dir="${COLLAB_LOCAL_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/collab-local}"
http_port="${COLLAB_HTTP_PORT:-8080}"
owner="$name@example.com"
auth="" config="" claude="" plugin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --auth) auth="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --claude) claude="$2"; shift 2 ;;
    --plugin) plugin="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; [ -f "$plugin" ] || { echo "no plugin file $2" >&2; exit 2; }
              shift 2 ;;
    --owner) owner="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -n "$claude" ] && [ -z "$plugin" ] && [ -z "$config" ]; then
  echo "note: --claude without --plugin or --config: no opencode-claude-auth plugin in the session, the subscription stays unused" >&2
fi

# JSON without jq: node (needed for npm anyway) or python3
json() {
  if command -v node >/dev/null 2>&1; then node -e "$1" "${@:3}";
  elif command -v python3 >/dev/null 2>&1; then python3 -c "$2" "${@:3}";
  else echo "needs node or python3" >&2; exit 1; fi
}
# The owner as a label value (CollabLabels.ownerLabelValue): the operator uses the Secret only when it is opted in
# for sessions (collab.dev/credentials=true) of this owner (collab.dev/owner).
# A readable prefix (at most 46 characters) and 16 hex digits of sha256 of the exact owner: injective (issue 30).
owner_prefix="$(printf '%s' "$owner" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9._-]/-/g; s/^[._-]*//; s/[._-]*$//' | cut -c1-46 \
  | sed 's/[._-]*$//')"
owner_hash="$(printf '%s' "$owner" | sha256sum | cut -c1-16)"
owner_label="${owner_prefix:+$owner_prefix-}$owner_hash"
[ -n "$owner" ] || { echo "--owner is empty" >&2; exit 2; }
kubeconfig="$data_dir/kubeconfig"
[ -f "$kubeconfig" ] || { echo "no $kubeconfig: is local mode running (examples/local.sh)?" >&2; exit 1; }
# the embedded API (plain http, namespace on its own line) or the control plane (https, CA file, bearer token)
api="$(sed -n 's/^ *server: *//p; s/.*server: *"\([^"]*\)".*/\1/p' "$kubeconfig" | head -1)"
ns="$(sed -n 's/^ *namespace: *//p; s/.*namespace: *"\([^"]*\)".*/\1/p' "$kubeconfig" | head -1)"
ca="$(sed -n 's/.*certificate-authority: *"\([^"]*\)".*/\1/p' "$kubeconfig" | head -1)"
api_token="$(sed -n 's/.*token: *"\([^"]*\)".*/\1/p' "$kubeconfig" | head -1)"
curl_api=()
[ -n "$ca" ] && curl_api+=(--cacert "$ca")
[ -n "$api_token" ] && curl_api+=(-H "Authorization: Bearer $api_token")

# Secret body: stringData from the files (the embedded API folds stringData into data like a real one)
secret="$(json '
const fs = require("fs");
const [name, ns, auth, config, claude, plugin, ownerLabel] = process.argv.slice(1);
const data = {};
if (auth) data["auth.json"] = fs.readFileSync(auth, "utf8");
if (config) data["opencode.json"] = fs.readFileSync(config, "utf8");
if (claude) data["claude-credentials.json"] = fs.readFileSync(claude, "utf8");
if (plugin) {
  const cfg = config ? JSON.parse(data["opencode.json"]) : {$schema: "https://opencode.ai/config.json", autoupdate: false};
  cfg.plugin = [...(cfg.plugin || []), require("url").pathToFileURL(plugin).href];
  data["opencode.json"] = JSON.stringify(cfg);
}
if (!Object.keys(data).length) data["opencode.json"] = JSON.stringify({$schema: "https://opencode.ai/config.json", autoupdate: false});
console.log(JSON.stringify({apiVersion: "v1", kind: "Secret", metadata: {name: name + "-credentials", namespace: ns,
  labels: {"collab.dev/session": name, "collab.dev/credentials": "true", "collab.dev/owner": ownerLabel}},
  type: "Opaque", stringData: data}));
' '
import json, pathlib, sys
name, ns, auth, config, claude, plugin, owner_label = sys.argv[1:8]
data = {}
for key, path in (("auth.json", auth), ("opencode.json", config), ("claude-credentials.json", claude)):
    if path: data[key] = open(path).read()
if plugin:
    cfg = json.loads(data["opencode.json"]) if config else {"$schema": "https://opencode.ai/config.json", "autoupdate": False}
    cfg["plugin"] = cfg.get("plugin", []) + [pathlib.Path(plugin).as_uri()]
    data["opencode.json"] = json.dumps(cfg)
if not data: data["opencode.json"] = json.dumps({"$schema": "https://opencode.ai/config.json", "autoupdate": False})
print(json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name + "-credentials", "namespace": ns,
  "labels": {"collab.dev/session": name, "collab.dev/credentials": "true", "collab.dev/owner": owner_label}},
  "type": "Opaque", "stringData": data}))
' "$name" "$ns" "$auth" "$config" "$claude" "$plugin" "$owner_label")"

code=$(curl ${curl_api[@]+"${curl_api[@]}"} -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  "$api/api/v1/namespaces/$ns/secrets" --data-binary "$secret")
if [ "$code" = 409 ]; then
  code=$(curl ${curl_api[@]+"${curl_api[@]}"} -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$api/api/v1/namespaces/$ns/secrets/$name-credentials" --data-binary "$secret")
fi
[ "$code" -lt 300 ] || { echo "creating Secret $name-credentials failed: HTTP $code" >&2; exit 1; }

session="{\"apiVersion\":\"collab.dev/v1alpha1\",\"kind\":\"CollabSession\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"$ns\"},\
\"spec\":{\"owner\":\"$owner\",\"credentials\":{\"secretName\":\"$name-credentials\"}}}"
code=$(curl ${curl_api[@]+"${curl_api[@]}"} -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  "$api/apis/collab.dev/v1alpha1/namespaces/$ns/collabsessions" --data-binary "$session")
[ "$code" -lt 300 ] || [ "$code" = 409 ] || { echo "creating CollabSession $name failed: HTTP $code" >&2; exit 1; }

field() { # field URL JS-EXPRESSION PY-EXPRESSION: prints the value or nothing
  curl ${curl_api[@]+"${curl_api[@]}"} -s "$1" | json "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{try{const o=JSON.parse(s);const v=$2;if(v!=null)console.log(v)}catch(e){}})" \
    "import json,sys,base64
try:
    o=json.load(sys.stdin); v=$3
    if v is not None: print(v)
except Exception: pass" 2>/dev/null || true
}
echo "waiting for session $name to be Ready (first start of a session: a few seconds) ..."
for _ in $(seq 1 300); do
  endpoint="$(field "$api/apis/collab.dev/v1alpha1/namespaces/$ns/collabsessions/$name" \
    'o.status && o.status.endpoint' 'o.get("status",{}).get("endpoint")')"
  [ -n "$endpoint" ] && break
  sleep 1
done
[ -n "${endpoint:-}" ] || { echo "session $name is not Ready; see $data_dir/sessions/$name/opencode.log" >&2; exit 1; }
token="$(field "$api/api/v1/namespaces/$ns/secrets/$name-access" \
  'Buffer.from(o.data.token, "base64").toString()' 'base64.b64decode(o["data"]["token"]).decode()')"
url="http://127.0.0.1:$http_port/s/$name"
cat <<TXT

Session $name is running (worker log: $data_dir/sessions/$name/opencode.log).
  URL:     $url
  Token:   $token
  Try:     curl -H "Authorization: Bearer $token" "$url/global/health"
  Browser: http://$name.localhost:$http_port/?token=$token
TXT
