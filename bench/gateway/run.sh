#!/usr/bin/env bash
# Gateway benchmark: a fake Anthropic endpoint that requires the real key, the credential gateway (packaged app,
# collab.role=gateway, against a Fabric8 mock API holding one Gateway-mode session), and nginx as a plain reverse
# proxy that sets the same key (the reference: as many workers as the gateway has event loops, keep-alive on both
# sides, access_log off, unbuffered like the gateway); all on loopback, measured in the same run:
#  - CPU per request of the gateway and of nginx (bench/router/rounds.py: interleaved rounds, utime+stime from /proc
#    of each proxy's processes / requests), at 64 and at 1 connection, for two answers: a small JSON message with
#    usage (POST /v1/messages) and a streamed one (SSE, chunked: POST /v1/messages?stream=now); both are parsed for
#    usage by the gateway;
#  - time to the first streamed byte of an SSE answer (sequential requests, python client);
#  - RSS per open stream through the gateway.
# Run it on an idle machine: a proxy starved of CPU pays more per request (bench/router/RESULTS.md).
# Not part of ./mvnw verify. Usage: bench/gateway/run.sh  (from anywhere)
# Env: WARMUP (seconds of load on the gateway before the rounds, default 30), ROUNDS (3), DURATION (seconds per run
#      at 64 connections, 10), DURATION_C1 (at 1 connection, 5), LOOPS (event loops of the gateway = nginx workers,
#      default the number of CPUs), FIRST_BYTE_REQUESTS (300), STREAMS (2000), SKIP_BUILD=1, GATEWAY_APP (the
#      quarkus-app directory to run, default target/quarkus-app), GATEWAY_B_APP (a second gateway, "gateway-b",
#      from another build's quarkus-app directory, measured in the same rounds: before and after in one run),
#      PROFILE=1: record the gateway with Java Flight Recorder during the rounds (after the warm-up) and print where
#      its CPU goes (hottest frames by own samples, and by samples that include them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
WARMUP="${WARMUP:-30}"
DURATION="${DURATION:-10}"
DURATION_C1="${DURATION_C1:-5}"
ROUNDS="${ROUNDS:-3}"
LOOPS="${LOOPS:-$(nproc)}"
IDLE_LOAD=$(cut -d' ' -f1 /proc/loadavg)
FIRST_BYTE_REQUESTS="${FIRST_BYTE_REQUESTS:-300}"
STREAMS="${STREAMS:-2000}"
API_PORT=17101 BACKEND_PORT=17102 GATEWAY_PORT=17180 NGINX_PORT=17181 GATEWAY_B_PORT=17190
REAL_KEY=sk-ant-bench-real-key-0123456789
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_init gateway
bench_packages nginx wrk
bench_build

# 1. Fabric8 mock API + fake provider (one JVM; the test code plays the operator).
bench_gateway_env $API_PORT $BACKEND_PORT $REAL_KEY

# 2. The gateway (packaged app); optionally a second build in the same rounds.
wait_gateway() { # port
  for _ in $(seq 1 300); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "x-api-key: $PLACEHOLDER" -d '{}' "http://127.0.0.1:$1/v1/messages" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  echo "gateway on :$1 did not answer 200 ($code)"; tail -20 "$WORK"/gateway*.log; exit 1
}
bench_gateway $API_PORT $BACKEND_PORT $GATEWAY_PORT -Dquarkus.vertx.event-loops-pool-size="$LOOPS"
wait_gateway $GATEWAY_PORT
GATEWAY_B="" GATEWAY_B_TARGETS=""
if [ -n "${GATEWAY_B_APP:-}" ]; then
  MAIN_PID=$GATEWAY_PID
  GATEWAY_APP="$GATEWAY_B_APP" GATEWAY_LOG_SUFFIX=-b bench_gateway $API_PORT $BACKEND_PORT $GATEWAY_B_PORT \
    -Dquarkus.vertx.event-loops-pool-size="$LOOPS" -Dcollab.gateway.egress.port=0
  wait_gateway $GATEWAY_B_PORT
  GATEWAY_B=", \"gateway-b\": {\"pid\": $GATEWAY_PID, \"jvm\": true}"
  GB="http://127.0.0.1:$GATEWAY_B_PORT/v1/messages"
  GATEWAY_B_TARGETS=",
  {\"backend\": \"json\", \"via\": \"gateway-b\", \"url\": \"$GB\", \"header\": \"x-api-key: $PLACEHOLDER\", \"proxy\": \"gateway-b\", \"server\": \"env\", \"script\": \"$WORK/post.lua\"},
  {\"backend\": \"sse\", \"via\": \"gateway-b\", \"url\": \"$GB\", \"header\": \"x-api-key: $PLACEHOLDER\", \"proxy\": \"gateway-b\", \"server\": \"env\", \"script\": \"$WORK/stream.lua\"}"
  GATEWAY_PID=$MAIN_PID
fi

# 3. nginx: a plain reverse proxy that replaces the client's key with the real one, unbuffered like the gateway; as
#    many workers as the gateway's event loops, keep-alive connections that are never closed after N requests (the
#    default of 1000 closes wrk's and the upstream connections every 1000 requests, a cost the gateway never pays).
cat >"$WORK/nginx.conf" <<NGINX
worker_processes $LOOPS;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_set_header Connection "";
      proxy_set_header Authorization "";
      proxy_set_header x-api-key "$REAL_KEY";
    }
  }
}
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK"
for _ in $(seq 1 100); do curl -sf -o /dev/null -X POST -d '{}' "http://127.0.0.1:$NGINX_PORT/v1/messages" && break; sleep 0.1; done

