# TCP Fast Open to a covered address: sendto or sendmsg with MSG_FASTOPEN on
# an unconnected socket would connect and carry the data in the SYN, in
# plaintext. Under tlsshim it makes a TLS connection first and sends the data
# through it: blocking sendto and sendmsg get their echo back, a
# non-blocking sendto answers EINPROGRESS (nothing sent, as the kernel's
# Fast Open without a cookie) and a send once connected goes through TLS;
# none of the data crosses the wire in plaintext.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
cat > "$T/client.py" <<'PY'
import select, socket, sys, wire
addr = ("127.0.0.1", int(sys.argv[1]))

def echo(sock, data):
    got = wire.recv_up_to(sock, len(data))
    assert got == data, "echo of %r came back as %r" % (data, got)

with socket.socket() as s:
    data = b"fastopen-sendto\n"
    assert s.sendto(data, socket.MSG_FASTOPEN, addr) == len(data)
    echo(s, data)
with socket.socket() as s:
    data = b"fastopen-sendmsg\n"
    assert s.sendmsg([data], [], socket.MSG_FASTOPEN, addr) == len(data)
    echo(s, data)
with socket.socket() as s:
    s.setblocking(False)
    data = b"fastopen-nonblocking\n"
    try:
        s.sendto(data, socket.MSG_FASTOPEN, addr)
        raise AssertionError("a non-blocking Fast Open sent at once")
    except BlockingIOError:
        pass  # EINPROGRESS
    select.select([], [s], [], 10)
    s.setblocking(True)
    s.sendall(data)
    echo(s, data)
print("three echoes")
PY
"$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$TAP" ||
  fail "the Fast Open exchanges failed"
assert_no_plaintext "$T/tap-$TAP" "fastopen-"
