#!/usr/bin/env bash
# Benchmark (not a test): nginx and a Tether edge serving the same 1 GiB blob from the same disk
# on loopback, under the same wrk load:
#   ranges - random 1 MiB ranges over 64 connections (tethered nodes reading image chunks)
#   whole  - whole-file downloads over 4 connections (iPXE, untethered nodes)
# Prints requests/s, MiB/s, p50 and p99 latency and the server CPU time per GiB served for both,
# and the edge/nginx ratios.
#
# Both servers get the same warm-up (the JVM compiles its hot path in the first seconds; nginx
# needs none, but a server runs for days). The measured runs then alternate nginx, edge, nginx,
# edge, … and each figure is the median of its rounds, so load from elsewhere on the machine
# falls on both alike.
#
# Usage: content-server/bench/run.sh
#   BENCH_SECONDS=15 BENCH_ROUNDS=3 BENCH_WARMUP=20 BENCH_SIZE_MIB=1024 BENCH_DIR=/var/tmp/tether-bench
#   BENCH_SCENARIOS="ranges whole" BENCH_JAVA_OPTS=… (the edge's JVM) BENCH_EDGE_ARGS=… (e.g. --io-threads 1)
#   BENCH_NGINX_TCP_NOPUSH=on (as Debian's nginx.conf has it: TCP_CORK around each response; off to compare)
# Needs: nginx (nginx-light), wrk, curl, sha256sum; a JDK for ./mvnw. Loopback only.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${BENCH_SECONDS:-15}"
rounds="${BENCH_ROUNDS:-3}"
warmup="${BENCH_WARMUP:-20}"
size_mib="${BENCH_SIZE_MIB:-1024}"
work="${BENCH_DIR:-/var/tmp/tether-bench}"
nginx_port="${BENCH_NGINX_PORT:-18080}"
edge_port="${BENCH_EDGE_PORT:-18081}"
scenarios="${BENCH_SCENARIOS:-ranges whole}"

for tool in nginx wrk curl sha256sum; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (apt-get install nginx-light wrk curl)" >&2; exit 2; }
done
nginx_bin="$(command -v nginx)"

jar="$(ls "$repo"/content-server/target/tether-content-server-*-all.jar 2>/dev/null | head -1 || true)"
if [ -z "$jar" ]; then
  echo "== building the content-server jar"
  (cd "$repo" && ./mvnw -q -pl content-server -am package -DskipTests)
  jar="$(ls "$repo"/content-server/target/tether-content-server-*-all.jar | head -1)"
fi

mkdir -p "$work/cache/blobs/sha256" "$work/nginx"
rm -f "$work"/wrk-*.txt "$work"/rounds-*.txt
blob_src="$work/blob-${size_mib}MiB"
if [ ! -f "$blob_src" ]; then
  echo "== writing a ${size_mib} MiB random blob"
  head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$blob_src.tmp"
  mv "$blob_src.tmp" "$blob_src"
fi
hex="$(sha256sum "$blob_src" | cut -c1-64)"
# The same file for both servers: nginx's root is the edge's cache directory.
ln -f "$blob_src" "$work/cache/blobs/sha256/$hex" 2>/dev/null || cp "$blob_src" "$work/cache/blobs/sha256/$hex"
size="$(stat -c %s "$blob_src")"
path="/blobs/sha256/$hex"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

cores="$(nproc)"
cat > "$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes $cores;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush ${BENCH_NGINX_TCP_NOPUSH:-on};
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/cache;
        location / { }
    }
}
CONF
"$nginx_bin" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=("$nginx_pid")

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if [ -z "${JAVA_HOME:-}" ]; then
  # shellcheck disable=SC1091
  . "$repo/.mvn/select-jdk.sh" && java="$JAVA_HOME/bin/java"
fi
# Started the way production starts it (bin/content-server), with a fixed heap.
JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$java")")}" CONTENT_SERVER_JAR="$jar" \
  CONTENT_SERVER_JAVA_OPTS="-Xms1g -Xmx1g ${BENCH_JAVA_OPTS:-}" "$repo/content-server/bin/content-server" edge \
  --cache "$work/cache" --quota "$((size + (1 << 30)))" --origin http://127.0.0.1:9 \
  --bind 127.0.0.1 --port "$edge_port" ${BENCH_EDGE_ARGS:-} > "$work/edge.log" 2>&1 &
edge_pid=$!
pids+=("$edge_pid")

for port in "$nginx_port" "$edge_port"; do
  for _ in $(seq 100); do
    curl -fsS -o /dev/null -r 0-0 "http://127.0.0.1:$port$path" 2>/dev/null && break
    sleep 0.2
  done
  curl -fsS -o /dev/null -r 0-0 "http://127.0.0.1:$port$path" || { echo "bench: server on $port did not come up" >&2; cat "$work/edge.log" >&2; exit 1; }
done

# Both must hand out the same bytes before their speed means anything.
for r in 0-1048575 $((size - 1048576))-; do
  cmp <(curl -fsS -r "$r" "http://127.0.0.1:$nginx_port$path") <(curl -fsS -r "$r" "http://127.0.0.1:$edge_port$path") \
    || { echo "bench: nginx and the edge differ on range $r" >&2; exit 1; }