post_script() { # file, path: a POST of a small Messages request (streamed when the path asks for it)
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.path = "$2"
wrk.body = '{"model":"claude-bench","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
LUA
}
post_script "$WORK/post.lua" /v1/messages
post_script "$WORK/stream.lua" "/v1/messages?stream=now"

# Warm-up (the gateway in 5 s slices, JSON and streamed alternating), then interleaved rounds; PROFILE=1 records
# the gateway after the warm-up.
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd $GATEWAY_PID JFR.start name=bench settings=profile delay="$((WARMUP + 10))s" >/dev/null
fi
G="http://127.0.0.1:$GATEWAY_PORT/v1/messages" N="http://127.0.0.1:$NGINX_PORT/v1/messages" D="http://127.0.0.1:$BACKEND_PORT/v1/messages"
python3 bench/router/rounds.py <<JSON
{"rounds": $ROUNDS, "warmup": $WARMUP, "out": "$WORK/rounds.json",
 "runs": [{"conns": 64, "duration": $DURATION}, {"conns": 1, "duration": $DURATION_C1}],
 "groups": {"gateway": {"pid": $GATEWAY_PID, "jvm": true}, "env": {"pid": $ENV_PID},
            "nginx": {"pid": $(cat "$WORK/nginx.pid"), "children": true}$GATEWAY_B},
 "targets": [
  {"backend": "json", "via": "direct", "url": "$D", "header": "x-api-key: $REAL_KEY", "proxy": null, "server": "env", "script": "$WORK/post.lua"},
  {"backend": "json", "via": "nginx", "url": "$N", "header": "x-api-key: none", "proxy": "nginx", "server": "env", "script": "$WORK/post.lua"},
  {"backend": "json", "via": "gateway", "url": "$G", "header": "x-api-key: $PLACEHOLDER", "proxy": "gateway", "server": "env", "script": "$WORK/post.lua"},
  {"backend": "sse", "via": "direct", "url": "$D", "header": "x-api-key: $REAL_KEY", "proxy": null, "server": "env", "script": "$WORK/stream.lua"},
  {"backend": "sse", "via": "nginx", "url": "$N", "header": "x-api-key: none", "proxy": "nginx", "server": "env", "script": "$WORK/stream.lua"},
  {"backend": "sse", "via": "gateway", "url": "$G", "header": "x-api-key: $PLACEHOLDER", "proxy": "gateway", "server": "env", "script": "$WORK/stream.lua"}$GATEWAY_B_TARGETS]}
JSON
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd $GATEWAY_PID JFR.stop name=bench filename="$WORK/gateway.jfr" >/dev/null
  jfr print --json --stack-depth 64 --events jdk.ExecutionSample "$WORK/gateway.jfr" >"$WORK/samples.json"
  python3 "$ROOT/bench/hot_frames.py" "$WORK/samples.json" >"$WORK/profile.txt"
fi

