#!/bin/sh
# Builds what imgutil build --agent-bundle copies to /usr/lib/tether/agent in the image, and what the initramfs
# hooks copy from there: boot-agent/target/agent-bundle, which holds
#   bin/tether-agent   the launcher
#   agent.squashfs     the runtime, which the launcher mounts read-only (/run/tether/agent-runtime) and runs the JVM from: a jlinked
#                      Java runtime with only the modules the agent uses, the shaded agent jar (lib/tether-agent.jar)
#                      and JNA's native library for this architecture
#   system-libraries   the sonames of the system libraries the runtime's ELF files link (libc, libm...), which the
#                      hooks copy into the initramfs: they cannot see into the squashfs to find them
# The runtime is also left unpacked in target/agent-runtime (a bundle of its own that runs in place: its selftest
# runs there, without the root a loop mount needs).
#
# Every byte here is downloaded by every node at every boot, and what the tethered agent maps or opens stays
# in the node's RAM for its whole life (issue #16). So: no tools but java, libjvm.so without its symbol table, a
# size budget that fails the build when the bundle grows, and the runtime as one squashfs: the initramfs is a RAM
# filesystem that keeps the squashfs file, compressed, in RAM, where the runtime's files unpacked would be 55 MiB
# (the pages the JVM reads from the mount are page cache that the kernel can drop and read again).
#
# The squashfs: zstd level 19 in 1 MiB blocks (squashfs's largest, and zstd's window in them; level 22 saves 4 KB).
# xz with its x86 branch filter packs the same runtime 2.7 MB smaller (18.7 MB where zstd makes 21.5), and was used
# from 2026-12-04 to 2026-12-06, but the kernel decompresses xz about ten times slower, and a JVM start reads the
# whole of libjvm.so and the AOT cache, and most of lib/modules, from a fresh mount (it maps them; each page it touches
# brings in its 1 MiB block): `tether-agent --version` on a fresh mount took 0.26-0.35 s (0.12-0.17 s of it system
# CPU) with zstd, 1.1-1.5 s (1.0-1.3 s system) with xz, whatever the block size (2026-12-04, page cache dropped before
# each), and 3.3-3.9 s more at every emulated boot in the VM suite. xz paid for issue #16's download target (what
# Tether adds to the image's initramfs, 20 MB) while Tether's initramfs kept Debian's disk drivers; since it is made
# with MODULES=netboot (imgutil's conf.d/00-tether) a Tether initramfs is 12 MB over the stock one with xz and about
# 15 MB with zstd, so the second of CPU at every boot is no longer traded for download (docs/architecture.md has both
# ways measured). The class files in lib/modules are stored as jlink's COMPRESS says (zip-0, none, by default), so
# that the squashfs's compressor packs them together (jlink's per-class zip would leave it little to do).
#
# Usage: make-bundle.sh JAVA_HOME AGENT_JAR JNA_JAR LAUNCHER MODULES OUTPUT BUDGET_BYTES COMPRESS RUNTIME
set -eu
java_home=$1 jar=$2 jna_jar=$3 launcher=$4 modules=$5 bundle=$6 budget=$7 compress=$8 out=$9

command -v mksquashfs >/dev/null 2>&1 || {
    echo "make-bundle.sh: no mksquashfs here; the agent's runtime is shipped as a squashfs (apt install squashfs-tools)" >&2
    exit 1
}

rm -rf "$out" "$bundle"
"$java_home/bin/jlink" --add-modules "$modules" \
    --strip-debug --no-header-files --no-man-pages --compress "$compress" \
    --output "$out"
# The launcher runs bin/java only.
find "$out/bin" -type f ! -name java -exec rm -f {} +
# What a runtime that only runs the agent never reads: jrt-fs.jar serves this runtime's classes to another JDK's
# tools, classlist is the input of a class-data archive dump, jexec runs jars through binfmt_misc, libjsig.so is
# for programs that preload it to chain signal handlers.
rm -f "$out/lib/jrt-fs.jar" "$out/lib/classlist" "$out/lib/jexec" "$out/lib/libjsig.so"
# The symbol table is for debuggers; the dynamic symbols the JVM needs stay.
if command -v strip >/dev/null 2>&1; then
    find "$out/lib" -name '*.so' -exec strip --strip-unneeded {} +
else
    echo "make-bundle.sh: no strip (binutils) here: the native libraries keep their symbol tables" >&2
fi

