# Mutual TLS: with client_ca and allow_names set, a client without a
# certificate, one from another CA, and one whose name is not allowed are
# refused (reasons logged); the right one is served. The server names the
# client_ca's subject as the CA it accepts (what a client with several
# certificates picks by).
source "$(dirname "$0")/lib.sh"
need curl python3 openssl
port=$(free_port)
mkdir -p "$T/www" && echo secret > "$T/www/s.txt"
server_config "$T/app.ini" "$port" "client_ca=$CERTS/ca.pem" \
  "allow_names=spiffe://tlsshim.test/workload/client, billing.test"
bg "$LAUNCHER" run -c "$T/app.ini" -- python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www"
wait_port "$port"
get() { curl -sS -m 10 --cacert "$CERTS/ca.pem" "$@" "https://localhost:$port/s.txt"; }
get > /dev/null 2>&1 && fail "a client without a certificate was served"
get --cert "$CERTS/client-other.pem" --key "$CERTS/client-other.key" > /dev/null 2>&1 &&
  fail "a client certificate from another CA was accepted"
get --cert "$CERTS/client2.pem" --key "$CERTS/client2.key" > /dev/null 2>&1 &&
  fail "a client whose name is not allowed was served"
assert_log "client certificate name not allowed: certificate has DNS:other-client.test"
out=$(get --cert "$CERTS/client.pem" --key "$CERTS/client.key") || fail "the allowed client was refused"
[ "$out" = secret ] || fail "allowed client got '$out'"
assert_log "client certificate CN=client.test (verified)"
names=$(openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$CERTS/ca.pem" \
  -cert "$CERTS/client.pem" -key "$CERTS/client.key" < /dev/null 2>&1 |
  sed -n '/^Acceptable client certificate CA names/,/^Requested/p')
grep -qx "CN = tlsshim Test CA" <<< "$names" || fail "the server did not name its client CA: $names"
