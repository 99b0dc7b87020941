#!/bin/sh
# Builds boot-agent/target/agent-bundle: a jlinked Java runtime with only the modules the agent uses, the
# shaded agent jar, JNA's native library for this architecture, and the bin/tether-agent launcher. This is
# what imgutil build --agent-bundle copies to /usr/lib/tether/agent in the image, and what the initramfs
# hooks copy from there.
#
# Every byte here is downloaded by every node at every boot, and what the tethered agent maps or opens stays
# in the node's RAM for its whole life (issue #16). So: no class-data archive (see bin/tether-agent), no tools
# but java, libjvm.so without its symbol table, and a size budget that fails the build when the bundle grows.
#
# The class files in lib/modules are stored as jlink's COMPRESS says (zip-0, none, by default): the initramfs is
# compressed whole (zstd -9 on Debian), which packs plain class files into far fewer bytes than jlink's
# per-class zip does (the modules of this runtime: 6.9 MB as zstd -9 plain, 12.0 MB zip-6). The price is RAM:
# the tethered agent keeps lib/modules mapped, so a node holds 27.6 MB of it instead of 12.5 MB.
#
# Usage: make-bundle.sh JAVA_HOME AGENT_JAR JNA_JAR LAUNCHER MODULES OUTPUT BUDGET_BYTES COMPRESS
set -eu
java_home=$1 jar=$2 jna_jar=$3 launcher=$4 modules=$5 out=$6 budget=$7 compress=$8

rm -rf "$out"
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

cp "$jar" "$out/lib/tether-agent.jar"
cp "$launcher" "$out/bin/tether-agent"
chmod 755 "$out/bin/tether-agent"

# JNA would unpack its native library into a temporary directory at every start; ship this architecture's
# unpacked (the shaded jar carries none).
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

# What the bundle weighs, largest first, and the budget it must stay under: an initramfs is zstd-compressed
# (Debian's mkinitramfs: level 9), so that is the figure a node's download grows by.
total=$(du -sb "$out" | cut -f1)
echo "agent bundle: $total bytes in all; largest files:"
(cd "$out" && find . -type f -size +100k -exec du -b {} + | sort -rn | sed 's/^/    /')
if command -v zstd >/dev/null 2>&1; then
    compressed=$(tar -C "$out" -cf - . | zstd -q -9 -c | wc -c)
    echo "agent bundle: $compressed bytes as zstd -9 (initramfs budget $budget)"
    if [ "$compressed" -gt "$budget" ]; then
        echo "make-bundle.sh: the agent bundle is $compressed bytes compressed, over its budget of $budget;" \
            "find what grew in the list above (a dependency the shaded jar took in, a module added to jlink)" >&2
        exit 1
    fi
else
    echo "make-bundle.sh: no zstd here: the compressed size is not checked against the budget of $budget" >&2
fi
