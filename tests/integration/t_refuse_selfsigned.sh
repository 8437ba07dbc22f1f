# A server presenting selfsigned.pem is refused: curl fails, the log says
# "self-signed certificate", and no plaintext reaches the server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/refusal.sh"
refuse_case "$CERTS/selfsigned.pem" "$CERTS/selfsigned.key" "self-signed certificate"
