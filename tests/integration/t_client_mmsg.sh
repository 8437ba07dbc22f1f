# sendmmsg, recvmmsg, pwritev2 and preadv2 on a covered socket go through TLS
# like sendmsg and readv: the echo comes back whole and nothing crosses the
# wire in plaintext.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/mmsg_client" 127.0.0.1 "$TAP" ||
  fail "mmsg_client's exchange failed"
assert_no_plaintext "$T/tap-$TAP" "mmsg-"
assert_no_plaintext "$T/tap-$TAP" "pwritev2-"
