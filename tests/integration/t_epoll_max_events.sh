# An edge-triggered program that takes one event per epoll_wait, as some
# event loops do (maxevents=1). One connection has bytes the TLS layer
# holds (reported without the kernel); another has just become writable
# (an EPOLLOUT edge the kernel reports once). tlsshim asks the kernel with
# the program's room, so the wait that reports the held bytes may also take
# the kernel's writable edge and have no room left for it: that edge must
# come in the next wait, or a program waiting to write waits forever.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/greet.py" <<'PY'
import pki, sys
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = pki.server_context(certs)
held = []
def serve(raw):
    tls = ctx.wrap_socket(raw, server_side=True)
    held.append(tls)
    if tls.recv(10) == b"greet me\n":
        tls.sendall(b"g" * 100)  # one record
pki.serve_threads(port, serve)
PY
cat > "$T/client.py" <<'PY'
import select, socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port))  # handshakes done, blocking
b = socket.create_connection(("127.0.0.1", port))
a.sendall(b"greet me\n")
if a.recv(10) != b"g" * 10:  # 90 bytes stay decrypted in the TLS layer
    sys.exit("no greeting")
ep = select.epoll()
ep.register(a.fileno(), select.EPOLLIN | select.EPOLLET)
ep.register(b.fileno(), select.EPOLLOUT | select.EPOLLET)
want = {(a.fileno(), select.EPOLLIN), (b.fileno(), select.EPOLLOUT)}
got = set()
for _ in range(2):
    events = ep.poll(2, maxevents=1)
    if not events:
        sys.exit("waited 2 s with %r still to come" % sorted(want - got))
    got |= {(fd, ev & (select.EPOLLIN | select.EPOLLOUT)) for fd, ev in events}
if got != want:
    sys.exit("got %r, wanted %r" % (sorted(got), sorted(want)))
print("ok")
PY
bg python3 "$T/greet.py" "$port" "$CERTS"
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" 2>&1) || fail "$out"
[ "$out" = ok ] || fail "client said: $out"
