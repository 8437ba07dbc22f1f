# A server presenting unknown-ca-server.pem is refused: curl fails, the log says
# "unable to get local issuer certificate", and no plaintext reaches the server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/refusal.sh"
refuse_case "$CERTS/unknown-ca-server.pem" "$CERTS/unknown-ca-server.key" "unable to get local issuer certificate"
