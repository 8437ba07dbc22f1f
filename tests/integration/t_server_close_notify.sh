# The end of a session is signed: a Python server under a server rule writes
# a line and closes, and a native client that refuses ragged EOFs
# (suppress_ragged_eofs=False) must see close_notify, not a bare FIN. The
# second connection is closed while a forked child still holds the socket,
# so no FIN follows the close: the alert must leave on its own.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
cat > "$T/server.py" <<'PY'
import os, select, socket, sys
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
served = 0
while served < 2:
    conn, _ = srv.accept()
    try:
        if conn.recv(100) != b"hello\n":
            conn.close()
            continue  # wait_port's probe
    except ConnectionResetError:
        continue
    conn.sendall(b"bye\n")
    served += 1
    if served == 2 and os.fork() == 0:
        os.close(srv.fileno())
        # Hold the socket until the test has checked (or 30 s at most).
        select.select([int(sys.argv[2])], [], [], 30)
        os._exit(0)
    conn.close()
PY
cat > "$T/client.py" <<'PY'
import os, socket, ssl, sys
ctx = ssl.create_default_context(cafile=os.path.join(sys.argv[2], "ca.pem"))
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost",
                         suppress_ragged_eofs=False) as tls:
        tls.sendall(b"hello\n")
        got = b""
        while True:
            try:
                chunk = tls.recv(100)
            except ssl.SSLEOFError:
                sys.exit("end of stream without close_notify after %r" % got)
            except socket.timeout:
                sys.exit("no end of stream after %r" % got)
            if not chunk:
                break  # close_notify
            got += chunk
        print(got.decode().strip())
PY
mkfifo "$T/hold"
exec 7<>"$T/hold"  # readable once the test writes to it
bg "$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/server.py" "$port" 7
wait_port "$port"
for which in "a plain close" "a close while a child holds the socket"; do
  out=$(python3 "$T/client.py" "$port" "$CERTS" 2>&1) || fail "$which: $out"
  [ "$out" = bye ] || fail "$which: got $out"
done
echo done >&7  # the child may go
