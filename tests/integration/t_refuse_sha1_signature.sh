# A TLS 1.2 server that will only sign its handshake with RSA and SHA-1
# (nginx, told so through OpenSSL) is refused: SHA-1 handshake signatures
# are retired (RFC 9155), so tlsshim does not offer them, the server gives
# up, and no plaintext reaches it. A client that does offer SHA-1 (OpenSSL
# at security level 0) is served, so the refusal is tlsshim's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/refusal.sh"
refuse_case "$CERTS/rsa-server.pem" "$CERTS/rsa-server.key" "peer sent alert: handshake failure" \
  "ssl_ciphers DEFAULT:@SECLEVEL=0; ssl_conf_command MaxProtocol TLSv1.2; ssl_conf_command SignatureAlgorithms RSA+SHA1;"
openssl s_client -connect "127.0.0.1:$REFUSED_PORT" -sigalgs RSA+SHA1 -cipher DEFAULT:@SECLEVEL=0 \
  < /dev/null > "$T/s_client.out" 2>&1 || fail "OpenSSL offering SHA-1 was refused too: $(tail -3 "$T/s_client.out")"
grep -q "Peer signing digest: SHA1" "$T/s_client.out" && grep -q "Protocol *: TLSv1.2" "$T/s_client.out" ||
  fail "the server did not sign with SHA-1 over TLS 1.2: $(grep -E 'Protocol|digest' "$T/s_client.out")"
