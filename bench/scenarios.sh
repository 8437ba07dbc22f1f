# scenarios.sh — one function per measurement (sourced by run.sh). Each
# `scenario_X CONTENDER` starts the servers it needs, measures once, stops
# them, and prints the figures, space-separated, in the units of SCENARIOS in
# run.sh. DURATION (seconds), REQUESTS (redis, start-up) and IDLE_CONNS scale them.

# iperf3 bulk throughput in Gbit/s, with $1 streams.
iperf() {
  local contender=$1 streams=$2 port
  port=$(free_port)
  route "$contender" "$port"
  bg "${SERVER_WRAP[@]}" iperf3 -s -p "$port"
  wait_port "$port"
  start_middle "$contender" "$port"
  "${CLIENT_WRAP[@]}" iperf3 -c 127.0.0.1 -p "$CLIENT_PORT" -t "$DURATION" \
    -P "$streams" -J > "$B/iperf.json"
  stop_all
  python3 - "$B/iperf.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if "error" in d:
    sys.exit("iperf3: " + d["error"])
print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
PY
}
scenario_throughput_1() { iperf "$1" 1; }
scenario_throughput_4() { iperf "$1" 4; }

# The same bulk transfer by bench/stream, which moves it as iperf3 does (one
# thread per side over every stream, 128 KiB at a time), in Gbit/s: plaintext
# and under tlsshim as it is, and, as iperf3 cannot, doing TLS itself with
# BoringSSL configured as tlsshim configures it (native: stream-bssl). Only
# these three: a stunnel pair would need start_middle.
bulk() {
  local contender=$1 streams=$2 port suffix= recv_args=() send_args=()
  port=$(free_port)
  route "$contender" "$port"
  if [ "$contender" = native ]; then
    suffix=-bssl
    recv_args=("$SERVER_CERT" "$SERVER_KEY")
    send_args=("$CA_CERT" localhost)
  fi
  # Not bg: the receiver prints the figure, and ends with the streams.
  "${SERVER_WRAP[@]}" "$BUILD/bench/stream$suffix" recv "$port" "$streams" \
    "${recv_args[@]}" > "$B/stream.out" 2> "$B/stream.err" &
  local receiver=$!
  BG_PIDS+=("$receiver")
  # On failure the receiver's own message says most.
  if ! wait_port "$port" ||
    ! "${CLIENT_WRAP[@]}" "$BUILD/bench/stream$suffix" send 127.0.0.1 "$port" \
      "$DURATION" "$streams" "${send_args[@]}"; then
    cat "$B/stream.err" >&2
    return 1
  fi
  local status=0
  wait "$receiver" || status=$?
  BG_PIDS=()  # reaped: its number may be reused
  if [ "$status" != 0 ]; then
    cat "$B/stream.err" >&2
    return 1
  fi
  cat "$B/stream.out"
}
scenario_stream_1() { bulk "$1" 1; }
scenario_stream_4() { bulk "$1" 4; }

# sockperf ping-pong with 64-byte messages: p50 and p99 in microseconds.
scenario_latency() {
  local contender=$1 port
  port=$(free_port)
  route "$contender" "$port"
  bg "${SERVER_WRAP[@]}" sockperf sr --tcp -i 127.0.0.1 -p "$port"
  wait_port "$port"
  start_middle "$contender" "$port"
  "${CLIENT_WRAP[@]}" sockperf pp --tcp -i 127.0.0.1 -p "$CLIENT_PORT" \
    -t "$DURATION" -m 64 > "$B/sockperf.out" 2>&1
  stop_all
  awk '/percentile 50.000/ {p50=$NF} /percentile 99.000/ {p99=$NF}
       END {if (p50 == "") exit 1; print p50, p99}' "$B/sockperf.out"
}

# nginx_conf PORT SSL: nginx serving a 1 KiB file, with native TLS when SSL.
nginx_conf() {
  local port=$1 ssl=$2 dir=$B/nginx-$1
  mkdir -p "$dir/www"
  head -c 1024 /dev/zero | tr '\0' x > "$dir/www/1k.txt"
  cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $dir/body; proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port$([ "$ssl" = 1 ] && echo " ssl");
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $SERVER_CERT;
    ssl_certificate_key $SERVER_KEY;
    root $dir/www;
  }
}
CONF
  chmod -R a+rX "$dir"
}

