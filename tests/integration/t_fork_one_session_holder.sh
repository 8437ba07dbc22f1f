# A TLS session copied by fork() is used by one process only: the first of
# parent and child to use it after the fork. Were both to send, each would
# encrypt a record under the same key and nonce. The other's use fails with
# ECONNRESET and a log line, and the peer receives only the first one's
# records, all intact. Tried both ways round, and with a child whose copy
# has grown old while its parent went on and forked again.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
client_config "$T/app.ini" "$port" "server_name=localhost"
cat > "$T/server.py" <<'PY'
import os, socket, ssl, sys
port, certs, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
srv = socket.create_server(("127.0.0.1", port))
while True:
    raw, _ = srv.accept()
    got, result = b"", "eof"
    try:
        with ctx.wrap_socket(raw, server_side=True) as tls:
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                got += chunk
    except (OSError, ssl.SSLError) as e:
        result = "error %s" % e
    if not got:
        continue  # wait_port's probe
    with open(out, "a") as f:
        f.write("%r %s\n" % (got, result))
PY
cat > "$T/client.py" <<'PY'
import errno, os, socket, sys
port, first = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"hello\n")
go = os.pipe()

def refused(line):
    try:
        s.sendall(line)
        return False
    except OSError as e:
        if e.errno != errno.ECONNRESET:
            raise
        return True

pid = os.fork()
if pid == 0:
    if first == "child":
        s.sendall(b"child\n")
        os._exit(0)
    os.read(go[0], 1)  # the parent has sent (and forked again, for "later")
    os._exit(0 if refused(b"child\n") else 3)
if first == "child":
    _, status = os.waitpid(pid, 0)
    if not refused(b"parent\n"):
        sys.exit("the parent sent after its child had used the session")
else:
    s.sendall(b"parent\n")
    if first == "later":
        # A later fork leaves the session unclaimed again: the first child's
        # copy is older than the session by now, and must stay unusable.
        helper = os.fork()
        if helper == 0:
            os._exit(0)
        os.waitpid(helper, 0)
    os.write(go[1], b"x")
    _, status = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit("the child sent after its parent had used the session")
s.close()
PY
bg python3 "$T/server.py" "$port" "$CERTS" "$T/received"
wait_port "$port"
for first in child parent later; do
  "$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" "$first" \
    || fail "the client ($first first) did not see what it should"
done
for i in $(seq 100); do
  [ "$(wc -l < "$T/received")" -ge 3 ] && break
  sleep 0.1
done
cat "$T/received"
[ "$(sed -n 1p "$T/received")" = "b'hello\\nchild\\n' eof" ] \
  || fail "the child used the session first; the server should have had its line alone"
for n in 2 3; do
  [ "$(sed -n ${n}p "$T/received")" = "b'hello\\nparent\\n' eof" ] \
    || fail "the parent used the session first; the server should have had its line alone"
done
assert_log "since fork() has used or ended this TLS session; only one process can use a session"
