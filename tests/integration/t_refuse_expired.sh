# A server presenting expired.pem is refused: curl fails, the log says
# "certificate has expired", and no plaintext reaches the server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/refusal.sh"
refuse_case "$CERTS/expired.pem" "$CERTS/expired.key" "certificate has expired"
