# A server that moves its connection with dup2(), echoes every byte with
# splice() through a pipe (both directions fall back to TLS reads and
# writes), and closes with close_range(); 2 MiB come back intact.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/splice_server" "$port"
wait_port "$port"
python3 - "$port" "$CERTS/ca.pem" <<'PY' || fail "splice echo"
import os, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
data = os.urandom(2 << 20)
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        got = b""
        for i in range(0, len(data), 65536):
            tls.sendall(data[i:i + 65536])
            while len(got) < min(i + 65536, len(data)):
                chunk = tls.recv(1 << 16)
                assert chunk, "closed early"
                got += chunk
        sys.exit(0 if got == data else 1)
PY
talk "$port" --send "second connection" --expect "second connection" > /dev/null ||
  fail "the server did not survive close_range"
