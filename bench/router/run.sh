#!/usr/bin/env bash
# Router benchmark: the router (packaged app, collab.role=router, against a Fabric8 mock API) and nginx as a plain
# reverse proxy (the reference: as many workers as the router has event loops, keep-alive on both sides, access_log
# off), each in front of two backends: the Vert.x fake opencode and an nginx `return 200`. wrk at 64 and at
# 1 connection on loopback, rounds interleaved; CPU per request of the router, of the nginx proxy and of the backend
# from /proc (bench/router/rounds.py), medians and every round; then idle SSE streams through the router with its RSS.
# Run it on an idle machine: a proxy starved of CPU pays more per request (RESULTS.md); the header gives the load
# average before the run. Not part of ./mvnw verify. Usage: bench/router/run.sh  (from anywhere)
# Env: WARMUP (seconds of load on the router before the rounds, default 30), ROUNDS (5), DURATION (seconds per run
#      at 64 connections, 10), DURATION_C1 (seconds per run at 1 connection, 5), LOOPS (event loops of the router =
#      worker processes of both nginx, default the number of CPUs), SSE_STREAMS (10000, capped by the
#      fd limit), ROUTER_JAVA_OPTS (default: the image's flags with the chart's 768Mi memory limit), SKIP_BUILD=1,
#      ROUTER_APP (the quarkus-app directory to run, default target/quarkus-app),
#      ROUTER_B_JAVA_OPTS and/or ROUTER_B_APP (a second router, "router-b", with other JVM flags or another build's
#      quarkus-app directory, measured in the same rounds), HOLD=1 (after the warm-up, print the router's pid and URLs and keep everything running for a profiler)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
WARMUP="${WARMUP:-30}"
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-10}"
DURATION_C1="${DURATION_C1:-5}"
SSE_STREAMS="${SSE_STREAMS:-10000}"
LOOPS="${LOOPS:-$(nproc)}"
IDLE_LOAD=$(cut -d' ' -f1 /proc/loadavg)
# src/main/docker/Dockerfile.jvm: MaxRAMPercentage=60 of the chart's 768Mi limit, SerialGC.
ROUTER_JAVA_OPTS="${ROUTER_JAVA_OPTS:--Xms154m -Xmx460m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError}"
API_PORT=17001 VERTX_PORT=17002 NGBACK_PORT=17003 ROUTER_PORT=17080 NGINX_VERTX_PORT=17081 NGINX_NGBACK_PORT=17082
ROUTER_B_PORT=17090
TOKEN=bench-session-token-0123456789 PASSWORD=bench-server-password ADMIN=bench-admin-token
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_init router
bench_packages nginx wrk
bench_build

wait_for() { # url [header]
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null ${2:+-H "$2"} "$1"; then return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $1" >&2; exit 1
}
start_nginx() { # name, then the http{} body
  cat >"$WORK/nginx-$1.conf" <<NGINX
worker_processes $LOOPS;
pid $WORK/nginx-$1.pid;
error_log $WORK/nginx-$1-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  $2
}
NGINX
  nginx -c "$WORK/nginx-$1.conf" -p "$WORK"
  for _ in $(seq 1 50); do [ -s "$WORK/nginx-$1.pid" ] && break; sleep 0.1; done
}

# 1. Fabric8 mock API + Vert.x fake opencode (one JVM; the test code plays the operator) with session "bench" on
#    the Vert.x backend and session "benchng" on the nginx backend.
java -Xmx512m -cp "$CP" dev.collab.router.bench.BenchEnvironment $API_PORT $VERTX_PORT $TOKEN $PASSWORD $ADMIN $NGBACK_PORT \
  >"$WORK/env.log" 2>&1 &
ENV_PID=$!
PIDS+=($ENV_PID)
for _ in $(seq 1 300); do grep -q '^READY' "$WORK/env.log" && break; sleep 0.2; done
grep -q '^READY' "$WORK/env.log" || { echo "environment did not start"; tail -20 "$WORK/env.log"; exit 1; }
BASIC="Basic $(printf 'opencode:%s' "$PASSWORD" | base64 -w0)"

# 2. nginx backend: a fixed body, no checks (the cheapest server there is).
start_nginx backend "server { listen 127.0.0.1:$NGBACK_PORT; location / { default_type application/json;
    return 200 '{\"healthy\":true,\"version\":\"bench\"}'; } }"

