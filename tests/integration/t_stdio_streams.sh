# stdin and stderr on a covered socket, freopen and fclose of a stdout that
# follows one, a stdout lock held while the socket arrives or leaves, a
# fork child exiting with the parent's output buffered, dup2 from a signal
# handler, and tlsshim's own log (to standard error here) while standard
# error is a TLS connection: stdio goes through TLS or fails, nothing
# crosses the wire in plaintext, nothing crashes or hangs
# (stdio_streams.c).
source "$(dirname "$0")/lib.sh"
need socat python3
echo_port=$(free_port)
TAP=$(free_port)
start_tls_echo "$echo_port"
start_tap "$TAP" "$echo_port"
printf '[global]\nlog_level = info\n\n[client:test]\nport = %s, %s\nca_file = %s\n' \
  "$TAP" "$echo_port" "$CERTS/ca.pem" > "$T/stderr-log.ini"
"$LAUNCHER" run -c "$T/stderr-log.ini" -- "$PROGRAMS/stdio_streams" \
  127.0.0.1 "$TAP" "$echo_port" > "$T/out" 2> "$T/err" || {
  cat "$T/err" >&2
  fail "stdio_streams failed"
}
assert_no_plaintext "$T/tap-$TAP" "stdio-"
if grep -qaF "tlsshim[" "$T/tap-$TAP"; then
  fail "tlsshim's log went onto the connection in plaintext"
fi
for name in stdin stderr freopen locked-arrive locked-leave fork signal fclose; do
  grep -qx "back $name" "$T/out" || fail "the standard stream did not come back after '$name'"
done
grep -q "TLS established" "$T/err" || fail "the log did not reach standard error at all"
