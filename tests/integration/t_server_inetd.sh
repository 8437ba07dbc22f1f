# An inetd-style server: the accepting process forks and execs `cat` with the
# connection as standard input and output. The new program image adopts the
# not-yet-started connection (one TLS session for descriptors 0 and 1).
source "$(dirname "$0")/lib.sh"
need python3 cat
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/inetd_lite" "$port" cat
wait_port "$port"
talk "$port" --send "through an exec" --expect "through an exec" || fail "inetd-style echo"
talk "$port" --send "and again" --expect "and again" || fail "second inetd-style connection"
