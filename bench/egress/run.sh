#!/usr/bin/env bash
# Egress proxy benchmark (issue 24): the gateway's egress proxy (packaged app, collab.role=gateway, against the
# gateway bench's Fabric8 mock API holding one Gateway-mode session) beside tinyproxy (Debian) as the reference
# forward proxy, both tunnelling (CONNECT) to the same nginx on loopback, measured in the same run:
#  - connections: CONNECT, one small GET inside the tunnel, close; connections/s and proxy CPU per connection;
#  - bulk: 64 MiB downloads through a tunnel; MiB/s and proxy CPU per MiB.
# "direct" (the client to nginx, no proxy) is the ceiling of this client on this machine.
# Not part of ./mvnw verify. Usage: bench/egress/run.sh  (from anywhere)
# Env: CONNECTIONS (3000 per round), THREADS (8), DOWNLOADS (8 per round), ROUNDS (3), SKIP_BUILD=1,
#      PROFILE=1: record the gateway with Java Flight Recorder during the rounds and print where its CPU goes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CONNECTIONS="${CONNECTIONS:-3000}"
THREADS="${THREADS:-8}"
DOWNLOADS="${DOWNLOADS:-8}"
ROUNDS="${ROUNDS:-3}"
API_PORT=17201 BACKEND_PORT=17202 GATEWAY_PORT=17280 EGRESS_PORT=17290 TINYPROXY_PORT=17291 ORIGIN_PORT=17203
REAL_KEY=sk-ant-bench-real-key-0123456789
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_init egress
bench_packages nginx tinyproxy
bench_build

# 1. The gateway bench's environment: Fabric8 mock API (one Gateway-mode session, pod IP 127.0.0.1).
bench_gateway_env $API_PORT $BACKEND_PORT $REAL_KEY

# 2. The origin: nginx with a small and a 64 MiB file.
mkdir -p "$WORK/www"
chmod 755 "$WORK" "$WORK/www"   # nginx's workers run as another user
head -c 1024 /dev/urandom >"$WORK/www/small"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$WORK/www/big"
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$ORIGIN_PORT; root $WORK/www; }
}
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK"

# 3. The gateway (packaged app) with its egress proxy; loopback is never public, so the origin's range is listed.
bench_gateway $API_PORT $BACKEND_PORT $GATEWAY_PORT \
  -Dcollab.gateway.egress.port=$EGRESS_PORT -Dcollab.gateway.egress.allow=127.0.0.0/8:$ORIGIN_PORT

# 4. tinyproxy: the same tunnels, no authentication, no filtering beyond its ConnectPort.
cat >"$WORK/tinyproxy.conf" <<TINY
Port $TINYPROXY_PORT
Listen 127.0.0.1
Timeout 600
MaxClients 1024
PidFile "$WORK/tinyproxy.pid"
LogLevel Critical
Allow 127.0.0.1
ConnectPort $ORIGIN_PORT
DisableViaHeader Yes
TINY
tinyproxy -d -c "$WORK/tinyproxy.conf" >"$WORK/tinyproxy.log" 2>&1 &
TINYPROXY_PID=$!
PIDS+=($TINYPROXY_PID)

python3 "$ROOT/bench/egress/client.py" wait "$EGRESS_PORT" "$PLACEHOLDER" "$ORIGIN_PORT" \
  || { echo "the egress proxy did not tunnel"; tail -20 "$WORK/gateway.log"; exit 1; }
python3 "$ROOT/bench/egress/client.py" wait "$TINYPROXY_PORT" "" "$ORIGIN_PORT" \
  || { echo "tinyproxy did not tunnel"; tail -20 "$WORK/tinyproxy.log"; exit 1; }

