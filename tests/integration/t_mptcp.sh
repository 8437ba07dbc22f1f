# Multipath TCP (IPPROTO_MPTCP) is a TCP stream to the program, so a covered
# port carries TLS over it as over TCP. A Python client under a client rule
# opens an MPTCP socket to a native TLS echo server behind a tap: its bytes
# come back whole and none crosses the wire in plaintext. A Python server
# under a server rule listens on an MPTCP socket: a native TLS client is
# served, and a plaintext client is refused.
source "$(dirname "$0")/lib.sh"
need socat python3
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).close()' ||
  fail "this kernel refuses MPTCP sockets (net.mptcp.enabled); the test needs them"

tapped_tls_echo
cat > "$T/client.py" <<'PY'
import socket, sys, wire
data = b"mptcp-line " * 40000
with socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262) as s:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(data)
    got = wire.recv_up_to(s, len(data))
sys.exit(0 if got == data else "echo came back as %d bytes, not %d" % (len(got), len(data)))
PY
"$LAUNCHER" run -c "$T/app.ini" -- python3 "$T/client.py" "$TAP" ||
  fail "the MPTCP client's echo failed"
assert_no_plaintext "$T/tap-$TAP" "mptcp-line"

port=$(free_port)
server_config "$T/server.ini" "$port"
bg "$LAUNCHER" run -c "$T/server.ini" -- python3 "$ROOT/tests/integration/line_server.py" \
  "$port" "mptcp server got " --mptcp
wait_port "$port"
talk "$port" --send "hello" --expect "mptcp server got hello" > /dev/null ||
  fail "the MPTCP server did not serve a native TLS client"
assert_plaintext_refused "$port" "server got"
