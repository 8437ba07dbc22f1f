# server_name decides the name verified; without it, a program connecting to
# an address is verified against the certificate's IP SANs.
source "$(dirname "$0")/lib.sh"
need curl nginx
port=$(free_port)
start_nginx_tls "$port" "$CERTS/server.pem" "$CERTS/server.key"
echo named > "$T/www/n.txt"
client_config "$T/named.ini" "$port" "server_name=tlsshim.test"
out=$("$LAUNCHER" run -c "$T/named.ini" -- curl -sS --fail "http://127.0.0.1:$port/n.txt")
[ "$out" = named ] || fail "server_name request got '$out'"
assert_log "verified as tlsshim.test"
client_config "$T/ip.ini" "$port"
out=$("$LAUNCHER" run -c "$T/ip.ini" -- curl -sS --fail "http://127.0.0.1:$port/n.txt")
[ "$out" = named ] || fail "IP-verified request got '$out'"
assert_log "verified as 127.0.0.1"
# A server_name the certificate does not carry is refused.
client_config "$T/wrong.ini" "$port" "server_name=db.internal"
if "$LAUNCHER" run -c "$T/wrong.ini" -- curl -sS "http://127.0.0.1:$port/n.txt"; then
  fail "a server_name the certificate lacks was accepted"
fi
assert_log "host name mismatch: wanted db.internal"
