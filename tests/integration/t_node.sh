# Node.js (libuv: non-blocking sockets, epoll, writev) under tlsshim, both
# ways. As a client, plain http.get with a keep-alive agent fetches 1 MiB
# twenty times over four parallel connections from nginx serving native TLS,
# and once more through a tap that must see only TLS. As a server, a plain
# http server answers curl over https: a 3 MiB body, a 1 MiB upload it
# hashes, and 100 requests 20 at a time.
source "$(dirname "$0")/lib.sh"
need node nginx curl sha256sum
port=$(free_port)
tap=$(free_port)
start_nginx_tls "$port" "$CERTS/server.pem" "$CERTS/server.key"
head -c 1048576 /dev/urandom > "$T/www/file.bin"
start_tap "$tap" "$port"
client_config "$T/app.ini" "$port, $tap" "server_name=localhost"
cat > "$T/get.js" <<'JS'
// get.js PORT FILE COUNT SOCKETS: COUNT keep-alive GETs of /file.bin over
// at most SOCKETS connections; each body must equal FILE.
const http = require('http');
const fs = require('fs');
const [port, file, count, sockets] = process.argv.slice(2);
const want = fs.readFileSync(file);
const agent = new http.Agent({ keepAlive: true, maxSockets: +sockets });
let done = 0;
for (let i = 0; i < +count; i++) {
  http.get({ host: '127.0.0.1', port, path: '/file.bin', agent }, res => {
    const chunks = [];
    res.on('data', c => chunks.push(c));
    res.on('end', () => {
      if (res.statusCode !== 200 || !Buffer.concat(chunks).equals(want)) {
        console.error(`request ${i}: status ${res.statusCode}, body differs`);
        process.exit(1);
      }
      if (++done === +count) process.exit(0);
    });
  }).on('error', e => { console.error(`request ${i}: ${e.message}`); process.exit(1); });
}
JS
"$LAUNCHER" run -c "$T/app.ini" -- node "$T/get.js" "$port" "$T/www/file.bin" 20 4 ||
  fail "node's keep-alive client did not get every body"
# The tap relays one connection at a time, hence one socket.
"$LAUNCHER" run -c "$T/app.ini" -- node "$T/get.js" "$tap" "$T/www/file.bin" 2 1 ||
  fail "node's client did not get its bodies through the tap"
assert_no_plaintext "$T/tap-$tap" "GET /file.bin"
assert_log "verified as localhost"

sport=$(free_port)
server_config "$T/server.ini" "$sport"
cat > "$T/serve.js" <<'JS'
// serve.js PORT: /big answers 3 MiB of 'x', /hash the SHA-256 of the
// request body, anything else "hello PATH".
const http = require('http');
const crypto = require('crypto');
const big = Buffer.alloc(3 << 20, 'x');
http.createServer((req, res) => {
  if (req.url === '/hash') {
    const h = crypto.createHash('sha256');
    req.on('data', c => h.update(c));
    req.on('end', () => res.end(h.digest('hex') + '\n'));
    return;
  }
  res.end(req.url === '/big' ? big : `hello ${req.url}\n`);
}).listen(+process.argv[2], '127.0.0.1');
JS
bg "$LAUNCHER" run -c "$T/server.ini" -- node "$T/serve.js" "$sport"
wait_port "$sport"
url="https://localhost:$sport"
[ "$(curl -sS --fail --cacert "$CERTS/ca.pem" "$url/a")" = "hello /a" ] ||
  fail "node's server did not answer through TLS"
[ "$(curl -sS --fail --cacert "$CERTS/ca.pem" "$url/big" | wc -c)" = $((3 << 20)) ] ||
  fail "node's server did not send 3 MiB whole"
want=$(sha256sum < "$T/www/file.bin" | cut -d' ' -f1)
got=$(curl -sS --fail --cacert "$CERTS/ca.pem" --data-binary @"$T/www/file.bin" "$url/hash")
[ "$got" = "$want" ] || fail "node's server hashed the upload as $got, wanted $want"
seq 100 | xargs -P 20 -I{} curl -sS --cacert "$CERTS/ca.pem" -o /dev/null \
  -w '%{http_code}\n' "$url/{}" > "$T/codes" 2>&1 || true
ok=$(grep -c '^200$' "$T/codes" || true)
[ "$ok" = 100 ] || fail "only $ok of 100 parallel requests succeeded: $(sort "$T/codes" | uniq -c)"
