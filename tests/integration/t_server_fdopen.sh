# A server written with stdio (fdopen, fgets, fprintf): its FILE I/O goes
# through TLS, not around it.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/fdopen_server" "$port"
wait_port "$port"
talk "$port" --send "via stdio" --expect "stdio says: via stdio (9 bytes)" || fail "stdio server"
