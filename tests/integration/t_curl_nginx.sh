# curl (plain http:// URL) under tlsshim fetches a 1 MiB file from nginx
# serving native TLS: the body is byte-identical, the peer is verified, and
# the client's bytes on the wire are TLS from the first one.
source "$(dirname "$0")/lib.sh"
need curl nginx
port=$(free_port)
tap=$(free_port)
start_nginx_tls "$port" "$CERTS/server.pem" "$CERTS/server.key"
head -c 1048576 /dev/urandom > "$T/www/file.bin"
start_tap "$tap" "$port"
client_config "$T/app.ini" "$tap" "server_name=localhost"
"$LAUNCHER" run -c "$T/app.ini" -- curl -sS --fail "http://127.0.0.1:$tap/file.bin" -o "$T/got.bin"
cmp "$T/got.bin" "$T/www/file.bin" || fail "the body differs"
assert_log "TLS established"
assert_log "verified as localhost"
assert_no_plaintext "$T/tap-$tap" "GET /file.bin"
