# A server that inherits more connections across exec than the start-up
# scan once recorded (64): every one of them must carry TLS; the ones past
# the 64th used to be written in plaintext.
source "$(dirname "$0")/lib.sh"
need python3
n=70
port=$(free_port)
server_config "$T/app.ini" "$port"

# expect_tls_lines: opens $n connections to $port (inherit_many accepts them
# all before it execs), then handshakes each in turn, verifying the test CA
# and the name localhost, and reads the line written on it. It waits for the
# port itself: wait_port's probe would be accepted as one of the $n.
expect_tls_lines() {
  python3 - "$port" "$n" "$CERTS/ca.pem" <<'PY'
import socket, ssl, sys, time
port, n, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
for attempt in range(200):
    try:
        raws = [socket.create_connection(("127.0.0.1", port), timeout=20)]
        break
    except ConnectionRefusedError:
        time.sleep(0.05)
else:
    sys.exit("nothing is listening on port %d after 10 s" % port)
raws += [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(n - 1)]
bad = 0
for i, raw in enumerate(raws):
    want = "connection from port %d\n" % raw.getsockname()[1]
    try:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            got = b""
            while not got.endswith(b"\n"):
                chunk = tls.recv(100)
                if not chunk:
                    break
                got += chunk
            got = got.decode(errors="replace")
    except (OSError, ssl.SSLError) as e:
        got = "%s: %s" % (type(e).__name__, e)
    if got != want:
        bad += 1
        print("connection %d: wanted %r, got %r" % (i + 1, want, got))
print("%d of %d connections answered through TLS" % (n - bad, n))
sys.exit(1 if bad else 0)
PY
}

bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/inherit_many" "$port" "$n"
expect_tls_lines || fail "a connection inherited past the 64th was not TLS"
wait "${BG_PIDS[-1]}" || fail "inherit_many could not write on every connection"

# Without /proc (a chroot) the scan cannot list the open descriptors and
# probes every number instead. The exec'd image runs in a mount namespace
# where an empty tmpfs hides /proc.
need unshare mount
hide_proc='mount -t tmpfs tmpfs /proc && ! test -e /proc/self && exec "$@"'
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/inherit_many" "$port" "$n" \
  unshare --mount sh -c "$hide_proc" sh
expect_tls_lines || fail "a connection inherited without /proc was not TLS"
wait "${BG_PIDS[-1]}" || fail "inherit_many could not write on every connection without /proc"
