#!/usr/bin/env bash
# Gateway benchmark: a fake Anthropic endpoint that requires the real key, the credential gateway (packaged app,
# collab.role=gateway, against a Fabric8 mock API holding one Gateway-mode session), and nginx as a plain reverse
# proxy that sets the same key; all on loopback, measured in the same run:
#  - wrk POST /v1/messages (small JSON answer with usage): requests/s, p50, p99, CPU per request of the proxy;
#  - time to the first streamed byte of an SSE answer (sequential requests, python client);
#  - RSS per open stream through the gateway.
# Not part of ./mvnw verify. Usage: bench/gateway/run.sh  (from anywhere)
# Env: DURATION (wrk seconds, default 15), CONNECTIONS (64), ROUNDS (3), FIRST_BYTE_REQUESTS (300), STREAMS (2000), SKIP_BUILD=1,
#      PROFILE=1: record the gateway with Java Flight Recorder during the wrk rounds and print where its CPU goes
#      (hottest frames by own samples, and by samples that include them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-64}"
ROUNDS="${ROUNDS:-3}"
FIRST_BYTE_REQUESTS="${FIRST_BYTE_REQUESTS:-300}"
STREAMS="${STREAMS:-2000}"
API_PORT=17101 BACKEND_PORT=17102 GATEWAY_PORT=17180 NGINX_PORT=17181
REAL_KEY=sk-ant-bench-real-key-0123456789
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_init gateway
bench_packages nginx wrk
bench_build

# 1. Fabric8 mock API + fake provider (one JVM; the test code plays the operator).
bench_gateway_env $API_PORT $BACKEND_PORT $REAL_KEY

# 2. The gateway (packaged app).
bench_gateway $API_PORT $BACKEND_PORT $GATEWAY_PORT
for _ in $(seq 1 300); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "x-api-key: $PLACEHOLDER" -d '{}' "http://127.0.0.1:$GATEWAY_PORT/v1/messages" || true)
  [ "$code" = 200 ] && break
  sleep 0.2
done
[ "$code" = 200 ] || { echo "gateway did not answer 200 ($code)"; tail -20 "$WORK/gateway.log"; exit 1; }

# 3. nginx: a plain reverse proxy that replaces the client's key with the real one, unbuffered like the gateway.
cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 128; }
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

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"claude-bench","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
LUA

nginx_pids() { pgrep -f "nginx: .*" | tr '\n' ' '; }
to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n=n/1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n=n*1000; printf "%.3f", n }'; }
run_wrk() { # name url header pids...
  local name=$1 url=$2 header=$3; shift 3
  local before after
  before=$(bench_ticks "$@")
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/post.lua" -H "$header" "$url" >"$WORK/wrk-$name.txt"
  after=$(bench_ticks "$@")
  local reqs rps p50 p99
  reqs=$(awk '/requests in/ {print $1}' "$WORK/wrk-$name.txt")
  rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk-$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk-$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk-$name.txt")
  echo "$name $rps $(to_ms "$p50") $(to_ms "$p99") $reqs $((after - before))" >>"$WORK/results.txt"
}

echo "warming up (JIT) ..."
wrk -t2 -c"$CONNECTIONS" -d10s -s "$WORK/post.lua" -H "x-api-key: $PLACEHOLDER" "http://127.0.0.1:$GATEWAY_PORT/v1/messages" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d3s -s "$WORK/post.lua" -H "x-api-key: $REAL_KEY" "http://127.0.0.1:$BACKEND_PORT/v1/messages" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d3s -s "$WORK/post.lua" -H "x-api-key: none" "http://127.0.0.1:$NGINX_PORT/v1/messages" >/dev/null
: >"$WORK/results.txt"
# Only the measured rounds are recorded (not start-up, not the warm-up).
[ "${PROFILE:-0}" = 1 ] && jcmd $GATEWAY_PID JFR.start name=bench settings=profile >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS ..."
  run_wrk direct "http://127.0.0.1:$BACKEND_PORT/v1/messages" "x-api-key: $REAL_KEY" $ENV_PID
  # shellcheck disable=SC2046
  run_wrk nginx "http://127.0.0.1:$NGINX_PORT/v1/messages" "x-api-key: none" $(nginx_pids)
  run_wrk gateway "http://127.0.0.1:$GATEWAY_PORT/v1/messages" "x-api-key: $PLACEHOLDER" $GATEWAY_PID
