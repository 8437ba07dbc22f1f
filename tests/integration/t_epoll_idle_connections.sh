# Idle connections cost an epoll wait almost nothing, as over TCP: a client
# with 500 idle TLS connections in one set times zero-timeout waits on it
# against waits on a set holding one of them. Before, every wait looked at
# every connection in its engine, under one lock: redis with 9,000 idle TLS
# clients served one busy client at a quarter of its speed.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/hold.py" <<'PY'
import asyncio, pki, sys
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = pki.server_context(certs)
async def hold(reader, writer):
    await reader.read()  # until the client closes
    writer.close()
async def main():
    server = await asyncio.start_server(hold, "127.0.0.1", port, ssl=ctx, backlog=1024)
    await server.serve_forever()
asyncio.run(main())
PY
bg python3 "$T/hold.py" "$port" "$CERTS"
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/idle_wait_client" 127.0.0.1 "$port" 500 2>&1) ||
  fail "idle_wait_client: $out"
echo "$out"
assert_log "TLS established"