# http_bench CONTENDER KIND: ab (a new connection per request) or wrk
# (keep-alive) against nginx; requests per second. For ab, also the CPU ab
# and nginx spent per request, in microseconds (a stunnel pair's own CPU is
# not in either).
http_bench() {
  local contender=$1 kind=$2 port scheme=http ssl=0
  port=$(free_port)
  [ "$contender" = native ] && scheme=https && ssl=1
  route "$contender" "$port"
  nginx_conf "$port" "$ssl"
  bg "${SERVER_WRAP[@]}" nginx -p "$B/nginx-$port" -c "$B/nginx-$port/nginx.conf" -g 'daemon off;'
  wait_port "$port"
  start_middle "$contender" "$port"
  local url="$scheme://127.0.0.1:$CLIENT_PORT/1k.txt"
  if [ "$kind" = ab ]; then
    # -t bounds the run by time (the slowest contender would otherwise take
    # minutes); -n after it lifts the cap of 50,000 requests -t implies.
    local before server_us
    children_cpu_us
    before=$CHILDREN_CPU_US
    "${CLIENT_WRAP[@]}" ab -q -t "$DURATION" -n 500000 -c 8 "$url" > "$B/ab.out" 2>&1 || true
    children_cpu_us
    server_us=$(tree_cpu_us "${BG_PIDS[0]}")
    stop_all
    awk -v client="$((CHILDREN_CPU_US - before))" -v server="$server_us" '
         /^Complete requests/ {n=$3} /^Failed requests/ {failed=$3}
         /^Requests per second/ {rps=$4}
         END {if (rps == "" || failed > 0 || n == 0) exit 1
              printf "%s %.1f %.1f\n", rps, client / n, server / n}' "$B/ab.out"
  else
    "${CLIENT_WRAP[@]}" wrk -t 2 -c 16 -d "${DURATION}s" "$url" > "$B/wrk.out" 2>&1 || true
    stop_all
    awk '/Non-2xx|Socket errors/ {bad=1} /^Requests\/sec/ {rps=$2}
         END {if (rps == "" || bad) exit 1; print rps}' "$B/wrk.out"
  fi
}
scenario_http_new_conn() { http_bench "$1" ab; }
scenario_http_keepalive() { http_bench "$1" wrk; }

# redis-benchmark GET and SET, 50 clients: requests per second.
scenario_redis() {
  local contender=$1 port tls=()
  port=$(free_port)
  route "$contender" "$port"
  local server=(redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$B")
  if [ "$contender" = native ]; then
    server=(redis-server --port 0 --tls-port "$port" --bind 127.0.0.1 --save '' --appendonly no
            --dir "$B" --tls-cert-file "$SERVER_CERT" --tls-key-file "$SERVER_KEY"
            --tls-auth-clients no)
    tls=(--tls --cacert "$CA_CERT" --sni localhost)
  fi
  bg "${SERVER_WRAP[@]}" "${server[@]}"
  wait_port "$port"
  start_middle "$contender" "$port"
  "${CLIENT_WRAP[@]}" redis-benchmark -h 127.0.0.1 -p "$CLIENT_PORT" "${tls[@]}" \
    -c 50 -n "$REQUESTS" -t get,set --csv > "$B/redis.csv" 2>&1 || true
  stop_all
  awk -F'"' '/^"GET"/ {get=$4} /^"SET"/ {set=$4}
             END {if (get == "" || set == "") exit 1; print get, set}' "$B/redis.csv"
}

# New connections per second: bench/connrate (8 threads: connect, one byte
# each way, close) against bench/echo_server. Under tlsshim every connection
# is a TLS handshake: a resumed one, or a full one for tlsshim-full. Their
# own TLS (native, native-full) is connrate-bssl and echo_server-bssl, the
# same programs calling BoringSSL themselves, configured as tlsshim
# configures it. Also the CPU each side spent per connection, in
# microseconds (a stunnel pair's own CPU is in neither).
scenario_conn_rate() {
  local contender=$1 port suffix= args=() mode
  port=$(free_port)
  route "$contender" "$port"
  case "$contender" in
    native | native-full)
      mode=$([ "$contender" = native ] && echo resumed || echo full)
      suffix=-bssl
      args=("$SERVER_CERT" "$SERVER_KEY" "$mode")
      ;;
  esac
  bg "${SERVER_WRAP[@]}" "$BUILD/bench/echo_server$suffix" "$port" "${args[@]}"
  wait_port "$port"
  start_middle "$contender" "$port"
  [ -n "$suffix" ] && args=("$CA_CERT" localhost "$mode")
  local before after out
  before=$(tree_cpu_us "${BG_PIDS[0]}")
  out=$("${CLIENT_WRAP[@]}" "$BUILD/bench/connrate$suffix" 127.0.0.1 "$CLIENT_PORT" \
    "$DURATION" 8 "${args[@]}")
  after=$(tree_cpu_us "${BG_PIDS[0]}")
  stop_all
  # connrate prints its rate, its number of connections and its CPU per
  # connection.
  echo "$out" | awk -v server="$((after - before))" '
      NF == 3 && $2 > 0 {printf "%s %s %.1f\n", $1, $3, server / $2; ok = 1}
      END {exit !ok}'
}

