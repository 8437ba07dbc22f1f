# A configuration that does not validate never leads to plaintext: the
# launcher refuses to start the program, and a preloaded library without a
# loadable configuration makes every TCP connect fail with EACCES.
source "$(dirname "$0")/lib.sh"
need curl python3
printf '[client:x]\nport = 8443\nprot = 9\n' > "$T/bad.ini"
set +e
"$LAUNCHER" run -c "$T/bad.ini" -- touch "$T/ran" 2> "$T/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "tlsshim run exited $rc on a bad config, wanted 2"
[ ! -e "$T/ran" ] || fail "the program ran despite a bad config"
grep -q "bad.ini:3: unknown key 'prot'" "$T/err" || fail "message lacks file:line:key: $(cat "$T/err")"
if "$LAUNCHER" check "$T/bad.ini" 2>/dev/null; then
  fail "tlsshim check accepted a bad config"
fi
# Preloaded with a missing or broken configuration: TCP fails with EACCES.
port=$(free_port)
mkdir -p "$T/www" && echo x > "$T/www/x"
bg python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www"
wait_port "$port"
for cfg in "$T/missing.ini" "$T/bad.ini"; do
  if TLSSHIM_CONFIG=$cfg LD_PRELOAD=$LIB curl -sS "http://127.0.0.1:$port/x" 2> "$T/err2"; then
    fail "curl connected with TLSSHIM_CONFIG=$cfg"
  fi
  grep -q "every TCP connect and accept will fail with EACCES" "$T/err2" ||
    fail "stderr does not say why: $(cat "$T/err2")"
done
errno=$(TLSSHIM_CONFIG=$T/missing.ini LD_PRELOAD=$LIB python3 -c "
import socket, errno
try:
    socket.create_connection(('127.0.0.1', $port))
except OSError as e:
    print(errno.errorcode[e.errno])" 2>/dev/null)
[ "$errno" = EACCES ] || fail "connect failed with '$errno', wanted EACCES"
# A good config prints its rules.
client_config "$T/good.ini" 8443
"$LAUNCHER" check "$T/good.ini" | grep -q "configuration OK" || fail "tlsshim check on a good config"
# Without a loadable configuration, a TCP connection the program inherits
# across exec is cut off too: an inetd-style `cat` given one (by a server
# not under tlsshim) must not echo the client's plaintext.
port2=$(free_port)
bg "$PROGRAMS/inetd_lite" "$port2" env LD_PRELOAD="$LIB" \
  TLSSHIM_CONFIG="$T/bad.ini" cat
wait_port "$port2"
python3 - "$port2" <<'PY' || fail "an inherited connection carried plaintext without a configuration"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"secret\n")
try:
    got = s.recv(100)
except ConnectionResetError:
    got = b""
sys.exit(0 if got == b"" else 1)
PY
