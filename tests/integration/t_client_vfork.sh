# Clients that start children with vfork(), as Python's subprocess does. The
# child runs on the parent's memory until it execs: what it closes or
# duplicates is its own descriptor, so the parent's session goes on (no
# close_notify, no shutdown, no change of its descriptors from the child); a
# connection the child tries itself is refused, before or after the parent's
# first; and nothing leaves in plaintext.
source "$(dirname "$0")/lib.sh"
need python3 socat
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/vfork_client" 127.0.0.1 "$TAP" ||
  fail "vfork_client's session did not outlive its vfork child"
assert_log "a vfork() child cannot start a TLS connection"

# The child's refused connect is the process's first TCP call: the child
# must not load the configuration (and open the log) for its parent.
sed "s|$T/tlsshim.log|$T/first.log|" "$T/app.ini" > "$T/first.ini"
"$LAUNCHER" run -c "$T/first.ini" -- "$PROGRAMS/vfork_client" 127.0.0.1 "$TAP" child-first ||
  fail "vfork_client child-first failed"
grep -q "TLS established" "$T/first.log" || {
  cat "$T/first.log" >&2 || true
  fail "the parent's log lines were lost after its vfork child's connect"
}

"$LAUNCHER" run -c "$T/app.ini" -- python3 - "$TAP" <<'PY' ||
import socket, subprocess, sys
if not getattr(subprocess, "_USE_VFORK", False):
    sys.exit("this Python's subprocess does not use vfork(); the test would prove nothing")
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
    subprocess.run(["true"], check=True)
PY
  fail "Python's session did not outlive subprocess.run"
assert_no_plaintext "$T/tap-$TAP" "vfork-"
