# POSIX aio on a covered socket is refused with ENOSYS (glibc would write
# with calls no hook sees); the program's ordinary write after it goes
# through TLS, and nothing crosses the wire in plaintext.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/aio_client" 127.0.0.1 "$TAP" ||
  fail "aio_client failed"
assert_no_plaintext "$T/tap-$TAP" "aio-"
assert_log "asynchronous I/O (aio) is refused on a TLS connection"
