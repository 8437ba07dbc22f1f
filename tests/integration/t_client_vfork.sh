# Clients that start children with vfork() in the middle of a connection, as
# Python's subprocess does. The child runs on the parent's memory until it
# execs: what it closes or duplicates is its own descriptor, so the parent's
# session goes on (no close_notify, no shutdown from the child), a
# connection the child tries itself is refused, and nothing leaves in
# plaintext.
source "$(dirname "$0")/lib.sh"
need python3 socat
port=$(free_port)
tap=$(free_port)
start_tls_echo "$port"
start_tap "$tap" "$port"
client_config "$T/app.ini" "$tap"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/vfork_client" 127.0.0.1 "$tap" ||
  fail "vfork_client's session did not outlive its vfork child"
assert_log "a vfork() child cannot start a TLS connection"
"$LAUNCHER" run -c "$T/app.ini" -- python3 - "$tap" <<'PY' ||
import socket, subprocess, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for word in (b"one", b"two", b"three"):
    line = b"vfork-" + word + b"\n"
    s.sendall(line)
    got = b""
    while not got.endswith(b"\n"):
        chunk = s.recv(100)
        if not chunk:
            sys.exit("end of stream after " + repr(got))
        got += chunk
    if got != line:
        sys.exit("echo " + repr(got))
    subprocess.run(["true"], check=True)  # fork_exec: vfork() in Python 3.11
PY
  fail "Python's session did not outlive subprocess.run"
assert_no_plaintext "$T/tap-$tap" "vfork-"
