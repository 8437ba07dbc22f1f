# A bulk sender's records: a native TLS client sends 8 MiB in full 16 KiB
# records, in bursts of 256 KiB, each sent back to back, then waits for the
# server to acknowledge the burst. The server, a Python program under a
# server rule, waits in select() before every recv(4096), so every fourth
# read ends where a record ends. tlsshim takes a run of queued records from
# the kernel in one recvmsg, so at the end of a burst whole records wait in
# the engine while the kernel socket is empty and the client sends nothing
# more: select() must still report them, or the server waits for bytes that
# already arrived. The bytes must arrive intact and in order.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
cat > "$T/server.py" <<'PY'
import hashlib, select, socket, sys
size, burst = int(sys.argv[2]), int(sys.argv[3])
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))


def serve(conn):
    digest, got = hashlib.sha256(), 0
    while got < size:
        ready, _, _ = select.select([conn], [], [], 10)
        if not ready:
            sys.exit("select() timed out after %d of %d bytes" % (got, size))
        chunk = conn.recv(4096)
        if not chunk:
            return got  # wait_port's probe, or a client that gave up
        digest.update(chunk)
        got += len(chunk)
        if got % burst == 0:
            conn.sendall(b"ok\n")
    conn.sendall(b"%d %s\n" % (got, digest.hexdigest().encode()))
    return got


while True:  # until one client has sent every byte
    conn, _ = srv.accept()
    try:
        if serve(conn) == size:
            break
    except ConnectionResetError:
        pass  # the probe again
    conn.close()
PY
cat > "$T/client.py" <<'PY'
import hashlib, os, socket, ssl, sys
size, burst = int(sys.argv[3]), int(sys.argv[4])
block = bytes((i * 7 + (i >> 12)) & 0xFF for i in range(burst))
digest = hashlib.sha256()
ctx = ssl.create_default_context(cafile=os.path.join(sys.argv[2], "ca.pem"))
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        lines = tls.makefile("rb")
        for i in range(size // burst):
            data = bytes([i & 0xFF]) + block[1:]
            tls.sendall(data)  # full records, as fast as the server takes them
            digest.update(data)
            ack = lines.readline()
            if ack != b"ok\n":
                sys.exit("burst %d: server answered %r" % (i, ack))
        reply = lines.readline().decode().strip()
want = "%d %s" % (size, digest.hexdigest())
print("intact" if reply == want else "server got: %s, sent: %s" % (reply, want))
PY
size=$((8 << 20)) burst=$((256 << 10))
bg "$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/server.py" "$port" "$size" "$burst"
wait_port "$port"
out=$(python3 "$T/client.py" "$port" "$CERTS" "$size" "$burst" 2>&1) || fail "client: $out"
[ "$out" = "intact" ] || fail "$out"
