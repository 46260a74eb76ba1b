#!/usr/bin/env bash
# Operator at scale: the packaged operator against the Fabric8 mock API server and the real control plane
# (etcd + kube-apiserver + kube-controller-manager from tools/control-plane), each size on both in one run.
#   bench/operator-scale/run.sh            # N = 100 1000 5000
#   bench/operator-scale/run.sh 1000 5000  # chosen sizes
#   BENCH_APIS=mock bench/operator-scale/run.sh 1000   # only one API server (mock or real)
#   BENCH_REFERENCE=go BENCH_APIS=real bench/operator-scale/run.sh 1000   # after the operator's round on the real
#                                                      # control plane, the same ramp on a fresh one with the Go
#                                                      # reference controller (reference/): CPU per session, writes,
#                                                      # RSS beside the operator's, and the ratio (ReferenceScaleRun)
#   BENCH_SHARDS=2 bench/operator-scale/run.sh 1000    # 2 operator shards on the real control plane: sessions,
#                                                      # CPU and RSS per shard (ShardScaleBench; -Dbench.steadySeconds)
# Env: OPERATOR_JAVA_OPTS (operator JVM flags; MALLOC_ARENA_MAX too, both default to what deploy/ ships), OPERATOR_PROPS (extra -D for the operator),
#      BENCH_OPTS (-Dbench.steadySeconds=60 -Dbench.idleTimeoutSeconds=20 -Dbench.kubeletDelayMs=200 ...),
#      REBUILD=1 to force ./mvnw package, PROFILE=1 for a JFR recording of each ramp (real API only) and its hot
#      frames: target/operator-scale/ramp-real-N.jfr and profile-real-N.txt (bench/hot_frames.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100 1000 5000)

app=target/quarkus-app
if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$app/quarkus-run.jar" ] \
   || [ -n "$(find src/main pom.xml -newer "$app/quarkus-run.jar" -print -quit)" ]; then
  ./mvnw -B -q package -DskipTests
fi
# The real API server comes from the test support (dev.collab.testing.ControlPlane): compile it when stale.
if [ ! -d target/test-classes/dev/collab/testing ] || [ -n "$(find src/test -newer target/test-classes -print -quit)" ]; then
  ./mvnw -B -q test-compile -Dspotless.check.skip=true
fi
apis="${BENCH_APIS:-mock,real}"
# The operator JVM runs with the flags deploy/ ships (JDK_JAVA_OPTIONS) in a 512 MiB container, unless overridden.
if [ -z "${OPERATOR_JAVA_OPTS:-}" ]; then
  shipped=$(grep -A1 'name: JDK_JAVA_OPTIONS' deploy/operator-deployment.yaml | sed -n 's/.*value: "\(.*\)"/\1/p')
  export OPERATOR_JAVA_OPTS="-XX:MaxRAM=512m $shipped"
fi
# ... and the malloc arenas it ships
if [ -z "${MALLOC_ARENA_MAX:-}" ]; then
  MALLOC_ARENA_MAX=$(grep -A1 'name: MALLOC_ARENA_MAX' deploy/operator-deployment.yaml | sed -n 's/.*value: "\(.*\)"/\1/p')
  [ -n "$MALLOC_ARENA_MAX" ] && export MALLOC_ARENA_MAX
fi
if { [[ "$apis" == *real* ]] || [ -n "${BENCH_SHARDS:-}" ]; } && [ -z "${COLLAB_CONTROL_PLANE_BIN:-}" ]; then
  COLLAB_CONTROL_PLANE_BIN=$(tools/control-plane/build.sh)
  export COLLAB_CONTROL_PLANE_BIN
fi

reference_bin=
case "${BENCH_REFERENCE:-}" in
  "") ;;
  go) reference_bin=$(bench/operator-scale/reference/build.sh) ;;
  *) echo "BENCH_REFERENCE=${BENCH_REFERENCE}: only 'go' is known" >&2; exit 2 ;;
esac

out=target/operator-scale
classes="$out/classes"
mkdir -p "$classes"
cp="$app/lib/main/*:target/classes:target/test-classes"
javac -nowarn -d "$classes" -cp "$cp" bench/operator-scale/src/dev/collab/bench/*.java

if [ -n "${BENCH_SHARDS:-}" ]; then
  exec java -Xmx1g -XX:+UseParallelGC -Djava.util.logging.manager=java.util.logging.LogManager \
    -Dbench.shards="$BENCH_SHARDS" ${BENCH_OPTS:-} -cp "$classes:$cp" dev.collab.bench.ShardScaleBench "$app" "$out" "${sizes[@]}"
fi
profile=()
if [ "${PROFILE:-0}" = 1 ]; then
  profile=(-Dbench.profile=true)
  # Jackson's and the model builders' stacks are deeper than JFR's default 64 frames.
  export OPERATOR_JAVA_OPTS="$OPERATOR_JAVA_OPTS -XX:FlightRecorderOptions:stackdepth=512"
fi
# The launcher holds the mock API server (every object as JSON) or starts the control plane, and its own informers.
java -Xmx1g -XX:+UseParallelGC -Djava.util.logging.manager=java.util.logging.LogManager \
  -Dbench.apis="$apis" -Dbench.referenceBin="$reference_bin" "${profile[@]}" ${BENCH_OPTS:-} -cp "$classes:$cp" dev.collab.bench.OperatorScaleBench "$app" "$out" "${sizes[@]}"
if [ "${PROFILE:-0}" = 1 ]; then
  for f in "$out"/ramp-real-*.jfr; do
    [ -f "$f" ] || continue
    jfr print --json --stack-depth 256 --events jdk.ExecutionSample "$f" >"${f%.jfr}.json"
    python3 bench/hot_frames.py "${f%.jfr}.json" --prefixes dev.collab,io.fabric8,io.javaoperatorsdk,io.vertx,com.fasterxml,com.sun.crypto,sun.security \
      | tee "$out/profile-$(basename "${f%.jfr}" | sed 's/^ramp-//').txt"
  done
fi
