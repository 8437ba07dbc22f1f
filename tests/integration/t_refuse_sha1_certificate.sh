# A server certificate its CA signed with SHA-1 (served by nginx, whose
# OpenSSL must be told to allow it) is refused: curl under tlsshim fails, the
# log names the certificate and the digest, and no plaintext reaches the
# server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/refusal.sh"
refuse_case "$CERTS/sha1-server.pem" "$CERTS/sha1-server.key" \
  "certificate CN=localhost is signed with SHA-1" "ssl_ciphers DEFAULT:@SECLEVEL=0;"
