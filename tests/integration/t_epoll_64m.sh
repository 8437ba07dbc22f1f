# A non-blocking, edge-triggered epoll client moves 64 MiB each way through a
# native TLS echo server, intact.
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/epoll_client" localhost "$port" $((64 << 20))
assert_log "TLS established"
