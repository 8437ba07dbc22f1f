# A client that makes its stdio stream with fdopen before connect(): glibc's
# stream would write to the kernel itself, past the hooks, so the stream
# must go through the TLS connection the socket becomes. The echo comes back
# through it, and nothing crosses the wire in plaintext.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/fdopen_early_client" 127.0.0.1 "$TAP" ||
  fail "fdopen_early_client's exchange failed"
assert_no_plaintext "$T/tap-$TAP" "fdopen-early"
