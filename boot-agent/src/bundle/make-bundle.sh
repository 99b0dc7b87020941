#!/bin/sh
# Builds boot-agent/target/agent-bundle: a jlinked Java runtime with only the modules the agent uses, the
# shaded agent jar, JNA's native library for this architecture, and the bin/tether-agent launcher. This is
# what imgutil build --agent-bundle copies to /usr/lib/tether/agent in the image, and what the initramfs
# hooks copy from there.
# Usage: make-bundle.sh JAVA_HOME AGENT_JAR LAUNCHER MODULES OUTPUT
set -eu
java_home=$1 jar=$2 launcher=$3 modules=$4 out=$5

rm -rf "$out"
"$java_home/bin/jlink" --add-modules "$modules" \
    --strip-debug --no-header-files --no-man-pages --compress zip-6 \
    --generate-cds-archive --output "$out"
# The CDS archive for heaps above 32 GiB is never used with the agent's small heap.
rm -f "$out/lib/server/classes_nocoops.jsa"

cp "$jar" "$out/lib/tether-agent.jar"
cp "$launcher" "$out/bin/tether-agent"
chmod 755 "$out/bin/tether-agent"

# JNA would unpack its native library into a temporary directory at every start; ship it unpacked.
case "$(uname -m)" in
    x86_64) jna_arch=linux-x86-64 ;;
    aarch64) jna_arch=linux-aarch64 ;;
    *) echo "make-bundle.sh: no JNA native library known for $(uname -m)" >&2; exit 1 ;;
esac
(cd "$out/lib" && "$java_home/bin/jar" xf tether-agent.jar "com/sun/jna/$jna_arch/libjnidispatch.so" \
    && mv "com/sun/jna/$jna_arch/libjnidispatch.so" . && rm -rf com)

"$out/bin/tether-agent" --version