# The agent jar with its entries stored, not deflated: the squashfs's compressor then packs its classes together
# (1.25 MB in zstd where the deflated jar stays 2.0 MB; every node downloads the difference at every boot), and the
# JVM reads a class it loads from the jar (those the AOT cache does not hold) without inflating it. A fixed date: the
# same jar makes the same bytes.
unpacked_jar=$(mktemp -d)
jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")
(cd "$unpacked_jar" && "$java_home/bin/jar" xf "$jar")
"$java_home/bin/jar" --create --no-compress --date=1980-01-01T00:00:02Z --file "$out/lib/tether-agent.jar" \
    --manifest "$unpacked_jar/META-INF/MANIFEST.MF" -C "$unpacked_jar" .
rm -rf "$unpacked_jar"
cp "$launcher" "$out/bin/tether-agent"
chmod 755 "$out/bin/tether-agent"

# What differs by architecture: JNA's native library (JNA would unpack it into a temporary directory at every start,
# so this architecture's is shipped unpacked; the shaded jar carries none).
case "$(uname -m)" in
    x86_64) jna_arch=linux-x86-64 ;;
    aarch64) jna_arch=linux-aarch64 ;;
    *) echo "make-bundle.sh: no JNA native library known for $(uname -m)" >&2; exit 1 ;;
esac
jna_jar=$(cd "$(dirname "$jna_jar")" && pwd)/$(basename "$jna_jar")
(cd "$out/lib" && "$java_home/bin/jar" xf "$jna_jar" "com/sun/jna/$jna_arch/libjnidispatch.so" \
    && mv "com/sun/jna/$jna_arch/libjnidispatch.so" . && rm -rf com)

"$out/bin/tether-agent" --version
# The shaded jar must still hold what is only loaded reflectively or through JNA: run each kind of it.
"$out/bin/tether-agent" selftest
# The AOT cache the launcher maps (see bin/tether-agent), trained by the same selftest: the classes a boot loads
# (JSON, host keys, and a whole TLS exchange of the node API client with a server on loopback: cli/SelftestTls)
# parsed, verified and linked once here instead of at every boot.
"$out/bin/tether-agent" train-aot-cache "$out/lib/tether-agent.aot"
test -s "$out/lib/tether-agent.aot" || { echo "make-bundle.sh: the AOT cache was not written" >&2; exit 1; }

# The system libraries the runtime links, by soname (ldd resolves them on this machine; the image has its own).
: > "$out.libraries"
find "$out" -type f \( -name '*.so' -o -path '*/bin/java' \) | while read -r elf; do
    ldd "$elf" | while read -r name arrow path _; do
        case $arrow in
        "=>") case $path in "$out"/* | "" | not) ;; *) echo "$name" ;; esac ;;
        *) case $name in /*) echo "${name##*/}" ;; esac ;;
        esac
    done
done | sort -u > "$out.libraries"

mkdir -p "$bundle/bin"
cp "$launcher" "$bundle/bin/tether-agent"
chmod 755 "$bundle/bin/tether-agent"
mv "$out.libraries" "$bundle/system-libraries"
# Fixed times and owners: the same runtime makes the same file.
# In zstd (above): the root images imgutil packs are zstd squashfs by default, so a kernel that boots one reads this.
mksquashfs "$out" "$bundle/agent.squashfs" -noappend -quiet -no-progress \
    -comp zstd -Xcompression-level 19 -b 1M -all-root -no-xattrs -no-exports -mkfs-time 0 -all-time 0 >/dev/null

# What the bundle weighs, largest first, and the budget it must stay under: an initramfs is zstd-compressed
# (Debian's mkinitramfs: level 9), so that is the figure a node's download grows by.
total=$(du -sb "$bundle" | cut -f1)
echo "agent bundle: $total bytes in all; the runtime in it (agent.squashfs), unpacked, largest files first:"
(cd "$out" && find . -type f -size +100k -exec du -b {} + | sort -rn | sed 's/^/    /')
echo "agent bundle: links the system libraries $(tr '\n' ' ' < "$bundle/system-libraries")"
if command -v zstd >/dev/null 2>&1; then
    compressed=$(tar -C "$bundle" -cf - . | zstd -q -9 -c | wc -c)
    echo "agent bundle: $compressed bytes as zstd -9 (initramfs budget $budget)"
    if [ "$compressed" -gt "$budget" ]; then
        echo "make-bundle.sh: the agent bundle is $compressed bytes compressed, over its budget of $budget;" \
            "find what grew in the list above (a dependency the shaded jar took in, a module added to jlink)" >&2
        exit 1
    fi
else
    echo "make-bundle.sh: no zstd here: the compressed size is not checked against the budget of $budget" >&2
fi
