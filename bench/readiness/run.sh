#!/usr/bin/env bash
# Readiness benchmark (issue 12): local mode with the real opencode and the isolation proof's fake Anthropic endpoint.
# Prints create -> Ready, Ready -> first answer, credential upload -> first answer carrying the new key (p50/p95 over
# N uploads, lost requests, router retries), against a bare opencode start measured in the same run. Not part of ./mvnw verify.
# Usage: bench/readiness/run.sh [uploads] [Seeded|Gateway|both]   (default 20 both; needs opencode:
# .ci/install-opencode.sh)  Env: SKIP_BUILD=1. Seeded: an upload replaces the worker; Gateway: the next request
# carries the new key, no restart.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
uploads="${1:-20}"
app=target/quarkus-app
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -B -q package -DskipTests
fi
opencode="$(command -v opencode || true)"
[ -n "$opencode" ] || opencode="$root/.collab-local/opencode/node_modules/.bin/opencode"
[ -x "$opencode" ] || { echo "opencode not found: run .ci/install-opencode.sh" >&2; exit 1; }
out=target/readiness-bench
mkdir -p "$out/classes"
cp="target/test-classes:target/classes:$app/lib/main/*:$app/lib/boot/*"
javac -nowarn -d "$out/classes" -cp "$cp" bench/readiness/src/dev/collab/local/*.java
exec java -Xmx512m -Djava.util.logging.manager=java.util.logging.LogManager \
  -cp "$out/classes:$cp" dev.collab.local.ReadinessBench "$app/quarkus-run.jar" "$opencode" "$uploads" "${2:-both}"
