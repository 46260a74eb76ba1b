#!/usr/bin/env bash
# Operator at scale (issue 7): the packaged operator against the Fabric8 mock API server.
#   bench/operator-scale/run.sh            # N = 100 1000 5000
#   bench/operator-scale/run.sh 100 1000   # chosen sizes
# Env: OPERATOR_JAVA_OPTS (operator JVM flags), OPERATOR_PROPS (extra -D for the operator),
#      BENCH_OPTS (-Dbench.steadySeconds=60 -Dbench.idleTimeoutSeconds=20 -Dbench.kubeletDelayMs=200 ...),
#      REBUILD=1 to force ./mvnw package.
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

out=target/operator-scale
classes="$out/classes"
mkdir -p "$classes"
cp="$app/lib/main/*:target/classes"
javac -nowarn -d "$classes" -cp "$cp" bench/operator-scale/src/dev/collab/bench/*.java

# The launcher holds the mock API server (every object as JSON) and its own informers.
exec java -Xmx1g -XX:+UseParallelGC -Djava.util.logging.manager=java.util.logging.LogManager \
  ${BENCH_OPTS:-} -cp "$classes:$cp" dev.collab.bench.OperatorScaleBench "$app" "$out" "${sizes[@]}"
