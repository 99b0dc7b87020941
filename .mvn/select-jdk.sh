# Sourced by ./mvnw: Tether builds with a JDK of 21 or newer (it compiles with --release 21).
# Keep JAVA_HOME when it already points at one; otherwise pick the newest JDK >= 21 installed
# under /usr/lib/jvm, so `./mvnw verify` works on a machine whose default java is older.
tether_java_feature() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
if [ -z "${JAVA_HOME:-}" ] || [ "$(tether_java_feature "$JAVA_HOME")" -lt 21 ] 2>/dev/null || [ ! -x "${JAVA_HOME:-/nonexistent}/bin/java" ]; then
  for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate=${candidate%/}
    [ -x "$candidate/bin/javac" ] || continue
    feature=$(tether_java_feature "$candidate")
    if [ -n "$feature" ] && [ "$feature" -ge 21 ]; then
      export JAVA_HOME="$candidate"
      break
    fi
  done
fi
unset -f tether_java_feature
