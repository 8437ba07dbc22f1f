# A program exits with records still waiting on many connections whose peer
# stopped reading. Exit tries to send each connection's last records and
# close_notify, but waits one second in all, not one per connection: eight
# stuck peers used to hold exit for eight seconds.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
conns=8
cat > "$T/stuck.py" <<'PY'
import pki, socket, ssl, sys, time
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = pki.server_context(certs)
srv = socket.socket()
# A small receive buffer, fixed: the window closes soon and stays closed.
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
srv.bind(("127.0.0.1", port))
srv.listen()
held = []
while True:  # completes each handshake, then never reads again
    raw, _ = srv.accept()
    try:
        held.append(ctx.wrap_socket(raw, server_side=True))
    except (ssl.SSLError, OSError):
        pass  # wait_port's probe
PY
cat > "$T/client.py" <<'PY'
import select, socket, sys, time
port, conns = int(sys.argv[1]), int(sys.argv[2])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
chunk = b"x" * 65536
writable = socks  # the handshakes are done
while writable:
    for s in writable:
        s.setblocking(False)
        try:
            while True:
                s.send(chunk)
        except BlockingIOError:
            pass
    # Stuck means no room for half a second: the peer's window is closed,
    # and what the library holds for the socket cannot leave either.
    writable = select.select([], socks, [], 0.5)[1]
fds = [s.detach() for s in socks]  # left open for exit, as a program would
print("%.3f" % time.monotonic(), flush=True)
PY
bg python3 "$T/stuck.py" "$port" "$CERTS"
wait_port "$port"
client_config "$T/app.ini" "$port"
filled=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" "$conns") ||
  fail "client failed: $filled"
exited=$(python3 -c 'import time; print("%.3f" % time.monotonic())')
took=$(python3 -c "print('%.2f' % ($exited - $filled))")
python3 -c "import sys; sys.exit(0 if $took < 3 else 1)" ||
  fail "exit took $took s with $conns stuck peers (at most 1 s of waiting is allowed)"
# It did wait: the last records had a chance to leave.
python3 -c "import sys; sys.exit(0 if $took >= 0.9 else 1)" ||
  fail "exit took only $took s: it did not wait for the stuck peers"
echo "exit took $took s with $conns stuck peers"
