# lib.sh — shared by the integration tests (sourced). Each test runs in its
# own temporary directory $T, made and removed by run.sh; everything a test
# starts in the background is killed when it exits.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build
LIB=$BUILD/libtlsshim.so
LAUNCHER=$BUILD/tlsshim
PROGRAMS=$BUILD/programs
CERTS=$BUILD/certs
T=${T:?run.sh sets T}
# nginx workers run unprivileged: let them read what the test serves.
chmod 755 "$T"
umask 022
# The tests' own Python scripts import pki.py (the test PKI's server context).
export PYTHONPATH="$ROOT/tests/integration${PYTHONPATH:+:$PYTHONPATH}"

"$ROOT/tests/certs/make-certs.sh" "$CERTS"

BG_PIDS=()
cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BG_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "required program '$tool' is not installed (make deps)"
  done
}

# free_port prints a TCP port the kernel says is free on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT [HOST]: returns once something accepts on PORT, or fails
# after ten seconds.
wait_port() {
  local port=$1 host=${2:-127.0.0.1} i
  for ((i = 0; i < 200; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  fail "nothing is listening on $host:$port after 10 s"
}

# bg CMD...: runs CMD in the background, killed when the test ends.
bg() {
  "$@" &
  BG_PIDS+=($!)
}

# start_nginx_tls PORT CERT KEY [DIRECTIVES]: nginx serving $T/www with
# native TLS; DIRECTIVES (e.g. ssl_ciphers ...;) go into its server block.
start_nginx_tls() {
  local port=$1 cert=$2 key=$3 extra=${4:-}
  mkdir -p "$T/www" "$T/nginx-$port"
  cat > "$T/nginx-$port/nginx.conf" <<CONF
worker_processes 1;
pid $T/nginx-$port/nginx.pid;
error_log $T/nginx-$port/error.log;
events { worker_connections 256; }
http {
  access_log $T/nginx-$port/access.log;
  client_body_temp_path $T/nginx-$port/body;
  proxy_temp_path $T/nginx-$port/proxy;
  fastcgi_temp_path $T/nginx-$port/fastcgi;
  uwsgi_temp_path $T/nginx-$port/uwsgi;
  scgi_temp_path $T/nginx-$port/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    listen [::1]:$port ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    $extra
    root $T/www;
  }
}
CONF
  bg nginx -p "$T/nginx-$port" -c "$T/nginx-$port/nginx.conf" -g 'daemon off;'
  wait_port "$port"
}

# start_tls_echo PORT: a native TLS echo server (socat, OpenSSL).
start_tls_echo() {
  local port=$1
  bg socat "OPENSSL-LISTEN:$port,reuseaddr,fork,cert=$CERTS/server.pem,key=$CERTS/server.key,verify=0" PIPE
  wait_port "$port"
}

# start_tap LISTEN BACKEND: records client->server bytes into $T/tap-LISTEN.
start_tap() {
  bg python3 "$ROOT/tests/integration/tap.py" "$1" "$2" "$T/tap-$1"
  wait_port "$1"
}

# tapped_tls_echo: a native TLS echo server behind a tap, and $T/app.ini
# with a client rule for the tap's port, which it puts in $TAP. The bytes
# the client sends are recorded in $T/tap-$TAP.
tapped_tls_echo() {
  local port
  port=$(free_port)
  TAP=$(free_port)
  start_tls_echo "$port"
  start_tap "$TAP" "$port"
  client_config "$T/app.ini" "$TAP"
}

# client_config FILE PORTS [KEY=VALUE...]: a config with one client rule
# trusting the test CA, unless a ca_file= is given.
client_config() {
  local file=$1 ports=$2
  shift 2
  rule_config "$file" client "$ports" "ca_file=$CERTS/ca.pem" -- "$@"
}

# rule_config FILE KIND PORTS DEFAULTS... -- KEY=VALUE...: one KIND rule with
# the given keys, and each default whose key is not among them.
rule_config() {
  local file=$1 kind=$2 ports=$3 kv given
  shift 3
  local -a defaults=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    defaults+=("$1")
    shift
  done
  shift || true
  given=" ${*%%=*} "
  {
    printf '[global]\nlog_level = info\nlog_file = %s\n\n' "$T/tlsshim.log"
    printf '[%s:test]\nport = %s\n' "$kind" "$ports"
    for kv in "${defaults[@]}"; do
      case "$given" in *" ${kv%%=*} "*) continue ;; esac
      printf '%s\n' "${kv/=/ = }"
    done
    for kv in "$@"; do
      printf '%s\n' "${kv/=/ = }"
    done
  } > "$file"
}

# assert_no_plaintext RECORD TEXT: the recorded client bytes start with a TLS
# record and never contain TEXT.
assert_no_plaintext() {
  local record=$1 text=$2
  [ -s "$record" ] || fail "the tap recorded nothing from the client"
  local first
  first=$(head -c 1 "$record" | od -An -tx1 | tr -d ' ')
  [ "$first" = 16 ] || fail "the client's first byte on the wire is 0x$first, not a TLS handshake record (0x16)"
  if grep -qaF -- "$text" "$record"; then
    fail "plaintext '$text' was seen on the wire"
  fi
}

# assert_log TEXT: the tlsshim log holds TEXT.
assert_log() {
  grep -qF -- "$1" "$T/tlsshim.log" || {
    cat "$T/tlsshim.log" >&2 || true
    fail "the tlsshim log does not say '$1'"
  }
}

# assert_plaintext_refused PORT TEXT: a plaintext client's line to PORT gets
# no answer holding TEXT, and the tlsshim log says it was no TLS peer.
assert_plaintext_refused() {
  local port=$1 text=$2 got
  got=$(python3 - "$port" <<'PY'
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as s:
    s.sendall(b"plaintext hello\n")
    try:
        print(repr(s.recv(100)))
    except ConnectionResetError:
        print("reset")
PY
)
  case "$got" in
    *"$text"*) fail "a plaintext client was served in plaintext: $got" ;;
  esac
  assert_log "not a TLS peer"
}

# server_config FILE PORTS [KEY=VALUE...]: a config with one server rule
# presenting the test server certificate; a cert= or key= given replaces
# that default (give both).
server_config() {
  local file=$1 ports=$2
  shift 2
  rule_config "$file" server "$ports" "cert=$CERTS/server.pem" \
    "key=$CERTS/server.key" -- "$@"
}

# talk PORT ARGS...: the native TLS client of tls_talk.py.
talk() {
  python3 "$ROOT/tests/integration/tls_talk.py" "$@"
}
