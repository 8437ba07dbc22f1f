# Records that arrive together: a native TLS client sends 200 lines, each in
# its own record, back to back. The server, a Python program under a server
# rule, waits in select() before every recv(4096). tlsshim reads ahead of
# the record BoringSSL asks for, so a later record is often already out of
# the kernel when select() runs: select() must still report it, or the
# server waits for bytes that already arrived.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
cat > "$T/server.py" <<'PY'
import select, socket, sys
lines = int(sys.argv[2])
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))


def serve(conn):
    got = b""
    while got.count(b"\n") < lines:
        ready, _, _ = select.select([conn], [], [], 10)
        if not ready:
            sys.exit("select() timed out after %d lines" % got.count(b"\n"))
        chunk = conn.recv(4096)
        if not chunk:
            return got  # wait_port's probe, or a client that gave up
        got += chunk
    conn.sendall(b"got %d lines\n" % got.count(b"\n"))
    return got


while True:  # until one client has sent every line
    conn, _ = srv.accept()
    try:
        if serve(conn).count(b"\n") == lines:
            break
    except ConnectionResetError:
        pass  # the probe again
    conn.close()
PY
cat > "$T/client.py" <<'PY'
import os, socket, ssl, sys
ctx = ssl.create_default_context(cafile=os.path.join(sys.argv[2], "ca.pem"))
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        for i in range(int(sys.argv[3])):
            tls.send(b"line %d\n" % i)  # one record each
        print(tls.recv(100).decode().strip())
PY
bg "$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/server.py" "$port" 200
wait_port "$port"
out=$(python3 "$T/client.py" "$port" "$CERTS" 200 2>&1) || fail "client: $out"
[ "$out" = "got 200 lines" ] || fail "server answered: $out"
