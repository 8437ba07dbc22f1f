# Ed25519 certificates both ways, against programs whose own TLS is OpenSSL:
# curl (plain http:// URL) under tlsshim fetches from nginx serving an
# Ed25519 certificate, so tlsshim verifies an Ed25519 chain and handshake
# signature; then curl presents an Ed25519 client certificate to a Python
# server under tlsshim that requires one.
source "$(dirname "$0")/lib.sh"
need curl nginx python3
port=$(free_port)
start_nginx_tls "$port" "$CERTS/ed-server.pem" "$CERTS/ed-server.key"
echo hello > "$T/www/e.txt"
client_config "$T/client.ini" "$port" "ca_file=$CERTS/ed-ca.pem" "server_name=localhost"
out=$("$LAUNCHER" run -c "$T/client.ini" -- curl -sS --fail "http://127.0.0.1:$port/e.txt") ||
  fail "the client under tlsshim could not fetch from an Ed25519 server"
[ "$out" = hello ] || fail "the client got '$out'"
assert_log "verified as localhost"

sport=$(free_port)
mkdir -p "$T/srv" && echo secret > "$T/srv/s.txt"
server_config "$T/server.ini" "$sport" "cert=$CERTS/ed-server.pem" \
  "key=$CERTS/ed-server.key" "client_ca=$CERTS/ed-ca.pem"
bg "$LAUNCHER" run -c "$T/server.ini" -- python3 -m http.server "$sport" --bind 127.0.0.1 --directory "$T/srv"
wait_port "$sport"
out=$(curl -sS -m 10 --cacert "$CERTS/ed-ca.pem" --cert "$CERTS/ed-client.pem" \
  --key "$CERTS/ed-client.key" "https://localhost:$sport/s.txt") ||
  fail "an Ed25519 client certificate was refused"
[ "$out" = secret ] || fail "the client got '$out'"
assert_log "client certificate CN=client.test (verified)"
