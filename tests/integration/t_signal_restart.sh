# A blocking client (tests/programs/restart_client) is interrupted by a
# SIGALRM every 5 ms while it waits in read() for a native TLS server that
# answers after 300 ms. As with plain TCP, a handler installed with
# SA_RESTART must not surface as EINTR, and one installed without it must.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/server.py" <<'PY'
import os, socket, ssl, sys, time
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(os.path.join(sys.argv[2], "server.pem"), os.path.join(sys.argv[2], "server.key"))
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    raw, _ = srv.accept()
    try:
        with ctx.wrap_socket(raw, server_side=True) as tls:
            if tls.recv(100) != b"hello\n":
                continue
            time.sleep(0.3)  # the client is blocked in read() meanwhile
            tls.sendall(b"world\n")
            tls.recv(100)  # until the client closes
    except (ssl.SSLError, OSError):
        pass  # wait_port's probe
PY
bg python3 "$T/server.py" "$port" "$CERTS"
wait_port "$port"
client_config "$T/app.ini" "$port"
for mode in restart norestart; do
  out=$("$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/restart_client" 127.0.0.1 "$port" "$mode" 2>&1) ||
    fail "$mode: $out"
done
