# dprintf and vdprintf, plain and fortified, on a covered socket go through
# TLS: glibc formats them into its own buffer and writes that without the
# hooked write(), so tlsshim sends them itself. Nothing crosses the wire in
# plaintext.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/dprintf_client" 127.0.0.1 "$TAP" ||
  fail "dprintf_client's exchange failed"
assert_no_plaintext "$T/tap-$TAP" "dprintf-"
