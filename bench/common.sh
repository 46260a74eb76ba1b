# Shared setup of the bench/*/run.sh scripts (sourced, not run): work folder and cleanup, Debian tools, the build and
# its classpath, CPU ticks from /proc, and the gateway benches' environment (mock API + fake provider) and gateway.
# Callers set ROOT (the repository) and cd there first.

# bench_init NAME: WORK (a fresh folder), PIDS (killed on exit, with every $WORK/*.pid: nginx, tinyproxy).
bench_init() {
  WORK="$(mktemp -d "/tmp/collab-$1-bench.XXXXXX")"
  PIDS=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# bench_packages COMMAND...: installs the Debian package of each missing command (named like the command).
bench_packages() {
  local missing=()
  for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
}

# bench_build: the packaged app and the test classpath (CP), unless SKIP_BUILD=1.
bench_build() {
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    ./mvnw -B -q package -DskipTests
    ./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
  fi
  CP="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
}

# bench_ticks PID...: utime+stime clock ticks, summed.
bench_ticks() {
  local sum=0
  for p in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo $sum
}

# bench_gateway_env API_PORT BACKEND_PORT REAL_KEY: the Fabric8 mock API holding one Gateway-mode session (pod IP
# 127.0.0.1) and the fake provider (GatewayBenchEnvironment); sets ENV_PID and PLACEHOLDER (that session's).
bench_gateway_env() {
  java -Xmx512m -cp "$CP" dev.collab.gateway.bench.GatewayBenchEnvironment "$1" "$2" "$3" >"$WORK/env.log" 2>&1 &
  ENV_PID=$!
  PIDS+=($ENV_PID)
  for _ in $(seq 1 300); do grep -q '^READY' "$WORK/env.log" && break; sleep 0.2; done
  grep -q '^READY' "$WORK/env.log" || { echo "environment did not start"; tail -20 "$WORK/env.log"; exit 1; }
  PLACEHOLDER=$(sed -n 's/^READY placeholder=//p' "$WORK/env.log")
}

# bench_gateway API_PORT BACKEND_PORT GATEWAY_PORT [-Dkey=value...]: the packaged gateway (GATEWAY_APP, the
# quarkus-app directory to run, default target/quarkus-app) against that environment; sets GATEWAY_PID (the caller
# waits for what it needs).
bench_gateway() {
  local api=$1 backend=$2 port=$3
  shift 3
  java -Xms64m -Xmx512m -Dcollab.role=gateway -Dcollab.namespaces=bench \
    -Dcollab.gateway.upstream="http://127.0.0.1:$backend" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
    -Dquarkus.kubernetes-client.api-server-url="http://127.0.0.1:$api" \
    -Dquarkus.kubernetes-client.namespace=collab-system -Dquarkus.log.level=WARN "$@" \
    -jar "${GATEWAY_APP:-target/quarkus-app}/quarkus-run.jar" >"$WORK/gateway${GATEWAY_LOG_SUFFIX:-}.log" 2>&1 &
  GATEWAY_PID=$!
  PIDS+=($GATEWAY_PID)
}
