# close(-1) and epoll_ctl(EPOLL_CTL_DEL) of descriptor -1 fail with EBADF
# and change nothing, as over TCP. When the library looked for a watch by
# scanning its slots, -1 matched a free slot: the set's count of watches
# went wrong, its waits stopped going through the TLS layer, and the
# program got the library's own tag as its event data instead of its own.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
bg python3 "$(dirname "$0")/tls_reply.py" "$port" "$CERTS" --expect hello
wait_port "$port"
cat > "$T/client.py" <<'PY'
import ctypes, errno, select, socket, sys
port = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)  # the calls themselves, unchecked
s = socket.create_connection(("127.0.0.1", port))
ep = select.epoll()
ep.register(s.fileno(), select.EPOLLIN)  # Python's data: the descriptor
EPOLL_CTL_DEL = 2
for name, call in (("close", lambda: libc.close(-1)),
                   ("epoll_ctl", lambda: libc.epoll_ctl(ep.fileno(), EPOLL_CTL_DEL, -1, None))):
    if call() != -1 or ctypes.get_errno() != errno.EBADF:
        sys.exit("%s of descriptor -1 did not fail with EBADF" % name)
s.sendall(b"hello\n")
events = ep.poll(5)
if [fd for fd, _ in events] != [s.fileno()]:
    sys.exit("wait reported %r, wanted descriptor %d" % (events, s.fileno()))
if s.recv(100) != b"line 0\n":
    sys.exit("wrong reply")
print("ok")
PY
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" 2>&1) || fail "$out"
[ "$out" = ok ] || fail "client said: $out"