# 3. The router (packaged app), with the image's JVM flags; optionally a second one to compare.
start_router() { # port, quarkus-app dir, JVM options
  # shellcheck disable=SC2086
  java $3 -Dquarkus.vertx.event-loops-pool-size="$LOOPS" -Dcollab.role=router -Dcollab.namespaces=bench \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port=$1 \
    -Dquarkus.kubernetes-client.api-server-url=http://127.0.0.1:$API_PORT \
    -Dquarkus.kubernetes-client.namespace=collab-system -Dquarkus.log.level=WARN \
    -jar "$2/quarkus-run.jar" >"$WORK/router-$1.log" 2>&1 &
  PIDS+=($!)
  wait_for "http://127.0.0.1:$1/s/bench/global/health" "Authorization: Bearer $TOKEN"
  wait_for "http://127.0.0.1:$1/s/benchng/global/health" "Authorization: Bearer $TOKEN"
}
start_router $ROUTER_PORT "${ROUTER_APP:-target/quarkus-app}" "$ROUTER_JAVA_OPTS"
ROUTER_PID=${PIDS[-1]}
ROUTER_B=""
if [ -n "${ROUTER_B_JAVA_OPTS:-}${ROUTER_B_APP:-}" ]; then
  start_router $ROUTER_B_PORT "${ROUTER_B_APP:-target/quarkus-app}" "${ROUTER_B_JAVA_OPTS:-$ROUTER_JAVA_OPTS}"
  RB="http://127.0.0.1:$ROUTER_B_PORT/s"
  ROUTER_B=", \"router-b\": {\"pid\": ${PIDS[-1]}, \"jvm\": true}"
  ROUTER_B_TARGETS=",
  {\"backend\": \"vertx\", \"via\": \"router-b\", \"url\": \"$RB/bench/global/health\", \"header\": \"Authorization: Bearer $TOKEN\", \"proxy\": \"router-b\", \"server\": \"env\"},
  {\"backend\": \"nginx\", \"via\": \"router-b\", \"url\": \"$RB/benchng/global/health\", \"header\": \"Authorization: Bearer $TOKEN\", \"proxy\": \"router-b\", \"server\": \"ngback\"}"
fi

# 4. nginx as a plain reverse proxy to each backend: keep-alive upstream, sets the Authorization opencode needs
#    (no token check of its own).
proxy_server() { # listen port, backend port
  echo "upstream b$2 { server 127.0.0.1:$2; keepalive 128; keepalive_requests 1000000; }
  server { listen 127.0.0.1:$1; location / { proxy_pass http://b$2; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header Authorization \"$BASIC\";
    proxy_set_header X-Forwarded-For \$remote_addr; } }"
}
start_nginx proxy "$(proxy_server $NGINX_VERTX_PORT $VERTX_PORT) $(proxy_server $NGINX_NGBACK_PORT $NGBACK_PORT)"
wait_for "http://127.0.0.1:$NGINX_VERTX_PORT/global/health"
wait_for "http://127.0.0.1:$NGINX_NGBACK_PORT/global/health"

# 5. Warm-up and interleaved rounds (rounds.py): WARMUP seconds on the router in 5 s slices, each measured (the JIT
#    takes that long), 2 s on every other target, then the rounds. HOLD=1: a plain warm-up, then wait.
R="http://127.0.0.1:$ROUTER_PORT/s"
if [ "${HOLD:-0}" = 1 ]; then
  wrk -t2 -c64 -d"${WARMUP}s" -H "Authorization: Bearer $TOKEN" "$R/benchng/global/health" >/dev/null
  echo "HOLD router pid $ROUTER_PID: $R/bench/global/health (Vert.x backend), $R/benchng/global/health (nginx backend)," \
    "header 'Authorization: Bearer $TOKEN'; nginx proxy on :$NGINX_VERTX_PORT and :$NGINX_NGBACK_PORT; work dir $WORK"
  sleep infinity
fi

python3 bench/router/rounds.py <<JSON
{"rounds": $ROUNDS, "warmup": $WARMUP, "out": "$WORK/rounds.json",
 "runs": [{"conns": 64, "duration": $DURATION}, {"conns": 1, "duration": $DURATION_C1}],
 "groups": {"router": {"pid": $ROUTER_PID, "jvm": true}, "env": {"pid": $ENV_PID},
            "nginx": {"pid": $(cat "$WORK/nginx-proxy.pid"), "children": true},
            "ngback": {"pid": $(cat "$WORK/nginx-backend.pid"), "children": true}$ROUTER_B},
 "targets": [
  {"backend": "vertx", "via": "direct", "url": "http://127.0.0.1:$VERTX_PORT/global/health", "header": "Authorization: $BASIC", "proxy": null, "server": "env"},
  {"backend": "vertx", "via": "nginx", "url": "http://127.0.0.1:$NGINX_VERTX_PORT/global/health", "header": "X-Bench: 1", "proxy": "nginx", "server": "env"},
  {"backend": "vertx", "via": "router", "url": "$R/bench/global/health", "header": "Authorization: Bearer $TOKEN", "proxy": "router", "server": "env"},
  {"backend": "nginx", "via": "direct", "url": "http://127.0.0.1:$NGBACK_PORT/global/health", "header": "X-Bench: 1", "proxy": null, "server": "ngback"},
  {"backend": "nginx", "via": "nginx", "url": "http://127.0.0.1:$NGINX_NGBACK_PORT/global/health", "header": "X-Bench: 1", "proxy": "nginx", "server": "ngback"},
  {"backend": "nginx", "via": "router", "url": "$R/benchng/global/health", "header": "Authorization: Bearer $TOKEN", "proxy": "router", "server": "ngback"}${ROUTER_B_TARGETS:-}]}
JSON

# 6. Idle SSE streams through the router: each holds a client and an upstream connection (2 fds in the router).
LIMIT=$(awk '/Max open files/ {print $4}' /proc/$ROUTER_PID/limits)
MAX_STREAMS=$(( (LIMIT - 1000) / 2 ))
STREAMS=$SSE_STREAMS
if [ "$STREAMS" -gt "$MAX_STREAMS" ]; then STREAMS=$MAX_STREAMS; fi
RSS_BEFORE=$(awk '/VmRSS/ {print $2}' /proc/$ROUTER_PID/status)
java -Xmx512m -cp "$CP" dev.collab.router.bench.SseLoad 127.0.0.1 $ROUTER_PORT /s/bench/event $TOKEN $STREAMS >"$WORK/sse.log" 2>&1 &
SSE_PID=$!
PIDS+=($SSE_PID)
for _ in $(seq 1 900); do grep -q '^CONNECTED' "$WORK/sse.log" && break; sleep 0.2; done
SSE_RESULT=$(grep '^CONNECTED' "$WORK/sse.log" || echo "CONNECTED ? (timed out)")
sleep 2
RSS_SSE=$(awk '/VmRSS/ {print $2}' /proc/$ROUTER_PID/status)
OPEN=$(curl -s "http://127.0.0.1:$ROUTER_PORT/q/metrics" | awk '/^collab_router_open_streams / {print $2}')
kill $SSE_PID 2>/dev/null || true

COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src pom.xml || echo '+changes')"
python3 bench/router/rounds.py report "$WORK/rounds.json" "## Router benchmark: commit $COMMIT, $(date -u +%F), \
load average before the run $IDLE_LOAD, router event loops = nginx workers = $LOOPS, warm-up ${WARMUP}s, wrk -t2 GET /global/health on loopback (${DURATION}s at 64 connections, ${DURATION_C1}s at 1), \
$(nproc) cores, router JVM: $ROUTER_JAVA_OPTS${ROUTER_B:+; router-b: ${ROUTER_B_APP:-target/quarkus-app} ${ROUTER_B_JAVA_OPTS:-$ROUTER_JAVA_OPTS}}"
python3 - "$STREAMS" "$SSE_RESULT" "$OPEN" "$RSS_BEFORE" "$RSS_SSE" "$LIMIT" <<'PY'
import sys
streams, sse, open_streams, rss0, rss1, limit = sys.argv[1:]
per = (int(rss1) - int(rss0)) / max(1, int(streams))
print(f"\nIdle SSE streams through the router: requested {streams} ({sse}); gauge collab_router_open_streams={open_streams}; "
      f"RSS {int(rss0) / 1024:.0f} MiB after the rounds, {int(rss1) / 1024:.0f} MiB with the streams open: "
      f"{per:.1f} KiB per stream, about {1048576 / per if per > 0 else float('inf'):,.0f} idle streams per GiB of RSS "
      f"(fd limit of the router process here {limit}; each stream holds 2 fds in the router).")
PY
