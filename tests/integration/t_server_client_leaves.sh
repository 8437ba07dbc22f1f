# Clients that only go away (close before a byte, close or reset in the middle
# of the handshake, no alert) are routine for a server: each is logged at
# info with what happened, never as an error. A client that is refused (a
# plaintext one, one whose alert says our certificate is bad) still is an
# error. The server keeps serving throughout.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/banner_server" "$port"
wait_port "$port"

for mode in probe fin reset; do
  python3 "$ROOT/tests/integration/leaving_client.py" "$port" "$mode" ||
    fail "leaving client ($mode) could not run"
done
# The server logs each after its handshake fails; wait for all three.
for reason in "before sending anything" "closed the connection during the handshake" \
  "Connection reset by peer"; do
  for _ in $(seq 100); do
    grep -q "\]: info: .*$reason" "$T/tlsshim.log" && break
    sleep 0.05
  done
  assert_log "$reason"
  grep -q "\]: info: .*$reason" "$T/tlsshim.log" || {
    cat "$T/tlsshim.log" >&2
    fail "'$reason' was not logged at info"
  }
done
if grep -q "^tlsshim\[[0-9]*\]: error:" "$T/tlsshim.log"; then
  cat "$T/tlsshim.log" >&2
  fail "a client that only went away was logged as an error"
fi

# Refusals stay errors.
assert_plaintext_refused "$port" "220"
grep -q "\]: error: .*not a TLS peer" "$T/tlsshim.log" || fail "a plaintext client was not an error"
# A client trusting another CA: tlsshim's client refuses the certificate
# with an alert, which the server logs as an error. (Python's own TLS would
# send that alert unencrypted, which BoringSSL cannot read as one.)
client_config "$T/client.ini" "$port" "ca_file=$CERTS/other-ca.pem" "server_name=localhost"
if "$LAUNCHER" run -c "$T/client.ini" -- python3 -c '
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as s:
    s.recv(100)' "$port" 2> "$T/client.err"; then
  fail "a client trusting another CA read from the server"
fi
for _ in $(seq 100); do
  grep -q "\]: error: \[server:test\].*peer sent alert" "$T/tlsshim.log" && break
  sleep 0.05
done
grep -q "\]: error: \[server:test\].*peer sent alert" "$T/tlsshim.log" || {
  cat "$T/tlsshim.log" >&2
  fail "a client's alert was not logged as an error"
}
out=$(talk "$port" --read-first --send "HELO again" --expect "250 got 'HELO again'") ||
  fail "the server stopped serving: $out"
