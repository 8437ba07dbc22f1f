# A signal handler that closes descriptors while the thread it interrupted
# polls an epoll set holding a TLS socket. close() is async-signal-safe, so
# tlsshim's close must not wait for a lock the interrupted call holds: the
# program finishes (the watchdog is only there to turn a hang into a
# failure), and its echo comes back through TLS.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
timeout 60 "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/signal_close_client" 127.0.0.1 "$TAP" ||
  fail "signal_close_client failed or hung (exit $?)"
assert_no_plaintext "$T/tap-$TAP" "closed from a signal"
