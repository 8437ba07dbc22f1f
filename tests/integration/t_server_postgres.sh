# PostgreSQL under a server rule, psql and pgbench under a client rule
# (tlsshim on both ends). PostgreSQL is a fork-per-connection server in C:
# its postmaster accepts each connection and forks a backend that carries
# the session, while the postmaster closes its copy. A 1 MB query goes up and
# a 1.3 MB result comes back intact, with only TLS on the client's wire (a
# tap between them); pgbench then opens a new connection per transaction
# from two threads, 200 in all, and none fails; a plaintext psql is refused.
source "$(dirname "$0")/lib.sh"
need python3 setpriv
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/postgres" ] ||
  fail "PostgreSQL is not installed (make deps)"

# PostgreSQL refuses to run as root: as root, run it as its own user.
as_pg=()
pg=$T/pg
mkdir -p "$pg"
cp "$CERTS/server.pem" "$CERTS/server.key" "$pg/"
chmod 600 "$pg/server.key"
if [ "$(id -u)" = 0 ]; then
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
  chown -R postgres: "$pg"
fi

port=$(free_port)
server_config "$T/server.ini" "$port" "cert=$pg/server.pem" "key=$pg/server.key"
# Its own log, in a directory the server's user may write to.
sed -i "s|^log_file = .*|log_file = $pg/tlsshim.log|" "$T/server.ini"
"${as_pg[@]}" "$bindir/initdb" -D "$pg/data" -A trust -U postgres -E UTF8 \
  --locale=C --no-sync > "$T/initdb.log" 2>&1 || {
  cat "$T/initdb.log" >&2
  fail "initdb failed"
}
bg "${as_pg[@]}" "$LAUNCHER" run -c "$T/server.ini" -- "$bindir/postgres" \
  -D "$pg/data" -p "$port" -k "$pg" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c shared_buffers=16MB -c max_connections=20
wait_port "$port"

TAP=$(free_port)
start_tap "$TAP" "$port"
client_config "$T/client.ini" "$port,$TAP"
psql=("$LAUNCHER" run -c "$T/client.ini" -- "$bindir/psql" -X -At -v ON_ERROR_STOP=1)
conninfo="host=127.0.0.1 user=postgres dbname=postgres sslmode=disable"

# Up: a query carrying a 1,000,000-character literal.
python3 -c "print(\"select length('\" + 'q' * 1000000 + \"');\")" > "$T/up.sql"
up=$("${psql[@]}" "$conninfo port=$TAP" -f "$T/up.sql") || fail "psql (1 MB up) failed"
[ "$up" = 1000000 ] || fail "the server counted ${up:0:80} characters, not 1000000"
assert_no_plaintext "$T/tap-$TAP" "qqqqqqqq"

# Down: 40,000 md5 digests in one value, checked against Python's.
"${psql[@]}" "$conninfo port=$port" \
  -c "select string_agg(md5(i::text), '' order by i) from generate_series(1, 40000) i" \
  > "$T/down" || fail "psql (1.3 MB down) failed"
python3 - "$T/down" <<'PY' || fail "the result that came back differs from what the server computed"
import hashlib, sys
want = "".join(hashlib.md5(str(i).encode()).hexdigest() for i in range(1, 40001))
got = open(sys.argv[1]).read().strip()
sys.exit(0 if got == want else 1)
PY

# A new connection (a new forked backend) per transaction, two threads.
pgbench=("$LAUNCHER" run -c "$T/client.ini" -- "$bindir/pgbench" -h 127.0.0.1 -p "$port" -U postgres)
"${pgbench[@]}" -i -s 1 -q postgres > "$T/pgbench-init" 2>&1 || {
  cat "$T/pgbench-init" >&2
  fail "pgbench -i failed"
}
"${pgbench[@]}" -C -c 4 -j 2 -t 50 -S postgres > "$T/pgbench" 2>&1 || {
  cat "$T/pgbench" >&2
  fail "pgbench failed"
}
cat "$T/pgbench"
grep -q "number of transactions actually processed: 200/200" "$T/pgbench" ||
  fail "pgbench did not complete 200 transactions"
grep -q "number of failed transactions: 0 " "$T/pgbench" ||
  fail "pgbench reports failed transactions"

# The server speaks only TLS.
if "$bindir/psql" -X -At "$conninfo port=$port" -c "select 'plain'" > "$T/plain" 2>&1; then
  fail "a plaintext psql was served: $(cat "$T/plain")"
fi
grep -q "not a TLS peer" "$pg/tlsshim.log" || {
  cat "$pg/tlsshim.log" >&2
  fail "the server's log does not say it refused the plaintext client"
}
established=$(grep -c "TLS established" "$pg/tlsshim.log" || true)
[ "$established" -ge 203 ] ||
  fail "the server's log shows $established TLS sessions, not at least 203"