# 4. Time to the first streamed byte: sequential SSE requests on one keep-alive connection per target.
python3 - "$FIRST_BYTE_REQUESTS" "$BACKEND_PORT" "$NGINX_PORT" "$GATEWAY_PORT" "$REAL_KEY" "$PLACEHOLDER" >"$WORK/first-byte.txt" <<'PY'
import http.client, statistics, sys, time
n, backend, nginx, gateway, real, placeholder = int(sys.argv[1]), *map(int, sys.argv[2:5]), sys.argv[5], sys.argv[6]
body = '{"model":"claude-bench","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
def measure(port, key):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    for i in range(n + 300):
        t0 = time.perf_counter()
        conn.request("POST", "/v1/messages?stream=1", body, {"x-api-key": key, "content-type": "application/json"})
        r = conn.getresponse()
        first = r.read1(1)
        t1 = time.perf_counter()
        r.read()
        assert r.status == 200 and first, (port, r.status)
        if i >= 300:  # warm-up: the JIT has seen the JSON path for seconds, the SSE path not yet
            out.append((t1 - t0) * 1000)
    return statistics.median(out)
rows = {}
for round in range(2):  # alternate, keep the best median per target
    for name, port, key in (("direct", backend, real), ("nginx", nginx, "none"), ("gateway", gateway, placeholder)):
        rows[name] = min(rows.get(name, 1e9), measure(port, key))
for name, v in rows.items():
    print(f"{name} {v:.3f}")
PY

# 5. Open streams through the gateway: RSS per stream.
RSS_BEFORE=$(awk '/VmRSS/ {print $2}' /proc/$GATEWAY_PID/status)
java -Xmx512m -cp "$CP" dev.collab.router.bench.SseLoad 127.0.0.1 $GATEWAY_PORT /v1/hold "$PLACEHOLDER" "$STREAMS" >"$WORK/sse.log" 2>&1 &
SSE_PID=$!
PIDS+=($SSE_PID)
for _ in $(seq 1 900); do grep -q '^CONNECTED' "$WORK/sse.log" && break; sleep 0.2; done
SSE_RESULT=$(grep '^CONNECTED' "$WORK/sse.log" || echo "CONNECTED ? (timed out)")
sleep 2
RSS_STREAMS=$(awk '/VmRSS/ {print $2}' /proc/$GATEWAY_PID/status)
OPEN=$(curl -s "http://127.0.0.1:$GATEWAY_PORT/q/metrics" | awk '/^collab_gateway_open_requests / {print $2}')
kill $SSE_PID 2>/dev/null || true
TOKENS=$(curl -s "http://127.0.0.1:$GATEWAY_PORT/q/metrics" | awk '/^collab_gateway_tokens_total.*type="output"/ {print $2}' | head -1)

COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src pom.xml || echo '+changes')"
python3 bench/router/rounds.py report "$WORK/rounds.json" "## Gateway benchmark: commit $COMMIT, $(date -u +%F), \
load average before the run $IDLE_LOAD, warm-up ${WARMUP}s, wrk -t2 POST /v1/messages on loopback (${DURATION}s at \
64 connections, ${DURATION_C1}s at 1; json: one small JSON answer, sse: a streamed answer in four chunks), \
$(nproc) cores, gateway event loops = nginx workers = $LOOPS${GATEWAY_B_APP:+; gateway-b: $GATEWAY_B_APP}"
python3 - "$WORK/first-byte.txt" "$STREAMS" "$SSE_RESULT" "$OPEN" "$RSS_BEFORE" "$RSS_STREAMS" "${TOKENS:-?}" <<'PY'
import sys
fb_path, streams, sse, open_streams, rss0, rss1, tokens = sys.argv[1:]
fb = dict((l.split()[0], float(l.split()[1])) for l in open(fb_path))
print(f"\nFirst streamed byte (sequential, p50 ms): direct {fb['direct']:.3f}, nginx {fb['nginx']:.3f}, gateway "
      f"{fb['gateway']:.3f}; added over direct: gateway {fb['gateway'] - fb['direct']:.3f} ms, nginx "
      f"{fb['nginx'] - fb['direct']:.3f} ms.")
print(f"\nOpen streams through the gateway: {streams} requested ({sse}); gauge collab_gateway_open_requests="
      f"{open_streams}; RSS {int(rss0) / 1024:.0f} MiB before, {int(rss1) / 1024:.0f} MiB with them open: "
      f"{(int(rss1) - int(rss0)) / max(1, int(streams)):.1f} KiB per stream. Usage counted by the gateway: "
      f"collab_gateway_tokens_total(output) = {tokens}.")
PY
if [ "${PROFILE:-0}" = 1 ]; then
  echo
  echo "JFR execution samples of the gateway during the rounds (bench/hot_frames.py):"
  echo
  sed 's/^/    /' "$WORK/profile.txt"
fi
