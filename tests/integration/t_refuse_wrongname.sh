# A server presenting wrongname.pem is refused: curl fails, the log says
# "host name mismatch: wanted localhost, certificate has DNS:wrong.test", and no plaintext reaches the server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/refusal.sh"
refuse_case "$CERTS/wrongname.pem" "$CERTS/wrongname.key" "host name mismatch: wanted localhost, certificate has DNS:wrong.test"
