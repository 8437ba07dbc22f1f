# One thread waits in poll() on a TLS connection; another closes the
# descriptor, or dup2()s a pipe over it as Java's Socket.close() does. The
# poll reports what the number names now (POLLNVAL, the pipe's POLLHUP), and
# the log blames no fork(): the session ended in this very process.
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
for mode in close dup2; do
  "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/poll_under_close" 127.0.0.1 "$port" "$mode" ||
    fail "poll under another thread's $mode"
done
if grep -q "fork()\|\]: error:" "$T/tlsshim.log"; then
  cat "$T/tlsshim.log" >&2
  fail "a close in this process was logged as an error"
fi
