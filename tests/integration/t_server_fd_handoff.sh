# A server that accepts in one process and hands each connection to a worker
# process over a UNIX socket (SCM_RIGHTS). The worker, which never called
# accept(), must still speak TLS: native TLS clients are served, and a
# plaintext client is refused, not served in plaintext. When the dispatcher
# has already begun the session before handing it over, the worker cannot
# continue it: the connection fails, the dispatcher's log says why, and no
# byte of the worker's reply reaches the client.
source "$(dirname "$0")/lib.sh"
need python3
cat > "$T/server.py" <<'PY'
import os, socket, sys
port, read_first = int(sys.argv[1]), sys.argv[2] == "read-first"
dispatcher, worker = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
if os.fork() == 0:
    dispatcher.close()
    while True:
        _, fds, _, _ = socket.recv_fds(worker, 16, 1)
        if not fds:
            os._exit(0)
        with socket.socket(fileno=fds[0]) as conn:
            try:
                line = conn.recv(100)
                if line:
                    conn.sendall(b"worker got " + line)
            except OSError as e:
                print("worker:", e, file=sys.stderr)
worker.close()
srv = socket.create_server(("127.0.0.1", port))
while True:
    conn, _ = srv.accept()
    if read_first:
        try:
            conn.recv(1)  # a byte of the request: the session is under way
        except OSError:
            conn.close()
            continue  # wait_port's probe
    socket.send_fds(dispatcher, [b"x"], [conn.fileno()])
    conn.close()
PY

port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/server.py" "$port" hand-over
wait_port "$port"
for i in 1 2 3; do
  talk "$port" --send "hello $i" --expect "worker got hello $i" > /dev/null ||
    fail "connection $i was not served over TLS by the worker"
done
assert_plaintext_refused "$port" "worker"

# The dispatcher reads before it hands over.
port2=$(free_port)
server_config "$T/read-first.ini" "$port2"
sed -i "s|^log_file = .*|log_file = $T/read-first.log|" "$T/read-first.ini"
bg "$LAUNCHER" run -c "$T/read-first.ini" -- python3 "$T/server.py" "$port2" read-first
wait_port "$port2"
if talk "$port2" --send "secret" --expect "worker got" > "$T/talk2" 2>&1; then
  fail "the worker went on with a session the dispatcher had begun: $(cat "$T/talk2")"
fi
grep -q "worker got" "$T/talk2" && fail "the client received the worker's reply"
grep -q "sent to another process with its TLS session begun here" "$T/read-first.log" || {
  cat "$T/read-first.log" >&2
  fail "the log does not say why the handed-over connection failed"
}
