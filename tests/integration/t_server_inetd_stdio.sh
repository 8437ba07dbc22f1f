# An inetd-style server whose program talks through stdio: sed reads stdin
# and writes stdout with glibc's buffered streams, which call the kernel
# without the hooks. The new image's stdin and stdout follow the adopted
# connection, so the reply comes back through TLS.
source "$(dirname "$0")/lib.sh"
need python3 sed
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/inetd_lite" "$port" \
  sed -u 's/secret/changed-secret/'
wait_port "$port"
talk "$port" --send "a secret" --expect "a changed-secret" ||
  fail "sed under an inetd-style server did not answer through TLS"

# A service that answers with printf and then puts /dev/null on its standard
# output before it flushes: the answer was written while stdout was the
# connection, and reaches the client through TLS.
port2=$(free_port)
server_config "$T/second.ini" "$port2"
bg "$LAUNCHER" run -c "$T/second.ini" -- "$PROGRAMS/inetd_lite" "$port2" \
  "$PROGRAMS/stdio_redirect"
wait_port "$port2"
talk "$port2" --send "moved" --expect "reply: moved" ||
  fail "a buffered answer did not reach the client after stdout moved"

# As real inetd does, inetd_lite puts the connection on standard error too.
# tlsshim logs to standard error when no log_file is set: at debug level it
# has things to say (the configuration, the inherited descriptors) before
# the handshake, which must not reach the client.
port3=$(free_port)
printf '[global]\nlog_level = debug\n\n[server:test]\nport = %s\ncert = %s\nkey = %s\n' \
  "$port3" "$CERTS/server.pem" "$CERTS/server.key" > "$T/debug.ini"
bg "$LAUNCHER" run -c "$T/debug.ini" -- "$PROGRAMS/inetd_lite" "$port3" \
  sed -u 's/secret/changed-secret/'
wait_port "$port3"
talk "$port3" --send "a secret" --expect "a changed-secret" ||
  fail "with the log on standard error, the service did not answer through TLS"
