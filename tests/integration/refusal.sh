# refusal.sh — shared by the t_refuse_* tests (sourced after lib.sh).
# refuse_case CERT KEY REASON [NGINX_DIRECTIVES]: a native TLS server (nginx)
# presents CERT; curl under tlsshim must fail, the log must give REASON, and
# the server must receive nothing but the TLS handshake (the request never
# leaves in plaintext). The server stays up on port $REFUSED_PORT.
refuse_case() {
  local cert=$1 key=$2 reason=$3 directives=${4:-}
  need curl nginx
  local port tap
  port=$(free_port)
  tap=$(free_port)
  start_nginx_tls "$port" "$cert" "$key" "$directives"
  echo secret > "$T/www/secret.txt"
  start_tap "$tap" "$port"
  client_config "$T/app.ini" "$tap" "server_name=localhost"
  if "$LAUNCHER" run -c "$T/app.ini" -- curl -sS "http://127.0.0.1:$tap/secret.txt" > "$T/body" 2> "$T/curl.err"; then
    fail "curl succeeded against a server presenting $(basename "$cert")"
  fi
  grep -q "Couldn't connect\|Connection refused\|Failed to connect" "$T/curl.err" ||
    fail "curl did not report a refused connection: $(cat "$T/curl.err")"
  [ ! -s "$T/body" ] || fail "curl printed a body"
  assert_log "handshake failed: $reason"
  assert_no_plaintext "$T/tap-$tap" "GET /secret.txt"
  REFUSED_PORT=$port
}
