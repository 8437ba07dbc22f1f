# The edge-triggered epoll client registers its socket with EPOLLEXCLUSIVE
# and moves 8 MiB each way through a native TLS echo server, intact. The
# kernel refuses to change an exclusive entry's events, and the TLS layer
# must (what it waits for moves with the handshake and with buffered
# records), so the preload registers the TLS descriptor without the flag;
# passed on, the transfer stalls and the client times out (tried).
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/epoll_client" localhost "$port" $((8 << 20)) exclusive
assert_log "TLS established"
