#!/usr/bin/env bash
# Warm pool benchmark (issues 17, 29): local mode with the real opencode. Prints create -> first successful answer
# through the router (GET /s/<name>/session = 200), p50/p95/p99: without a pool (reference, same run), with a Gateway
# pool (claim, nothing handed to opencode), bursts of N and 2N creations against a full pool of N, with a Seeded pool
# (claim + PUT /auth + dispose); pool fill and refill times; RSS of the idle warm workers. POOL_BENCH_TRACE=1 prints
# each session's time to a readable token (endpoint published) and to the first answer.
# Usage: bench/pool/run.sh [sessions] [pool-size]   (default 50 and 3; needs opencode: .ci/install-opencode.sh)
# Env: SKIP_BUILD=1. Not part of ./mvnw verify.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sessions="${1:-50}"
poolSize="${2:-3}"
app=target/quarkus-app
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -B -q package -DskipTests
fi
opencode="$(command -v opencode || true)"
[ -n "$opencode" ] || opencode="$root/.collab-local/opencode/node_modules/.bin/opencode"
[ -x "$opencode" ] || { echo "opencode not found: run .ci/install-opencode.sh" >&2; exit 1; }
out=target/pool-bench
mkdir -p "$out/classes"
cp="target/test-classes:target/classes:$app/lib/main/*:$app/lib/boot/*"
javac -nowarn -d "$out/classes" -cp "$cp" bench/pool/src/dev/collab/local/*.java
exec java -Xmx256m -Djava.util.logging.manager=java.util.logging.LogManager \
  -cp "$out/classes:$cp" dev.collab.local.PoolBench "$app/quarkus-run.jar" "$opencode" "$sessions" "$poolSize"
