#!/bin/sh
# Benchmark, not a test: how much imgutil pack costs over bare mksquashfs on the same tree, in the same
# run, with the same mksquashfs options (compression, exclusions, pseudo machine-id). pack runs with
# --no-initramfs so both sides do the same squashfs work; what remains is pack's own cost: sealing
# the container (AES-256-GCM by default), hashing every artifact, copying kernel and initramfs, the
# manifest. The issue's target is a ratio of at most 1.10.
#
# usage: imgutil/bench/pack-bench.sh TREE [ROUNDS] [-- extra pack options, e.g. --unencrypted]
#   TREE    a root tree, e.g. the cached test tree under /var/cache/tether-test/*/rootfs
#   ROUNDS  alternating runs of each (default 3); the best of each is compared
# Needs root, squashfs-tools, and target/imgutil.jar (./mvnw -pl imgutil -am package -DskipTests).
set -eu

tree=${1:?usage: pack-bench.sh TREE [ROUNDS] [-- pack options]}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift

here=$(dirname "$(readlink -f "$0")")
jar=$here/../target/imgutil.jar
[ -f "$jar" ] || { echo "pack-bench: build $jar first (./mvnw -pl imgutil -am package -DskipTests)" >&2; exit 1; }
java=${JAVA_HOME:+$JAVA_HOME/bin/}java

work=$(mktemp -d /var/tmp/pack-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# The exact mksquashfs command line pack uses, printed by the jar itself so the two cannot drift.
squashfs_command() {
    "$java" -cp "$jar" dev.tether.imgutil.pack.SquashfsCommandLine "$tree" "$work/bare.squashfs" zstd
}

now() { date +%s.%N; }
calc() { awk "BEGIN { print ($1) }"; }

best_bare=
best_pack=
overheads=
i=1
while [ "$i" -le "$rounds" ]; do
    rm -f "$work/bare.squashfs"
    start=$(now)
    squashfs_command | xargs -0 sh -c '"$@" >/dev/null' mksquashfs-bench
    bare=$(calc "$(now) - $start")

    rm -rf "$work/out"
    start=$(now)
    IMGUTIL_PROGRESS=plain "$java" -jar "$jar" pack "$tree" "$work/out" --no-initramfs --key-file "$work/key" \
        --scratch "$work" "$@" >/dev/null 2>"$work/pack.log" || { cat "$work/pack.log" >&2; exit 1; }
    packed=$(calc "$(now) - $start")

    # pack's own mksquashfs time, from its log: what pack adds is its total minus this, measured in one run.
    inner=$(sed -n 's/.*made the squashfs in \([0-9.]*\) s.*/\1/p' "$work/pack.log")
    printf 'round %d: mksquashfs %.2f s, imgutil pack %.2f s (its mksquashfs %.2f s, the rest %.2f s)\n' \
        "$i" "$bare" "$packed" "$inner" "$(calc "$packed - $inner")"
    overheads="$overheads $(calc "$packed - $inner")"
    if [ -z "$best_bare" ] || [ "$(calc "$bare < $best_bare")" = 1 ]; then best_bare=$bare; fi
    if [ -z "$best_pack" ] || [ "$(calc "$packed < $best_pack")" = 1 ]; then best_pack=$packed; fi
    i=$((i + 1))
done

squashfs_bytes=$(stat -c %s "$work/bare.squashfs")
image_bytes=$(stat -c %s "$work/out/root.img")
printf 'tree:            %s\n' "$tree"
printf 'squashfs:        %d MiB (bare), root.img %d MiB\n' $((squashfs_bytes >> 20)) $((image_bytes >> 20))
printf 'best mksquashfs: %.2f s\n' "$best_bare"
printf 'best pack:       %.2f s\n' "$best_pack"
printf 'ratio:           %.3f (target <= 1.10)\n' "$(calc "$best_pack / $best_bare")"
# The machine may be busy with other work, which swings whole runs; pack's own cost is steadier.
least=$(echo $overheads | tr ' ' '\n' | sort -n | head -1)
printf "pack's own cost: %.2f s at least, %.1f%% of the best mksquashfs\n" "$least" "$(calc "100 * $least / $best_bare")"
