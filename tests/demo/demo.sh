#!/usr/bin/env bash
# demo.sh — run by `make demo`: an unmodified plaintext client (the stock
# curl, with an http:// URL) talks verified TLS to a real TLS server (nginx)
# under tlsshim, then is refused by a server nobody trusts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
D=$(mktemp -d /tmp/tlsshim-demo.XXXXXX)
chmod 755 "$D"
NGINX_PID=
SERVER_PID=
cleanup() {
  local rc=$? pid
  for pid in $NGINX_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$D"
  exit "$rc"
}
trap cleanup EXIT

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "demo: nginx did not start" >&2; exit 1
}

"$ROOT/tests/certs/make-certs.sh" "$BUILD/certs"
C=$BUILD/certs
GOOD=$(free_port)
BAD=$(free_port)
mkdir -p "$D/www" "$D/nginx"
echo "Hello from nginx, over TLS." > "$D/www/hello.txt"
cat > "$D/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $D/nginx/body; proxy_temp_path $D/nginx/proxy;
  fastcgi_temp_path $D/nginx/fastcgi; uwsgi_temp_path $D/nginx/uwsgi; scgi_temp_path $D/nginx/scgi;
  server { listen 127.0.0.1:$GOOD ssl; ssl_protocols TLSv1.2 TLSv1.3;
           ssl_certificate $C/server.pem; ssl_certificate_key $C/server.key; root $D/www; }
  server { listen 127.0.0.1:$BAD ssl; ssl_protocols TLSv1.2 TLSv1.3;
           ssl_certificate $C/unknown-ca-server.pem; ssl_certificate_key $C/unknown-ca-server.key; root $D/www; }
}
CONF
nginx -p "$D/nginx" -c "$D/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
wait_port "$GOOD"
wait_port "$BAD"

cat > "$D/demo.ini" <<INI
[global]
log_level = info

; Connections the program opens to these ports become TLS, verified
; against the demo CA, for the name 'localhost'.
[client:web]
port = $GOOD, $BAD
ca_file = $C/ca.pem
server_name = localhost
INI

say "nginx is serving native TLS on 127.0.0.1:$GOOD (certificate for 'localhost', signed by the demo CA)."
say "The configuration, as tlsshim understands it:"
"$BUILD/tlsshim" check "$D/demo.ini"

say "\$ tlsshim run -c demo.ini -- curl -sS http://localhost:$GOOD/hello.txt"
echo "(curl speaks plain HTTP; tlsshim turns its connection into verified TLS)"
out=$("$BUILD/tlsshim" run -c "$D/demo.ini" -- curl -sS "http://localhost:$GOOD/hello.txt" 2> "$D/log")
cat "$D/log"
echo "response: $out"
grep -q "TLS established" "$D/log" || { echo "demo: no TLS session was logged" >&2; exit 1; }
[ "$out" = "Hello from nginx, over TLS." ] || { echo "demo: unexpected response" >&2; exit 1; }

say "Now a server whose certificate was signed by a CA nobody trusts (127.0.0.1:$BAD):"
say "\$ tlsshim run -c demo.ini -- curl -sS http://localhost:$BAD/hello.txt"
if "$BUILD/tlsshim" run -c "$D/demo.ini" -- curl -sS "http://localhost:$BAD/hello.txt" 2> "$D/log2"; then
  echo "demo: the untrusted server was accepted" >&2
  exit 1
fi
cat "$D/log2"
grep -q "handshake failed" "$D/log2" || { echo "demo: the refusal was not logged" >&2; exit 1; }
say "Refused: curl saw a refused connection and not one byte of its request left in plaintext."

# ---------------------------------------------------------------- both sides
SRV=$(free_port)
mkdir -p "$D/site"
echo "Hello from an unmodified plaintext server." > "$D/site/index.txt"
cat > "$D/both.ini" <<INI
[global]
log_level = info

; The server: connections python3's http.server accepts on this port must
; speak TLS; it presents the demo certificate.
[server:site]
port = $SRV
cert = $C/server.pem
key = $C/server.key

; The client: connections curl opens to that port become verified TLS.
[client:site]
port = $SRV
ca_file = $C/ca.pem
server_name = localhost
INI
say "Both sides: python3 -m http.server (plain HTTP) under tlsshim on port $SRV."
"$BUILD/tlsshim" run -c "$D/both.ini" -- python3 -m http.server "$SRV" --bind 127.0.0.1 \
  --directory "$D/site" > "$D/server.log" 2>&1 &
SERVER_PID=$!
wait_port "$SRV"
say "\$ tlsshim run -c both.ini -- curl -sS http://localhost:$SRV/index.txt"
out=$("$BUILD/tlsshim" run -c "$D/both.ini" -- curl -sS "http://localhost:$SRV/index.txt" 2> "$D/log3")
cat "$D/log3"
echo "response: $out"
[ "$out" = "Hello from an unmodified plaintext server." ] || { echo "demo: both-sides request failed" >&2; exit 1; }
say "\$ curl --cacert ca.pem https://localhost:$SRV/index.txt    (a native TLS client, no tlsshim)"
out=$(curl -sS --cacert "$C/ca.pem" "https://localhost:$SRV/index.txt")
echo "response: $out"
[ "$out" = "Hello from an unmodified plaintext server." ] || { echo "demo: native TLS client failed" >&2; exit 1; }
say "The server's side of those two connections, from its log:"
grep "tlsshim" "$D/server.log" || { echo "demo: the server logged no TLS sessions" >&2; exit 1; }
