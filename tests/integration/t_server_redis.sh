# redis-server under a server rule: redis-cli --tls (native TLS) can SET and
# GET; redis-benchmark under a client rule (tlsshim on both ends) completes
# 100,000 requests with no error.
source "$(dirname "$0")/lib.sh"
need redis-server redis-cli redis-benchmark
port=$(free_port)
{
  printf '[global]\nlog_level = warn\nlog_file = %s\n\n' "$T/tlsshim.log"
  printf '[server:redis]\nport = %s\ncert = %s\nkey = %s\n\n' "$port" "$CERTS/server.pem" "$CERTS/server.key"
  printf '[client:redis]\nport = %s\nca_file = %s\nserver_name = localhost\n' "$port" "$CERTS/ca.pem"
} > "$T/app.ini"
bg "$LAUNCHER" run -c "$T/app.ini" -- redis-server --port "$port" --bind 127.0.0.1 \
  --save '' --appendonly no --dir "$T"
wait_port "$port"
cli=(redis-cli -h 127.0.0.1 -p "$port" --tls --cacert "$CERTS/ca.pem" --sni localhost)
[ "$("${cli[@]}" SET greeting hello)" = OK ] || fail "SET over native TLS"
[ "$("${cli[@]}" GET greeting)" = hello ] || fail "GET over native TLS"
"$LAUNCHER" run -c "$T/app.ini" -- redis-benchmark -h 127.0.0.1 -p "$port" \
  -n 100000 -c 50 -t set,get -q > "$T/bench" 2>&1 || fail "redis-benchmark failed: $(cat "$T/bench")"
cat "$T/bench"
grep -qi "error" "$T/bench" && fail "redis-benchmark reported errors"
grep -q "SET: .* requests per second" "$T/bench" || fail "no SET result"
grep -q "GET: .* requests per second" "$T/bench" || fail "no GET result"