done

export BLOB_PATH="$path" BLOB_SIZE="$size"

# wrk's text output to: requests/s, MiB/s, p50 ms, p99 ms, errors
parse() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    function mib(v) { if (v ~ /GB$/) return v * 1024; if (v ~ /MB$/) return v + 0; if (v ~ /KB$/) return v / 1024; if (v ~ /B$/) return v / 1048576; return v }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec/ { rps = $2 }
    /^Transfer\/sec/ { tps = mib($2) }
    /Socket errors/ { err = $0 }
    /Non-2xx/ { err = err " " $0 }
    END { printf "%.1f %.1f %.2f %.2f %s\n", rps, tps, p50, p99, (err == "" ? "-" : err) }'
}

wrk_args() { # scenario -> wrk arguments
  if [ "$1" = ranges ]; then
    echo "-t2 -c64 -s $repo/content-server/bench/ranges.lua"
  else
    echo "-t2 -c4"
  fi
}

port_of() { if [ "$1" = edge ]; then echo "$edge_port"; else echo "$nginx_port"; fi; }

# CPU time (clock ticks, user + system) a server has used so far: the JVM, or nginx's master and
# workers. Unlike throughput it hardly depends on what else the machine is doing.
cpu_ticks() {
  local procs
  if [ "$1" = edge ]; then procs="$edge_pid"; else procs="$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"; fi
  local total=0 p
  for p in $procs; do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
ticks_per_second="$(getconf CLK_TCK)"

# The median of the rounds, field by field: requests/s, MiB/s, p50, p99, CPU s/GiB.
median() {
  awk '{ for (i = 1; i <= 5; i++) v[i, NR] = $i } END {
    for (i = 1; i <= 5; i++) { n = 0; for (r = 1; r <= NR; r++) a[++n] = v[i, r];
      for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
      printf "%s%s", (i > 1 ? " " : ""), a[int((n + 1) / 2)] }
    print "" }'
}

declare -A result
echo "== ${rounds} rounds of ${seconds}s per server and scenario after ${warmup}s warm-up; $cores cores;" \
  "blob ${size_mib} MiB; nginx $("$nginx_bin" -v 2>&1 | cut -d/ -f2); edge $(basename "$jar")"
for scenario in $scenarios; do
  # shellcheck disable=SC2046
  for server in nginx edge; do
    wrk $(wrk_args "$scenario") -d"${warmup}s" --timeout 30s "http://127.0.0.1:$(port_of $server)$path" > /dev/null
  done
  for round in $(seq "$rounds"); do
    for server in nginx edge; do
      out="$work/wrk-$scenario-$server-$round.txt"
      before="$(cpu_ticks "$server")"
      # shellcheck disable=SC2046
      wrk $(wrk_args "$scenario") -d"${seconds}s" --latency --timeout 30s "http://127.0.0.1:$(port_of $server)$path" > "$out"
      after="$(cpu_ticks "$server")"
      read -r rps tps p50 p99 _ <<< "$(parse < "$out")"
      # Server CPU seconds per GiB served.
      cpu="$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v mib="$tps" -v s="$seconds" \
        'BEGIN { printf "%.3f", (t / hz) / (mib * s / 1024) }')"
      line="$rps $tps $p50 $p99 $cpu"
      echo "   $scenario $server round $round: $line"
      echo "$line" >> "$work/rounds-$scenario-$server.txt"
    done
  done
  for server in nginx edge; do
    result[$scenario-$server]="$(median < "$work/rounds-$scenario-$server.txt")"
    rm -f "$work/rounds-$scenario-$server.txt"
  done
done

echo
printf '%-8s %-6s %12s %12s %10s %10s %12s\n' scenario server 'req/s' 'MiB/s' 'p50 ms' 'p99 ms' 'CPU s/GiB'
for scenario in $scenarios; do
  for server in nginx edge; do
    read -r rps tps p50 p99 cpu <<< "${result[$scenario-$server]}"
    printf '%-8s %-6s %12s %12s %10s %10s %12s\n' "$scenario" "$server" "$rps" "$tps" "$p50" "$p99" "$cpu"
  done
  read -r nr nt _ np99 ncpu <<< "${result[$scenario-nginx]}"
  read -r er et _ ep99 ecpu <<< "${result[$scenario-edge]}"
  awk -v nt="$nt" -v et="$et" -v np="$np99" -v ep="$ep99" -v nc="$ncpu" -v ec="$ecpu" -v s="$scenario" \
    'BEGIN { printf "%-8s %-6s %12s %11.2fx %10s %9.2fx %11.2fx\n", s, "ratio", "", et / nt, "", ep / np, ec / nc }'
done
printf '(median of %s rounds; MiB/s ratio: higher is better; p99 and CPU-per-GiB ratios: lower is better)\n' "$rounds"
for f in "$work"/wrk-*.txt; do
  grep -qE 'Socket errors|Non-2xx' "$f" && { echo "note: $(basename "$f"): $(grep -E 'Socket errors|Non-2xx' "$f" | tr -s ' ')"; }
done
exit 0
