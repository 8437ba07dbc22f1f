# closefrom() while a TLS connection is open: glibc's closes through its own
# close_range, past the hooks, so tlsshim hooks closefrom itself. The log's
# descriptor stays tlsshim's (the program's next file must not receive log
# lines), the closed connection is forgotten (the socket that next gets its
# number starts a TLS session of its own), and both echoes come back.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/closefrom_client" 127.0.0.1 "$TAP" "$T/own.txt" ||
  fail "closefrom_client's exchanges failed"
[ "$(cat "$T/own.txt")" = "the program's own line" ] || {
  cat "$T/own.txt" >&2
  fail "the program's file holds more than its own line"
}
[ "$(grep -c "TLS established" "$T/tlsshim.log")" = 2 ] || {
  cat "$T/tlsshim.log" >&2
  fail "the log does not show two TLS sessions"
}
assert_no_plaintext "$T/tap-$TAP" "closefrom-"
