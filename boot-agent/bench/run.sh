#!/bin/sh
# Data-plane benchmark of the boot agent (issue 5): tethered vs a single-connection reader vs local disk,
# time to first file, untethered download vs one curl. Needs root, /dev/fuse, loop devices, mksquashfs,
# fio and curl. Usage: boot-agent/bench/run.sh [work-dir]; BENCH_JAVA_OPTS adds JVM options (e.g. a JFR recording).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/tether-bench}
cd "$repo"
./mvnw -q -pl boot-agent -am install -DskipTests
cp_file=$(mktemp)
./mvnw -q -pl boot-agent dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
classpath="$repo/boot-agent/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
. "$repo/.mvn/select-jdk.sh"
java="$JAVA_HOME/bin/java"
out="$work/classes"
mkdir -p "$out"
"${java}c" -d "$out" -cp "$classpath" "$here/DataPlaneBench.java" "$here/SingleConnectionReader.java"
# A private mount namespace: every mount the benchmark makes vanishes with it.
exec unshare --mount --propagation private "$java" --enable-native-access=ALL-UNNAMED -Xmx2g ${BENCH_JAVA_OPTS:-} \
    -cp "$out:$classpath" DataPlaneBench "$work"
