# An edge-triggered client (Python's select.epoll, EPOLLET) reads only 10
# bytes on its first wake-up and then waits. Over plain TCP nothing wakes it
# until new data comes, although unread bytes remain; under tlsshim the TLS
# layer holds those bytes, and reporting them on every wait made a busy
# loop (seen with nginx holding a pipelined request). Then it reads to the
# end of stream and waits again: quiet again. Each quiet stretch is 20 waits
# of 50 ms; tlsshim may wake the client twice in one (plain TCP: never), for
# bytes it read ahead of the last report.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/client.py" <<'PY'
import os, select, socket, sys, time
port, sent = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))  # the handshake, blocking
s.sendall(b"go\n")
deadline = time.monotonic() + 10
while not os.path.exists(sent):  # every byte and the end are on their way
    if time.monotonic() > deadline:
        sys.exit("the server never finished sending")
    time.sleep(0.01)
s.setblocking(False)
ep = select.epoll()
ep.register(s.fileno(), select.EPOLLIN | select.EPOLLET)

def quiet(what):
    wakes = sum(1 for _ in range(20) if ep.poll(0.05))
    if wakes > 2:
        sys.exit("%s: woken %d times in 20 waits" % (what, wakes))

if not ep.poll(10):
    sys.exit("no first event")
got = s.recv(10)
quiet("after reading 10 bytes")
while True:
    try:
        chunk = s.recv(65536)
    except BlockingIOError:
        if not ep.poll(10):
            sys.exit("stalled after %d bytes" % len(got))
        continue
    if not chunk:
        break
    got += chunk
quiet("after the end of stream")
print("got %d lines" % got.count(b"\n"))
PY
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port" "$CERTS" --expect go \
  --lines 200 --close-and-mark "$T/sent"
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" "$T/sent" 2>&1) ||
  fail "client: $out"
[ "$out" = "got 200 lines" ] || fail "client said: $out"
assert_log "TLS established"
