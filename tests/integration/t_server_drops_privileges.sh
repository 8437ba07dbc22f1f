# Servers that give up their privileges before they listen: the rule's key
# (mode 600, root's) and the engine are loaded at the moment they do, while
# they still can be. memcached -u nobody (setgroups, setgid, setuid, then
# listen) serves a native TLS client and eight threads of a Python client
# under a client rule; a Python server that chroots into an empty directory
# and becomes nobody before it listens serves a native TLS client.
source "$(dirname "$0")/lib.sh"
need python3 memcached
[ "$(id -u)" = 0 ] || fail "this test changes users: run it as root"
server_key_mode=$(stat -c %a "$CERTS/server.key")
[ "$server_key_mode" = 600 ] || fail "the test key should be mode 600, is $server_key_mode"

# memcached: set and get over native TLS.
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- memcached -u nobody -l 127.0.0.1 \
  -p "$port" -U 0 -t 2
wait_port "$port"
talk "$port" --send $'set greeting 0 0 5\r\nhello\r\nget greeting\r' \
  --expect $'VALUE greeting 0 5\r\nhello\r\nEND' > /dev/null ||
  fail "memcached did not serve a native TLS client"
[ "$(ps -o user= -C memcached | sort -u)" = nobody ] ||
  fail "memcached is not running as nobody"

# Both ends under tlsshim: eight threads, 40 KB values.
client_config "$T/client.ini" "$port" "server_name=localhost"
cat > "$T/client.py" <<'PY'
import os, socket, sys, threading, wire
port = int(sys.argv[1])
errors = []
def worker(n):
    try:
        for j in range(20):
            value = os.urandom(20000).hex().encode()
            with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
                s.sendall(b"set k%d 0 0 %d\r\n%s\r\nget k%d\r\n" % (n, len(value), value, n))
                want = b"STORED\r\nVALUE k%d 0 %d\r\n%s\r\nEND\r\n" % (n, len(value), value)
                got = wire.recv_up_to(s, len(want))
                if got != want:
                    errors.append("thread %d, round %d: %r" % (n, j, got[:60]))
                    return
    except OSError as e:
        errors.append("thread %d: %s" % (n, e))
threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("\n".join(errors) or "160 exchanges")
sys.exit(1 if errors else 0)
PY
"$LAUNCHER" run -c "$T/client.ini" -- python3 "$T/client.py" "$port" ||
  fail "the Python client under tlsshim failed against memcached"

# A server that chroots into an empty directory, becomes nobody, then
# listens: neither the key nor the engine is reachable from there.
port2=$(free_port)
server_config "$T/jailed.ini" "$port2"
mkdir -p "$T/jail"
bg "$LAUNCHER" run -c "$T/jailed.ini" -- python3 "$ROOT/tests/integration/line_server.py" \
  "$port2" "jailed " --jail "$T/jail"
wait_port "$port2"
talk "$port2" --send "hello" --expect "jailed hello" > /dev/null ||
  fail "the chrooted server did not serve a native TLS client"