done
grep -h 'Non-2xx\|Socket errors' "$WORK"/wrk-*.txt || true
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd $GATEWAY_PID JFR.stop name=bench filename="$WORK/gateway.jfr" >/dev/null
  jfr print --json --stack-depth 64 --events jdk.ExecutionSample "$WORK/gateway.jfr" >"$WORK/samples.json"
  python3 "$ROOT/bench/hot_frames.py" "$WORK/samples.json" | tee "$WORK/profile.txt"
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

python3 - "$WORK/results.txt" "$WORK/first-byte.txt" "$CONNECTIONS" "$DURATION" "$STREAMS" "$SSE_RESULT" "$OPEN" \
  "$RSS_BEFORE" "$RSS_STREAMS" "$(getconf CLK_TCK)" "$(git rev-parse --short HEAD)" "${TOKENS:-?}" <<'PY'
import sys
path, fb_path, conns, dur, streams, sse, open_streams, rss0, rss1, hz, commit, tokens = sys.argv[1:]
hz = int(hz)
runs = {}
for line in open(path):
    name, rps, p50, p99, reqs, ticks = line.split()
    runs.setdefault(name, []).append((float(rps), float(p50), float(p99), int(reqs), int(ticks)))
best = {n: max(r) for n, r in runs.items()}
cpu = {n: sum(t for *_, t in r) / hz * 1e6 / max(1, sum(q for *_, q, t in r)) for n, r in runs.items()}
fb = dict((l.split()[0], float(l.split()[1])) for l in open(fb_path))
print(f"## Gateway benchmark (commit {commit}; wrk -t2 -c{conns} -d{dur}s POST /v1/messages, loopback, 2 shared cores)\n")
print(f"Best of {len(runs['gateway'])} alternating rounds per target; CPU per request over all rounds.\n")
print("| target | requests/s | p50 ms | p99 ms | CPU µs/request (proxy process) | first streamed byte, p50 ms |")
print("|---|---:|---:|---:|---:|---:|")
for n in ("direct", "nginx", "gateway"):
    r = best[n]
    label = "direct (the fake provider's own CPU)" if n == "direct" else n
    print(f"| {label} | {r[0]:.0f} | {r[1]:.3f} | {r[2]:.3f} | {cpu[n]:.0f} | {fb[n]:.3f} |")
d, g, w = best["direct"], best["nginx"], best["gateway"]
print()
print(f"- added p50 latency over direct: gateway {w[1]-d[1]:.3f} ms, nginx {g[1]-d[1]:.3f} ms (at {conns} connections: "
      "queueing included; the sequential first-byte column is the unloaded figure)")
print(f"- first streamed byte added over direct: gateway {fb['gateway']-fb['direct']:.3f} ms, nginx {fb['nginx']-fb['direct']:.3f} ms")
print(f"- CPU per request: gateway/nginx {cpu['gateway']/cpu['nginx']:.1f}x; throughput gateway/nginx {w[0]/g[0]:.2f}x")
print(f"- open streams through the gateway: {streams} requested ({sse}); gauge collab_gateway_open_requests={open_streams}; "
      f"RSS {int(rss0)/1024:.0f} MiB before, {int(rss1)/1024:.0f} MiB with them open: "
      f"{(int(rss1)-int(rss0))/max(1,int(streams)):.1f} KiB per stream")
print(f"- usage counted by the gateway during the run: collab_gateway_tokens_total(output) = {tokens}")
print("- all rounds (requests/s, p50 ms, p99 ms): " + "; ".join(
    f"{n}: " + ", ".join(f"({a:.0f}, {b:.3f}, {c:.3f})" for a, b, c, *_ in runs[n]) for n in ("direct", "nginx", "gateway")))
PY
