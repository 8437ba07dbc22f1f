# nginx with a plain `listen` (epoll, sendfile) under a server rule serves a
# 10 MiB file intact, and 200 parallel requests all succeed.
source "$(dirname "$0")/lib.sh"
need curl nginx
port=$(free_port)
mkdir -p "$T/www" "$T/ngx"
head -c $((10 << 20)) /dev/urandom > "$T/www/big.bin"
cat > "$T/ngx/nginx.conf" <<CONF
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log;
events { worker_connections 512; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $T/ngx/body; proxy_temp_path $T/ngx/proxy;
  fastcgi_temp_path $T/ngx/fastcgi; uwsgi_temp_path $T/ngx/uwsgi; scgi_temp_path $T/ngx/scgi;
  server { listen 127.0.0.1:$port; root $T/www; }
}
CONF
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- nginx -p "$T/ngx" -c "$T/ngx/nginx.conf" -g 'daemon off;'
wait_port "$port"
curl -sS --fail --cacert "$CERTS/ca.pem" "https://localhost:$port/big.bin" -o "$T/got.bin"
[ "$(sha256sum < "$T/got.bin")" = "$(sha256sum < "$T/www/big.bin")" ] || fail "SHA-256 differs"
seq 200 | xargs -P 50 -I{} curl -sS --cacert "$CERTS/ca.pem" -o /dev/null \
  -w '%{http_code}\n' "https://localhost:$port/big.bin" > "$T/codes" 2>&1 || true
ok=$(grep -c '^200$' "$T/codes" || true)
[ "$ok" = 200 ] || fail "only $ok of 200 parallel requests succeeded: $(sort "$T/codes" | uniq -c)"
