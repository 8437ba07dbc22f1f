# Programs that link OpenSSL keep working under the preload: curl https://
# and Python's ssl module talk to an UNCOVERED native-TLS port with their own
# TLS, while a rule covers another port (BoringSSL stays in its own scope).
source "$(dirname "$0")/lib.sh"
need curl python3 nginx
port=$(free_port)
covered=$(free_port)
start_nginx_tls "$port" "$CERTS/server.pem" "$CERTS/server.key"
echo native > "$T/www/native.txt"
client_config "$T/app.ini" "$covered"
out=$("$LAUNCHER" run -c "$T/app.ini" -- curl -sS --fail --cacert "$CERTS/ca.pem" "https://localhost:$port/native.txt")
[ "$out" = native ] || fail "curl https:// under the preload got '$out'"
out=$("$LAUNCHER" run -c "$T/app.ini" -- python3 - "$port" "$CERTS/ca.pem" <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
print(urllib.request.urlopen(f"https://localhost:{sys.argv[1]}/native.txt", context=ctx, timeout=20).read().decode().strip())
PY
)
[ "$out" = native ] || fail "Python ssl under the preload got '$out'"
# Now cover the port too: a program's own TLS inside our TLS cannot work, but
# it must fail cleanly, never leak: curl https:// sees a TLS error.
