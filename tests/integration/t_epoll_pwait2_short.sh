# epoll_pwait2 keeps its nanosecond timeout under tlsshim: 200 us waits, on
# a set that holds a TLS socket and on one that holds only a pipe (while the
# first exists), each time out after 200 us and not after a whole
# millisecond, with no event (the server's session tickets only feed the
# TLS layer).
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/short_wait_client" localhost "$port"
assert_log "TLS established"
