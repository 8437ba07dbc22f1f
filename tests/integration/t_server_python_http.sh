# python3 -m http.server (one thread per connection) under a server rule,
# reached by native TLS clients (curl https://, openssl s_client
# -verify_return_error), 100 of them at once. A plaintext client is refused
# with the reason logged, and the server keeps serving.
source "$(dirname "$0")/lib.sh"
need curl openssl python3
port=$(free_port)
mkdir -p "$T/www" && head -c 500000 /dev/urandom > "$T/www/f.bin"
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www"
wait_port "$port"
curl -sS --fail --cacert "$CERTS/ca.pem" "https://localhost:$port/f.bin" -o "$T/got.bin"
cmp "$T/got.bin" "$T/www/f.bin" || fail "the body differs"
out=$(echo | openssl s_client -connect "127.0.0.1:$port" -servername localhost \
  -verify_return_error -CAfile "$CERTS/ca.pem" 2>&1) || fail "s_client: $out"
grep -q "Verify return code: 0 (ok)" <<<"$out" || fail "s_client did not verify: $out"
if curl -sS -m 10 "http://127.0.0.1:$port/f.bin" -o /dev/null 2>/dev/null; then
  fail "a plaintext client was served"
fi
assert_log "handshake failed: not a TLS peer"
curl -sS --fail --cacert "$CERTS/ca.pem" "https://localhost:$port/f.bin" -o /dev/null ||
  fail "the server stopped serving after a bad client"
seq 100 | xargs -P 100 -I{} curl -sS --cacert "$CERTS/ca.pem" -o /dev/null \
  -w '%{http_code}\n' "https://localhost:$port/f.bin" > "$T/codes" 2>&1 || true
ok=$(grep -c '^200$' "$T/codes" || true)
[ "$ok" = 100 ] || fail "only $ok of 100 concurrent requests succeeded: $(sort "$T/codes" | uniq -c)"
