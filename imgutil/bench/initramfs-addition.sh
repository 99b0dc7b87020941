#!/bin/sh
# Measurement, not a test: what Tether adds to an image's own initramfs (issue #16: at most 20 MB compressed).
# Builds the tree's initramfs with the tree's own mkinitramfs and initramfs.conf (MODULES, COMPRESS and its level
# as the image has them) once stock, once with Tether's configuration alone (conf.d/00-tether: MODULES=netboot, the
# network drivers and no disk drivers), then once with Tether's initramfs-tools hook, boot script and configuration
# and each given agent bundle at /usr/lib/tether/agent (as imgutil build --agent-bundle installs them), and prints
# the sizes side by side: what the agent adds (against the netboot one), what a Tether initramfs weighs against the
# stock one, and what the bundle alone weighs as tar | zstd -9 (what make-bundle.sh checks against its budget).
#
# usage: imgutil/bench/initramfs-addition.sh TREE BUNDLE...
#   TREE    a Debian-family root tree with a kernel, initramfs-tools and imgutil's base packages, e.g. one made by
#           debootstrap --variant=minbase --include=linux-image-amd64,initramfs-tools,zstd,... (see BasePackages);
#           Tether's files are put into it for each build and taken out again, so use a tree of your own
#   BUNDLE  an agent bundle directory, e.g. boot-agent/target/agent-bundle (./mvnw -pl boot-agent -am package
#           -DskipTests); copy it elsewhere first to compare two builds of it
# Needs root (chroot). Each initramfs takes a few minutes with MODULES=most.
set -eu

tree=$(readlink -f "${1:?usage: initramfs-addition.sh TREE BUNDLE...}")
shift
[ $# -ge 1 ] || { echo "usage: initramfs-addition.sh TREE BUNDLE..." >&2; exit 2; }
here=$(dirname "$(readlink -f "$0")")
integration=$here/../src/main/resources/dev/tether/imgutil/initramfs/initramfs-tools
kernel=$(ls "$tree/lib/modules" | sort -V | tail -n 1)
work=$(mktemp -d /var/tmp/initramfs-addition.XXXXXX)

remove_tether() {
    rm -rf "$tree/etc/initramfs-tools/hooks/tether" "$tree/etc/initramfs-tools/scripts/tether" \
        "$tree/etc/initramfs-tools/conf.d/00-tether" "$tree/usr/lib/tether"
}
trap 'remove_tether; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# build NAME: the tree's initramfs as it stands, to $work/NAME.img; prints its size in bytes.
build() {
    unshare --mount --fork sh -c 'mount -t proc proc "$1/proc" && chroot "$1" mkinitramfs -o "/tmp/$2.img" "$3"' \
        sh "$tree" "$1" "$kernel" >"$work/$1.log" 2>&1 || { cat "$work/$1.log" >&2; exit 1; }
    mv "$tree/tmp/$1.img" "$work/$1.img"
    stat -c %s "$work/$1.img"
}

remove_tether
stock=$(build stock)
install -D -m 644 "$integration/conf" "$tree/etc/initramfs-tools/conf.d/00-tether"
netboot=$(build netboot)
grep -E '^(MODULES|COMPRESS|COMPRESSLEVEL)=' "$tree/etc/initramfs-tools/initramfs.conf" | tr '\n' ' '
echo "kernel $kernel"
printf '%-50s %12s %12s %12s %14s\n' "initramfs" "bytes" "agent adds" "vs stock" "bundle zstd -9"
printf '%-50s %12s %12s %12s %14s\n' "stock" "$stock" "-" "-" "-"
printf '%-50s %12s %12s %12s %14s\n' "stock with Tether's MODULES=netboot" "$netboot" "-" "$((netboot - stock))" "-"
n=0
for bundle in "$@"; do
    n=$((n + 1))
    bundle=$(readlink -f "$bundle")
    remove_tether
    install -D -m 755 "$integration/hook" "$tree/etc/initramfs-tools/hooks/tether"
    install -D -m 644 "$integration/script" "$tree/etc/initramfs-tools/scripts/tether"
    install -D -m 644 "$integration/conf" "$tree/etc/initramfs-tools/conf.d/00-tether"
    mkdir -p "$tree/usr/lib/tether/agent"
    cp -a "$bundle/." "$tree/usr/lib/tether/agent/"
    size=$(build "tether-$n")
    alone=$(tar -C "$bundle" -cf - . | zstd -q -9 -c | wc -c)
    printf '%-50s %12s %12s %12s %14s\n' "with Tether: $bundle" "$size" "$((size - netboot))" "$((size - stock))" "$alone"
done
