# lib.sh — shared by the benchmark scenarios (sourced by run.sh).
#
# A contender is one way of carrying a scenario's TCP traffic:
#   plain    the programs talk plaintext TCP directly;
#   tlsshim  both programs run under tlsshim (server rule + client rule);
#            connections resume earlier sessions, as they do by default;
#   tlsshim-full  the same with `resumption = no`: every handshake is full;
#   stunnel  plaintext programs with a stunnel pair between them (client
#            mode in front of the client, server mode in front of the server);
#   native   the program's own TLS, where it has one (bench/connrate,
#            echo_server and stream have a -bssl build that calls BoringSSL
#            itself;
#            native-full is that without resumption).
# For each contender, `route NAME PORT` starts whatever sits in the middle
# and sets CLIENT_PORT (where the client connects), SERVER_WRAP and
# CLIENT_WRAP (command prefixes for the two programs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
CERTS=$BUILD/certs
B=${B:?run.sh sets B}
# BENCH_KEYS (p256, the default, or ed25519): the key type of the
# certificate that every contender's server presents, from the test PKI, and
# of its CA.
BENCH_KEYS=${BENCH_KEYS:-p256}
case "$BENCH_KEYS" in
  p256) PKI=$CERTS/ ;;
  ed25519) PKI=$CERTS/ed- ;;
  *) echo "bench: BENCH_KEYS is p256 or ed25519, not '$BENCH_KEYS'" >&2; exit 2 ;;
esac
SERVER_CERT=${PKI}server.pem
SERVER_KEY=${PKI}server.key
CA_CERT=${PKI}ca.pem

BG_PIDS=()
stop_all() {
  local pid
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  BG_PIDS=()
}

bg() {
  "$@" > /dev/null 2>&1 &
  BG_PIDS+=($!)
}

# children_cpu_us: sets CHILDREN_CPU_US to the CPU (user + system) that this
# shell's finished children have used so far, in microseconds (bash's
# `times`, to the millisecond). Call it directly, not in $(...): a subshell's
# children would be its own.
children_cpu_us() {
  times > "$B/times"
  CHILDREN_CPU_US=$(awk 'NR == 2 {
      for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] }
      printf "%d", t * 1e6 }' "$B/times")
}

# tree_cpu_us PID: the CPU (user + system) used so far by PID and every
# process below it, in microseconds (from /proc, in clock ticks).
tree_cpu_us() {
  local ticks
  ticks=$(tree_ticks "$1")
  echo $((ticks * 1000000 / $(getconf CLK_TCK)))
}
tree_ticks() {
  local pid=$1 total child
  # After the ") " that ends the command name, fields 12 and 13 are utime
  # and stime.
  total=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0)
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    total=$((total + $(tree_ticks "$child")))
  done
  echo "${total:-0}"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something listens on PORT (IPv4 or IPv6, any
# address). It reads the kernel's socket tables rather than connecting: a
# probe connection would reach the server (through a stunnel pair, too) and
# some servers, iperf3 among them, take it for a client.
wait_port() {
  local i hex
  hex=$(printf ':%04X' "$1")
  for ((i = 0; i < 400; i++)); do
    # Field 2 is the local address:port, field 4 the state; 0A is LISTEN.
    awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p {found = 1}
                     END {exit !found}' /proc/net/tcp /proc/net/tcp6 && return 0
    sleep 0.025
  done
  echo "bench: nothing listening on port $1" >&2
  return 1
}

# tlsshim_config PORT [RESUMPTION]: server and client rules for PORT in
# $B/tlsshim-PORT.ini; RESUMPTION is yes (default) or no.
tlsshim_config() {
  local port=$1 resumption=${2:-yes}
  cat > "$B/tlsshim-$port.ini" <<INI
[global]
log_level = error
[server:bench]
port = $port
cert = $SERVER_CERT
key = $SERVER_KEY
resumption = $resumption
[client:bench]
port = $port
ca_file = $CA_CERT
server_name = localhost
resumption = $resumption
INI
}

# stunnel_pair SERVER_PORT: stunnel in server mode on a new port in front of
# SERVER_PORT, and in client mode on another in front of that; sets
# CLIENT_PORT to the client-side port.
stunnel_pair() {
  local server_port=$1 tls_port plain_port
  tls_port=$(free_port)
  plain_port=$(free_port)
  cat > "$B/stunnel-s-$server_port.conf" <<CONF
foreground = yes
pid =
[s]
accept = 127.0.0.1:$tls_port
connect = 127.0.0.1:$server_port
cert = $SERVER_CERT
key = $SERVER_KEY
CONF
  cat > "$B/stunnel-c-$server_port.conf" <<CONF
foreground = yes
pid =
[c]
client = yes
accept = 127.0.0.1:$plain_port
connect = 127.0.0.1:$tls_port
CAfile = $CA_CERT
verifyChain = yes
checkHost = localhost
CONF
  bg stunnel4 "$B/stunnel-s-$server_port.conf"
  bg stunnel4 "$B/stunnel-c-$server_port.conf"
  wait_port "$tls_port"
  wait_port "$plain_port"
  CLIENT_PORT=$plain_port
}

# route CONTENDER PORT: see the header. The server must listen on PORT.
route() {
  local contender=$1 port=$2
  SERVER_WRAP=()
  CLIENT_WRAP=()
  CLIENT_PORT=$port
  case "$contender" in
    plain | native | native-full) ;;
    tlsshim | tlsshim-full)
      tlsshim_config "$port" "$([ "$contender" = tlsshim ] && echo yes || echo no)"
      SERVER_WRAP=("$BUILD/tlsshim" run -c "$B/tlsshim-$port.ini" --)
      CLIENT_WRAP=("$BUILD/tlsshim" run -c "$B/tlsshim-$port.ini" --)
      ;;
    stunnel) ;;  # the pair is started by start_middle once the server is up
    *)
      echo "bench: unknown contender $contender" >&2
      return 1
      ;;
  esac
}

# start_middle CONTENDER PORT: starts what sits between client and server
# once the server listens on PORT (the stunnel pair), updating CLIENT_PORT.
start_middle() {
  if [ "$1" = stunnel ]; then
    stunnel_pair "$2"
  fi
}
