#!/bin/sh
# Boot storm (issue #15): N simulated nodes power on at once and boot through the real servers (the in-memory
# Kubernetes API with the operator and its node API, one origin, three edges with empty caches, each behind its own
# shaped link), then the same N the reference design's way (one nginx on one such link, whole kernel and initramfs,
# root reads one request at a time on one connection per node). Prints a table per N, side by side; appends each run
# to the results file and draws time to root against N (SVG) from it. Needs root (network namespace, tc) and nginx.
#
# Usage: e2e/bench/storm/run.sh [work-dir]   (default /tmp/tether-storm)
#   STORM_N=50,100,250       node counts, each a storm of its own (default 50)
#   STORM_EDGE_LINK=1gbit    each server's link (none: plain loopback, CPU-bound)
#   STORM_TIME_SCALE=0.1     the trace's pauses (recorded under software emulation) scaled by this; 0: none
#   STORM_ARMED_PERCENT=10   nodes whose credential is armed and who fetch their API key over the network
#   STORM_BASELINE=false     skip the baseline
#   STORM_RESULTS=FILE STORM_SVG=FILE   where the runs (JSON lines) and the plot go
#   STORM_JAVA_OPTS          more options for the nodes' JVM (e.g. a JFR recording)
#   STORM_CLUSTER_JAVA_OPTS  more options for the JVM of the operator and the in-memory API server
#   STORM_NODES_NICE=10      the simulated nodes' JVM runs this much nicer than the servers (0: as nice)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=${1:-/tmp/tether-storm}
cd "$repo"
cp_file=$(mktemp)
# No install: the reactor resolves the sibling modules to their target/classes; e2e, built last, writes the file last.
nice -n 10 ./mvnw -q -pl e2e -am test-compile dependency:build-classpath -Dagent.bundle.skip=true \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
classpath="$repo/e2e/target/test-classes:$repo/e2e/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
. "$repo/.mvn/select-jdk.sh"
mkdir -p "$work"
# A network namespace of its own: the servers' addresses and the traffic shaping vanish with it.
# The simulated nodes stand for machines of their own, with CPUs of their own: their JVM yields the two cores to the
# servers (which ServerProcess starts as nice as this script), so that what the servers are measured at is theirs,
# not the nodes' CPU taken from them. What the nodes measure still includes their own wait (the scheduling lag).
nodes_nice=${STORM_NODES_NICE:-10}
# -XX:+UseZGC -Xms6g -XX:-UseDynamicNumberOfGCThreads: the 500 nodes' collector runs beside them (G1's young pauses
# of 0.5 to 1.5 s at N=500 stopped every simulated node at once; a real node's stops one), on a heap that does not
# grow in the storm, its threads all there from the start so that StormBench gives them the servers' niceness
# (NodeApiThreads.collectorAsNiceAsTheServers says why).
# -Djdk.tls.namedGroups=secp256r1: a node's node API TLS offers P-256 alone, as the agent's launcher has it
# (boot-agent/src/bundle/tether-agent says why): one key share per ClientHello, and the node API's ECDHE on P-256.
# glibc keeps the direct memory StormBench touches before the storms, for the nodes' chunk buffers: one arena for all
# threads, nothing trimmed or unmapped, chunk-sized buffers not mapped apart (StormBench.pretouchDirectMemory says why).
exec nice -n "$nodes_nice" unshare --net --mount --propagation private env MALLOC_ARENA_MAX=1 \
    MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_MMAP_THRESHOLD_=8388608 "$JAVA_HOME/bin/java" -Xms6g -Xmx6g \
    -XX:MaxDirectMemorySize=16g -XX:+UseZGC -XX:-UseDynamicNumberOfGCThreads -Djdk.tls.namedGroups=secp256r1 \
    -Dstorm.nodesNice="$nodes_nice" ${STORM_JAVA_OPTS:-} -cp "$classpath" \
    dev.tether.e2e.storm.StormBench "$work"
