# Every I/O entry point a client uses (read/write, recv/send, recvfrom/sendto,
# readv/writev, recvmsg/sendmsg, MSG_PEEK/WAITALL/DONTWAIT, poll, select,
# FIONREAD, F_GETFL, dup, shutdown) works through TLS.
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/surface_client" localhost "$port"
# The same program passes over plain TCP: the test checks TCP semantics, not
# tlsshim's own idea of them.
plain=$(free_port)
bg socat "TCP-LISTEN:$plain,reuseaddr,fork" PIPE
wait_port "$plain"
"$PROGRAMS/surface_client" 127.0.0.1 "$plain"
