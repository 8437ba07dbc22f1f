# glibc's second names for some calls (__connect, __write, __send, __read,
# __poll, __fcntl, __dup2, __close) are hooked like the first: a client that
# uses only them talks TLS, and nothing crosses the wire in plaintext.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/alias_client" 127.0.0.1 "$TAP" ||
  fail "alias_client's exchange failed"
assert_no_plaintext "$T/tap-$TAP" "alias-"
