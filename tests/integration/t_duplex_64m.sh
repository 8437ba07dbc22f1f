# A blocking client with one thread writing and another reading the same
# socket moves 64 MiB each way through a native TLS echo server, intact.
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/duplex_client" localhost "$port" $((64 << 20))
assert_log "TLS established"
