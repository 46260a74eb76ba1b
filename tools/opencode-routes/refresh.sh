#!/usr/bin/env bash
# Refreshes opencode's route table for the router: installs opencode-ai@<version> into a temp prefix, runs
# `opencode serve` on a free loopback port with a throw-away HOME, fetches its OpenAPI document (GET /doc) into
# src/test/resources/opencode/openapi.json, then runs RouteTableTest, which lists every route that
# src/main/resources/dev/collab/router/opencode-routes.tsv does not classify yet (or no longer exists).
# Usage: tools/opencode-routes/refresh.sh [version]   (default: the version .ci/install-opencode.sh pins)
set -euo pipefail
cd "$(dirname "$0")/../.."
version="${1:-$(grep -o 'opencode-ai@[0-9.]*' .ci/install-opencode.sh | head -1 | cut -d@ -f2)}"
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
npm install --prefix "$work/prefix" --no-fund --no-audit --loglevel=error "opencode-ai@$version"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$work/home" "$work/project"
(cd "$work/project" && HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
  OPENCODE_DISABLE_AUTOUPDATE=1 exec "$work/prefix/node_modules/.bin/opencode" serve --hostname 127.0.0.1 --port "$port" \
  >"$work/opencode.log" 2>&1) &
pid=$!
for _ in $(seq 1 60); do
  if curl -fsS --max-time 30 -o "$work/doc.json" "http://127.0.0.1:$port/doc" 2>/dev/null; then break; fi
  sleep 1
done
[ -s "$work/doc.json" ] || { cat "$work/opencode.log"; echo "opencode $version did not serve /doc" >&2; exit 1; }
cp "$work/doc.json" src/test/resources/opencode/openapi.json
echo "opencode $version: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p in d["paths"].values() for m in p if m in ("get","put","post","delete","patch")))' "$work/doc.json") routes written to src/test/resources/opencode/openapi.json"
./mvnw -B -q test -Dtest=RouteTableTest