measure() { # name proxy-port password pid mode count
  local name=$1 port=$2 pass=$3 pid=$4 mode=$5 count=$6 before after out
  before=$( [ "$pid" = 0 ] && echo 0 || bench_ticks "$pid")
  out=$(python3 "$ROOT/bench/egress/client.py" "$mode" "$port" "$pass" "$ORIGIN_PORT" "$count" "$THREADS")
  after=$( [ "$pid" = 0 ] && echo 0 || bench_ticks "$pid")
  echo "$name $mode $out $((after - before))" >>"$WORK/results.txt"
}
echo "warming up (JIT) ..."
python3 "$ROOT/bench/egress/client.py" connections "$EGRESS_PORT" "$PLACEHOLDER" "$ORIGIN_PORT" 3000 "$THREADS" >/dev/null
python3 "$ROOT/bench/egress/client.py" bulk "$EGRESS_PORT" "$PLACEHOLDER" "$ORIGIN_PORT" 4 1 >/dev/null
: >"$WORK/results.txt"
[ "${PROFILE:-0}" = 1 ] && jcmd $GATEWAY_PID JFR.start name=bench settings=profile >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS ..."
  measure direct 0 - 0 connections "$CONNECTIONS"
  measure tinyproxy "$TINYPROXY_PORT" "" "$TINYPROXY_PID" connections "$CONNECTIONS"
  measure gateway "$EGRESS_PORT" "$PLACEHOLDER" "$GATEWAY_PID" connections "$CONNECTIONS"
  measure direct 0 - 0 bulk "$DOWNLOADS"
  measure tinyproxy "$TINYPROXY_PORT" "" "$TINYPROXY_PID" bulk "$DOWNLOADS"
  measure gateway "$EGRESS_PORT" "$PLACEHOLDER" "$GATEWAY_PID" bulk "$DOWNLOADS"
done
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd $GATEWAY_PID JFR.stop name=bench filename="$WORK/gateway.jfr" >/dev/null
  jfr print --json --stack-depth 64 --events jdk.ExecutionSample "$WORK/gateway.jfr" >"$WORK/samples.json"
  python3 "$ROOT/bench/hot_frames.py" "$WORK/samples.json" | tee "$WORK/profile.txt"
fi
METRICS=$(curl -s "http://127.0.0.1:$GATEWAY_PORT/q/metrics" | grep '^collab_gateway_egress_connections_total' | awk '{s+=$2} END {print s+0}')

python3 - "$WORK/results.txt" "$(getconf CLK_TCK)" "$(git rev-parse --short HEAD)" "$THREADS" "$METRICS" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import sys
path, hz, commit, threads, counted, load = sys.argv[1:]
hz = int(hz)
rows = {}
for line in open(path):
    name, mode, count, units, seconds, ticks = line.split()
    rows.setdefault((name, mode), []).append((int(count), float(units), float(seconds), int(ticks)))
def rate(name, mode):  # best round
    return max(u / s for c, u, s, t in rows[(name, mode)])
def cpu(name, mode):  # over all rounds: ms per connection / ms per MiB
    r = rows[(name, mode)]
    return sum(t for *_, t in r) / hz * 1000 / sum(u for c, u, s, t in r)
print(f"## Egress proxy benchmark (commit {commit}; loopback, 2 shared cores, load before the summary {load})\n")
print(f"Connections: CONNECT + GET of 1 KiB + close, {threads} client threads. Bulk: 64 MiB per tunnel, one at a time.")
print("Best round for rates; CPU of the proxy process over all rounds.\n")
print("| target | connections/s | CPU µs/connection | MiB/s | CPU ms/MiB |")
print("|---|---:|---:|---:|---:|")
for n in ("direct", "tinyproxy", "gateway"):
    c = "-" if n == "direct" else f"{cpu(n, 'connections') * 1000:.0f}"
    b = "-" if n == "direct" else f"{cpu(n, 'bulk'):.3f}"
    print(f"| {n} | {rate(n, 'connections'):.0f} | {c} | {rate(n, 'bulk'):.0f} | {b} |")
print()
print(f"Ratios gateway / tinyproxy: CPU per connection {cpu('gateway','connections') / cpu('tinyproxy','connections'):.2f}x, "
      f"CPU per MiB {cpu('gateway','bulk') / cpu('tinyproxy','bulk'):.2f}x, "
      f"connections/s {rate('gateway','connections') / rate('tinyproxy','connections'):.2f}x, "
      f"MiB/s {rate('gateway','bulk') / rate('tinyproxy','bulk'):.2f}x.")
print(f"The gateway's collab_gateway_egress_connections_total after the run: {counted}.")
PY
