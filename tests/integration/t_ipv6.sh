# A covered connection over IPv6 loopback ([::1]) is upgraded and verified
# against the certificate's IP SAN ::1.
source "$(dirname "$0")/lib.sh"
need curl nginx
port=$(free_port)
start_nginx_tls "$port" "$CERTS/server.pem" "$CERTS/server.key"
wait_port "$port" ::1
echo six > "$T/www/six.txt"
client_config "$T/app.ini" "$port" "host=::1"
out=$("$LAUNCHER" run -c "$T/app.ini" -- curl -sS --fail "http://[::1]:$port/six.txt")
[ "$out" = six ] || fail "IPv6 request got '$out'"
assert_log "[::1]:$port: TLS established"
assert_log "verified as ::1"
