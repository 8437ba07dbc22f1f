# One connection, two threads, two descriptors: a reader thread blocks in
# read() on a dup of the socket, and finishes the TLS handshake there, while
# the main thread, busy at first, then waits in epoll on the original for
# EPOLLOUT to send the request the reader waits for. The epoll wait passes
# over connections it found idle until something touches them; the
# reader's rounds inside its blocking read must count. Before, the main
# thread never heard of EPOLLOUT and both waited forever.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/answer.py" <<'PY'
import pki, sys, time
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = pki.server_context(certs)
def serve(raw):
    time.sleep(0.3)  # the client's epoll wait sees the handshake pending
    with ctx.wrap_socket(raw, server_side=True) as tls:
        line = tls.recv(100)
        tls.sendall(b"answer to " + line)
        tls.recv(100)
pki.serve_threads(port, serve)
PY
cat > "$T/client.py" <<'PY'
import os, select, socket, sys, threading, time
port = int(sys.argv[1])
s = socket.socket()
s.setblocking(False)
try:
    s.connect(("127.0.0.1", port))
except BlockingIOError:
    pass
s.setblocking(True)
fd = s.fileno()
dup = os.dup(fd)
ep = select.epoll()
ep.register(fd, select.EPOLLOUT)
for _ in range(2):  # the ClientHello goes; then nothing to report
    ep.poll(0)
    time.sleep(0.02)
answer = []
reader = threading.Thread(target=lambda: answer.append(os.read(dup, 100)), daemon=True)
reader.start()
time.sleep(0.8)  # busy elsewhere; the reader finishes the handshake
if not ep.poll(3):
    sys.exit("no EPOLLOUT within 3 s")
os.write(fd, b"ping\n")
reader.join(3)
if answer != [b"answer to ping\n"]:
    sys.exit("reader got %r" % answer)
print("ok")
PY
bg python3 "$T/answer.py" "$port" "$CERTS"
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" 2>&1) || fail "$out"
[ "$out" = ok ] || fail "client said: $out"
assert_log "TLS established"
