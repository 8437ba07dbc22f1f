# A TLS 1.2 client that offers only SHA-1 handshake signatures (OpenSSL,
# told so) is refused by a server under tlsshim, which would have to sign
# with SHA-1 (retired by RFC 9155); the same client offering the defaults
# is served, signed with SHA-256.
source "$(dirname "$0")/lib.sh"
need openssl python3
port=$(free_port)
mkdir -p "$T/www" && echo fine > "$T/www/f.txt"
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www"
wait_port "$port"
hello() {
  openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$CERTS/ca.pem" "$@" < /dev/null > "$T/s_client.out" 2>&1
}
hello -sigalgs ECDSA+SHA1 -cipher 'DEFAULT:@SECLEVEL=0' &&
  fail "a client offering only SHA-1 signatures was served: $(grep -E 'digest|Cipher is' "$T/s_client.out")"
grep -q "alert handshake failure" "$T/s_client.out" ||
  fail "the refusal was not a handshake_failure alert: $(tail -3 "$T/s_client.out")"
assert_log "NO_COMMON_SIGNATURE_ALGORITHMS"
hello || fail "the same client offering the defaults was refused: $(tail -3 "$T/s_client.out")"
grep -q "Peer signing digest: SHA256" "$T/s_client.out" ||
  fail "the server did not sign with SHA-256: $(grep -E 'digest' "$T/s_client.out")"
