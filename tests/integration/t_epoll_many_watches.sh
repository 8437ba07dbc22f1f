# Many connections in one epoll set cost its epoll_ctl calls nothing, as
# over TCP: a client starts 4,000 TLS connections (the server never accepts
# them; a watch needs no handshake) and times EPOLL_CTL_MOD of one of them
# in the full set against a set holding only it. Before, each call looked
# for its descriptor through every watch of the set, and each close through
# every set: about 1 ns a watch, 4 us a call with 4,000.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
cat > "$T/listen.py" <<'PY'
import socket, sys, time
s = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=8)
time.sleep(3600)  # never accepts
PY
bg python3 "$T/listen.py" "$port"
wait_port "$port"
client_config "$T/app.ini" "$port"
out=$("$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/ctl_cost_client" 127.0.0.1 "$port" 4000 2>&1) ||
  fail "ctl_cost_client: $out"
echo "$out"
