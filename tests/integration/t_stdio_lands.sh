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

# The servers answer with printf and leave it to exit() to flush: -s
# accepts onto descriptor 1 itself, -f forks a child per connection.
for mode in -s -f; do
  port=$(free_port)
  server_config "$T/server$mode.ini" "$port"
  bg "$LAUNCHER" run -c "$T/server$mode.ini" -- "$PROGRAMS/stdio_lands" "$mode" "$port"
  wait_port "$port"
  talk "$port" --send "landed $mode" --expect "reply: landed $mode" ||
    fail "stdio_lands $mode: printf flushed by exit() did not reach the client through TLS"
done
