# An edge-triggered client (Python's select.epoll, EPOLLET) reads only 10
# bytes on its first wake-up and then waits. Over plain TCP nothing wakes it
# until new data comes, although unread bytes remain; under tlsshim the TLS
# layer holds those bytes, and reporting them on every wait made a busy
# loop (seen with nginx holding a pipelined request). Then it reads to the
# end of stream and waits again: quiet again. Each quiet stretch is 20 waits
# of 50 ms; tlsshim may wake the client twice in one (plain TCP: never), for
# bytes it read ahead of the last report. A second client reads like nginx:
# one recv() per wake-up, taking a short read for "drained". Its 200 lines,
# all queued before its first read, are more than the engine reads ahead at
# once: a read that stopped at a record the engine had read in part, with
# the rest already in the kernel, stalled that client (after 127 lines).
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/client.py" <<'PY'
import os, select, socket, sys, time
port, sent, mode, lines = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
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

got = b""
while mode == "short-read-drains" and got.count(b"\n") < lines:
    if not ep.poll(10):
        sys.exit("stalled after %d lines" % got.count(b"\n"))
    got += s.recv(4096)  # short: drained, until the next edge
if mode == "short-read-drains":
    print("got %d lines" % got.count(b"\n"))
    sys.exit(0)
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
port2=$(free_port)
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port" "$CERTS" --expect go \
  --lines 200 --close-and-mark "$T/sent-partial-read"
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port2" "$CERTS" --expect go \
  --lines 200 --mark "$T/sent-short-read-drains"
wait_port "$port"
wait_port "$port2"
client_config "$T/app.ini" "$port,$port2"
for run in "partial-read $port 200" "short-read-drains $port2 200"; do
  read -r mode p lines <<< "$run"
  out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$p" "$T/sent-$mode" "$mode" "$lines" 2>&1) ||
    fail "$mode client: $out"
  [ "$out" = "got $lines lines" ] || fail "$mode client said: $out"
done
assert_log "TLS established"
