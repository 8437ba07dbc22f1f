# Python's urllib (plain http://) under tlsshim, through the name the program
# resolved: the server certificate is verified as "localhost".
source "$(dirname "$0")/lib.sh"
need python3 nginx
port=$(free_port)
start_nginx_tls "$port" "$CERTS/server.pem" "$CERTS/server.key"
head -c 300000 /dev/urandom > "$T/www/data.bin"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- python3 - "$port" "$T/got.bin" <<'PY'
import sys, urllib.request
port, out = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(f"http://localhost:{port}/data.bin", timeout=20) as r:
    open(out, "wb").write(r.read())
PY
cmp "$T/got.bin" "$T/www/data.bin" || fail "the body differs"
assert_log "verified as localhost"
