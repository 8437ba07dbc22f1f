# One thread blocks reading a TLS connection whose server stays silent for
# 10 s; another calls shutdown(SHUT_RDWR) on the socket, the usual way to
# stop a reader. Over plain TCP the read returns 0 at once. Under tlsshim a
# blocking read waits in poll() inside the library, and the shutdown must
# wake it there too, with the end of the stream, not leave it until the
# server speaks. The second thread shuts down once the first is inside its
# wait (the kernel shows the system call it is in).
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/client.py" <<'PY'
import socket, sys, threading, time
WAITS = {7, 45, 47, 271}  # poll, recvfrom, recvmsg, ppoll (x86-64)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"go\n")
result = {}
def reader():
    result["tid"] = threading.get_native_id()
    start = time.monotonic()
    result["data"] = s.recv(100)
    result["took"] = time.monotonic() - start
t = threading.Thread(target=reader)
t.start()
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        with open("/proc/self/task/%d/syscall" % result["tid"]) as f:
            if int(f.read().split()[0]) in WAITS:
                break
    except (KeyError, FileNotFoundError, ValueError):
        pass
    time.sleep(0.01)
else:
    sys.exit("the reader never blocked")
s.shutdown(socket.SHUT_RDWR)
t.join(8)
if t.is_alive():
    sys.exit("the read was still blocked 8 s after shutdown")
print("read %r after %.1f s" % (result["data"], result["took"]))
PY
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port" "$CERTS" --expect go \
  --delay 10
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$port" 2>&1) ||
  fail "client: $out"
case "$out" in
  "read b'' after 0."* | "read b'' after 1."*) ;;
  *) fail "client said: $out" ;;
esac
assert_log "TLS established"
