# A covered connection that lands on descriptor 1 by connect(), dup(),
# fcntl(F_DUPFD), dup2() or accept(): glibc's stdout, which writes with the
# kernel's write() past the hooks, follows it through TLS, and goes back to
# the original file once the connection leaves 1. A pointer to glibc's
# stdout kept from before fails instead of writing plaintext.
source "$(dirname "$0")/lib.sh"
need socat python3
tapped_tls_echo
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/stdio_lands" 127.0.0.1 "$TAP" \
  >"$T/out" || fail "stdio_lands's exchanges failed"
assert_no_plaintext "$T/tap-$TAP" "stdio-"
for name in connect dup fdupfd dup2 close close_range; do
  grep -qx "back $name" "$T/out" || fail "stdout did not come back after '$name'"
done
grep -qx "kept after dup2" "$T/out" ||
  fail "the kept stdout did not work again after dup2"
if grep -q "stdio-" "$T/out"; then
  fail "a line meant for the connection reached the original stdout"
fi

port=$(free_port)
server_config "$T/server.ini" "$port"
bg "$LAUNCHER" run -c "$T/server.ini" -- "$PROGRAMS/stdio_lands" -s "$port"
wait_port "$port"
talk "$port" --send "landed" --expect "reply: landed" ||
  fail "printf on an accepted connection on descriptor 1, flushed by exit(), did not go through TLS"

port2=$(free_port)
server_config "$T/forking.ini" "$port2"
bg "$LAUNCHER" run -c "$T/forking.ini" -- "$PROGRAMS/stdio_lands" -f "$port2"
wait_port "$port2"
talk "$port2" --send "forked" --expect "reply: forked" ||
  fail "a fork-per-connection child's printf, flushed by exit(), did not reach the client"
