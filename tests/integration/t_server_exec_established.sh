# A connection whose TLS session is already under way when the program execs
# another: the new image cannot continue the session, so the connection is
# failed with a clear error; nothing it holds is read as ciphertext or
# written in plaintext.
source "$(dirname "$0")/lib.sh"
need python3 cat
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/inetd_lite" -u "$port" cat
wait_port "$port"
python3 - "$port" "$CERTS/ca.pem" <<'PY' || fail "the inherited session was not failed cleanly"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"first\n")
        got = b""
        while b"ready\n" not in got:
            chunk = tls.recv(100)
            assert chunk, "closed before the exec"
            got += chunk
        tls.sendall(b"after the exec\n")
        try:
            rest = tls.recv(100)
        except (ConnectionResetError, ssl.SSLError):
            rest = b""
        # cat must not echo: it never gets the plaintext of a session it
        # cannot continue.
        sys.exit(0 if rest == b"" else 1)
PY
assert_log "connection inherited across exec, or received from another process, with its TLS session already under way"