# Resident memory added per idle connection, over IDLE_CONNS (1,000; fewer
# in a quick run) idle connections,
# in KiB: the server side (bench/echo_server, plus a stunnel pair when that
# is the contender) and the client (idle_client.py),
# each measured from after a first, warm-up connection that loads whatever
# is loaded once.
# rss_kib: the resident memory of every process the scenario started (the
# server, and for stunnel the pair in the middle, which holds its TLS state).
rss_kib() {
  local pid total=0 kib
  for pid in "${BG_PIDS[@]}"; do
    kib=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}

scenario_idle_memory() {
  local contender=$1 port count=$IDLE_CONNS
  ulimit -n 4096
  port=$(free_port)
  route "$contender" "$port"
  bg "${SERVER_WRAP[@]}" "$BUILD/bench/echo_server" "$port"
  wait_port "$port"
  start_middle "$contender" "$port"
  local before after client line
  coproc IDLE { "${CLIENT_WRAP[@]}" python3 "$ROOT/bench/idle_client.py" "$CLIENT_PORT" "$count"; }
  read -r line <&"${IDLE[0]}"
  [ "$line" = warm ] || return 1
  before=$(rss_kib)
  echo go >&"${IDLE[1]}"
  read -r client <&"${IDLE[0]}"
  read -r line <&"${IDLE[0]}"
  [ "$line" = ready ] || return 1
  after=$(rss_kib)
  exec {IDLE[1]}>&-
  wait "$IDLE_PID" 2>/dev/null || true
  stop_all
  awk -v b="$before" -v a="$after" -v n="$count" -v c="$client" 'BEGIN {printf "%.2f %s\n", (a - b) / n, c}'
}

# Start-up cost of the preload in a process that touches no covered port:
# the microseconds the library adds to one run of /bin/true (bench/exectime:
# runs with and without it alternate, median of the pairs). For plaintext,
# both runs of a pair are without it: its figure is the measurement's noise.
scenario_startup() {
  local contender=$1 runs=$((REQUESTS / 20)) library=""
  tlsshim_config 1
  [ "$contender" = tlsshim ] && library=$BUILD/libtlsshim.so
  TLSSHIM_CONFIG=$B/tlsshim-1.ini "$BUILD/bench/exectime" "$runs" "$library" /bin/true
}

# BoringSSL's own CPU per handshake, client and server, full and resumed
# (bench/handshake: both ends in one process, no sockets), in microseconds.
scenario_handshake_cpu() {
  "$BUILD/bench/handshake" "$CA_CERT" "$SERVER_CERT" "$SERVER_KEY" "$DURATION"
}

# The crypto ceiling: AES-128-GCM sealing 16 KiB records on one core, GB/s.
scenario_crypto_ceiling() {
  bssl-tool speed -filter 'AES-128-GCM' -chunks 16384 -timeout "$DURATION" 2>/dev/null |
    awk '/AES-128-GCM \(16384 bytes\) seal/ {printf "%.2f\n", $(NF-1) / 1000; found=1; exit}
         END {if (!found) exit 1}'
}
