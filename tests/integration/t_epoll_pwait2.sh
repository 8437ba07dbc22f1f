# The edge-triggered epoll client waits in epoll_pwait2 instead of epoll_wait
# and moves 8 MiB each way through a native TLS echo server, intact; each
# event it gets back carries its own descriptor as data, not the preload's.
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/epoll_client" localhost "$port" $((8 << 20)) pwait2
assert_log "TLS established"
