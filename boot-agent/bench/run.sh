#!/bin/sh
# Data-plane benchmark of the boot agent (issues 5, 16): tethered vs the reference (urlmount3's design; the real
# urlmount3 too when URLMOUNT names its binary) vs local disk, time to first file, untethered download vs one
# curl. Needs root, /dev/fuse, loop devices, mksquashfs, fio, curl and tc.
# Usage: boot-agent/bench/run.sh [work-dir]. BENCH_BIG_FILES sets the image size in 64 MiB files (default 16: a
# 1 GiB tree, a 528 MiB image; 4 for a quick run); BENCH_COMPRESSION the squashfs's compressor (default zstd, as
# imgutil packs root images); BENCH_CHUNK_KIB the container's chunk size; BENCH_READ_AHEAD_KIB the tethered
# reader's read-ahead; BENCH_FUSE_READ_AHEAD_KB the kernel's on the tethered FUSE file; BENCH_JAVA_OPTS adds JVM
# options (e.g. a JFR recording); BENCH_TRACE=1 prints each reader's FUSE reads per phase (count, size, latency, how
# many at once) and times 128 KiB random reads through each reader alone; BENCH_ROUNDS how often each reader is
# measured in the run (default 3; the last round is the figure, the first ones also pay for compiling the reader's
# code).
#
# The benchmark runs in its own network namespace. Edges are separate machines in a cluster, each behind
# its own link; on one host's loopback they are not, and every reader is bound by the CPU instead. So by
# default each edge's replies are shaped to BENCH_EDGE_LINK (1gbit, an HTB class on the namespace's
# loopback, matched by the edge's port) and the node's side is not limited; BENCH_EDGE_LINK=none
# measures plain loopback.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/tether-bench}
cd "$repo"
cp_file=$(mktemp)
# No install: the reactor resolves the sibling modules to their target/classes; each module writes the classpath
# file in turn and boot-agent, built last, writes it last.
./mvnw -q -pl boot-agent -am test-compile dependency:build-classpath -Dagent.bundle.skip=true \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
classpath="$repo/boot-agent/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
. "$repo/.mvn/select-jdk.sh"
java="$JAVA_HOME/bin/java"
out="$work/classes"
mkdir -p "$out"
"${java}c" -d "$out" -cp "$classpath" "$here/DataPlaneBench.java" "$here/UrlmountReference.java" "$here/LibfuseMount.java" "$here/TimedFile.java" \
    "$repo/dev/src/main/java/dev/tether/dev/PlainHttpConnection.java"
# Private mount and network namespaces: every mount and the traffic shaping vanish with them.
exec unshare --mount --net --propagation private env BENCH_EDGE_LINK="${BENCH_EDGE_LINK:-1gbit}" "$java" --enable-native-access=ALL-UNNAMED -Xmx2g ${BENCH_JAVA_OPTS:-} \
    -cp "$out:$classpath" DataPlaneBench "$work"
