# A native TLS server sends 200 lines, then close_notify, and keeps TCP open
# (it waits for the client's close_notify). Over TCP the peer's end is a
# FIN, and poll and epoll report POLLRDHUP for it; here it is a record the
# kernel sees as data, so only the TLS layer can report it. The client,
# blocking reads then waits, must see POLLRDHUP alone, POLLIN with
# POLLRDHUP, EPOLLRDHUP from epoll, then read the end of stream. Before,
# the wait for POLLRDHUP alone timed out.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/client.py" <<'PY'
import select, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"go\n")
got = b""
while got.count(b"\n") < 200:
    chunk = s.recv(65536)
    if not chunk:
        sys.exit("end of stream after %d lines" % got.count(b"\n"))
    got += chunk
p = select.poll()
p.register(s.fileno(), select.POLLRDHUP)
events = p.poll(10000)
if not events or not events[0][1] & select.POLLRDHUP:
    sys.exit("poll(POLLRDHUP) gave %r" % events)
p.modify(s.fileno(), select.POLLIN | select.POLLRDHUP)
events = p.poll(10000)
both = select.POLLIN | select.POLLRDHUP
if not events or events[0][1] & both != both:
    sys.exit("poll(POLLIN|POLLRDHUP) gave %r" % events)
ep = select.epoll()
ep.register(s.fileno(), select.EPOLLRDHUP)
events = ep.poll(10)
if not events or not events[0][1] & select.EPOLLRDHUP:
    sys.exit("epoll(EPOLLRDHUP) gave %r" % events)
if s.recv(100) != b"":
    sys.exit("a read after close_notify returned data")
print("got %d lines, then the end" % got.count(b"\n"))
PY
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port" "$CERTS" --expect go \
  --lines 200 --notify
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" 2>&1) ||
  fail "client: $out"
[ "$out" = "got 200 lines, then the end" ] || fail "client said: $out"
assert_log "TLS established"
