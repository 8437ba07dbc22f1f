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
