# A client whose server speaks first: a native TLS server that sends its
# greeting once its handshake completes, that is once the client's Finished
# has arrived. tlsshim leaves a client's Finished corked, to go out with the
# program's first request in one segment; a program that reads or waits for
# input first must not wait for the kernel's 200 ms cork timer. The client
# reads the greeting five times each way: a blocking recv, select, and
# asyncio (epoll), and reports the slowest.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/greeter.py" <<'PY'
import pki, socket, sys
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = pki.server_context(certs)
def greet(raw):
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle wait
    with ctx.wrap_socket(raw, server_side=True) as tls:  # the handshake
        tls.sendall(b"220 ready\n")
        tls.recv(100)  # until the client closes
pki.serve_threads(port, greet)
PY
cat > "$T/reader.py" <<'PY'
import asyncio, select, socket, sys, time
port = int(sys.argv[1])
def blocking():
    s = socket.create_connection(("127.0.0.1", port))  # handshake done
    t = time.monotonic()
    got = s.recv(100)
    return got, time.monotonic() - t, s
def selecting():
    s = socket.create_connection(("127.0.0.1", port))
    t = time.monotonic()
    select.select([s], [], [], 5)
    return s.recv(100), time.monotonic() - t, s
async def with_asyncio():
    r, w = await asyncio.open_connection("127.0.0.1", port)
    t = time.monotonic()
    got = await asyncio.wait_for(r.readline(), 5)
    took = time.monotonic() - t
    w.close()
    return got, took, None
worst = {}
for mode in ("recv", "select", "asyncio"):
    for _ in range(5):
        if mode == "asyncio":
            got, took, s = asyncio.run(with_asyncio())
        else:
            got, took, s = (blocking if mode == "recv" else selecting)()
        if s is not None:
            s.close()
        if got != b"220 ready\n":
            sys.exit("%s: got %r" % (mode, got))
        worst[mode] = max(worst.get(mode, 0), took)
print(" ".join("%s %.1f ms" % (m, t * 1e3) for m, t in worst.items()))
sys.exit(1 if max(worst.values()) > 0.1 else 0)
PY
bg python3 "$T/greeter.py" "$port" "$CERTS"
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/reader.py" "$port" 2>&1) ||
  fail "greeting slow or missing: $out"
echo "slowest greeting: $out"
assert_log "TLS established"
