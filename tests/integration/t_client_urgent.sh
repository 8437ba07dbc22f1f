# Urgent data (send with MSG_OOB, as telnet's "send synch" and ftp's ABOR
# do) cannot bypass TLS: it is sent in-band, in order, encrypted, and the log
# says so once; the connection goes on. recv(MSG_OOB) finds none pending
# (EINVAL), as TCP reports when there is none.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 - "$TAP" <<'PY'
import errno, socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as s:
    s.sendall(b"urgent-before ")
    for b in (b"!", b"?"):
        if s.send(b, socket.MSG_OOB) != 1:
            sys.exit("send(MSG_OOB) did not send its byte")
    s.sendall(b" urgent-after\n")
    try:
        s.recv(1, socket.MSG_OOB)
        sys.exit("recv(MSG_OOB) returned data")
    except OSError as e:
        if e.errno != errno.EINVAL:
            sys.exit("recv(MSG_OOB): %s" % e)
    got = b""
    while not got.endswith(b"\n"):
        chunk = s.recv(100)
        if not chunk:
            break
        got += chunk
    print(got.decode().strip())
PY
) || fail "the urgent-data client failed: $out"
[ "$out" = "urgent-before !? urgent-after" ] || fail "the echo came back as '$out'"
assert_log "urgent data (MSG_OOB) sent in-band"
[ "$(grep -c "MSG_OOB" "$T/tlsshim.log")" = 1 ] || fail "the in-band note was not logged once"
assert_no_plaintext "$T/tap-$TAP" "urgent-"
