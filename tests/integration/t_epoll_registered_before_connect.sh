# A client that adds its socket to an epoll set *before* connect() (level-
# triggered EPOLLIN) and then reads one recv(4096) per wake-up.
# A native TLS server (Python's ssl) answers with 200 lines, one record each,
# back to back. tlsshim must take over the registration at connect(): when
# records arrive together, the later ones are already out of the kernel
# (read ahead, or decrypted) and only the TLS layer can report them. Then
# again with the socket registered EPOLLEXCLUSIVE, a registration the kernel
# refuses to modify: tlsshim must replace it, or the client stalls.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/client.py" <<'PY'
import select, socket, sys
exclusive = sys.argv[2] == "exclusive"
s = socket.socket()
s.setblocking(False)
ep = select.epoll()
# Level-triggered, before connect.
ep.register(s.fileno(), select.EPOLLIN | (select.EPOLLEXCLUSIVE if exclusive else 0))
s.connect_ex(("127.0.0.1", int(sys.argv[1])))
while True:
    try:
        s.send(b"go\n")
        break
    except BlockingIOError:
        select.select([], [s], [], 10)  # connecting, then the handshake
got = b""
while got.count(b"\n") < 200:
    events = ep.poll(10)
    if not events:
        sys.exit("epoll_wait timed out after %d lines" % got.count(b"\n"))
    try:
        chunk = s.recv(4096)
    except BlockingIOError:
        continue  # only handshake bytes (a session ticket) arrived
    if not chunk:
        sys.exit("end of stream after %d lines" % got.count(b"\n"))
    got += chunk
if not exclusive:  # the kernel refuses to modify an exclusive one
    ep.modify(s.fileno(), select.EPOLLIN | select.EPOLLOUT)  # still registered
print("got %d lines" % got.count(b"\n"))
PY
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port" "$CERTS" --expect go --lines 200
wait_port "$port"
client_config "$T/app.ini" "$port"
for mode in plain exclusive; do
  out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" "$mode" 2>&1) ||
    fail "$mode client: $out"
  [ "$out" = "got 200 lines" ] || fail "$mode client said: $out"
done
assert_log "TLS established"
