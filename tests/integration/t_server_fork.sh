# A fork-per-connection server: the parent closes its copy of each accepted
# connection at once, and the child's TLS session is unaffected.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/fork_server" "$port"
wait_port "$port"
for i in 1 2 3; do
  talk "$port" --send "hello $i" --expect "hello $i" > /dev/null || fail "connection $i"
done
pids=()
for i in $(seq 10); do
  talk "$port" --send "parallel $i" --expect "parallel $i" > /dev/null & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "a parallel connection failed"; done
