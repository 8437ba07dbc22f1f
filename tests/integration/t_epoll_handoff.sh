# A connection handed between threads with EPOLLONESHOT, as thread-pool
# servers do, each arm (ADD, then MOD) made while decrypted bytes wait in
# the TLS layer, which the kernel cannot see. First the main thread arms it
# while two threads are blocked in epoll_wait (before, the first arm was
# never delivered); then three threads take turns, each reading a line and
# re-arming, with EPOLL_CTL_MOD and then with EPOLL_CTL_DEL and
# EPOLL_CTL_ADD (before, two threads could get the same arm, or one an arm
# already handled, with its old data).
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
port2=$(free_port)
# All 50 lines (1.5 KB) are sent before the client's first read, which
# takes them all into the TLS layer: the kernel has nothing left to report.
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port" "$CERTS" --expect go \
  --lines 50 --mark "$T/sent"
bg python3 "$ROOT/tests/integration/tls_reply.py" "$port2" "$CERTS" --expect go \
  --lines 500
wait_port "$port"
wait_port "$port2"
client_config "$T/app.ini" "$port,$port2"
for run in "main 2 50 $port $T/sent" "pool 4 500 $port2" "pool-del 4 500 $port2"; do
  read -r mode waiters arms p sent <<< "$run"
  out=$("$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/handoff_client" 127.0.0.1 "$p" "$arms" "$waiters" "$mode" $sent 2>&1) ||
    fail "handoff_client $mode: $out"
  [ "$out" = "handoff_client: $mode: $arms arms, $waiters waiters, $arms deliveries" ] ||
    fail "handoff_client $mode said: $out"
done
assert_log "TLS established"
