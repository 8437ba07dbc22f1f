# A blocking client (tests/programs/restart_client) is interrupted by a
# SIGALRM every 5 ms while it waits in read() for a native TLS server that
# answers after 300 ms. As with plain TCP, a handler installed with
# SA_RESTART must not surface as EINTR, and one installed without it must.
# A crash handler (SIGSEGV, without SA_RESTART) changes nothing: a fault
# cannot interrupt a read.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port" "$CERTS" --expect hello --delay 0.3
wait_port "$port"
client_config "$T/app.ini" "$port"
for mode in restart norestart crash-handler; do
  out=$("$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/restart_client" 127.0.0.1 "$port" "$mode" 2>&1) ||
    fail "$mode: $out"
done
