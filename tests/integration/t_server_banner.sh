# A server that speaks first (an SMTP-style greeting written right after
# accept): the handshake runs on first use, so the greeting arrives over TLS.
source "$(dirname "$0")/lib.sh"
need python3
port=$(free_port)
server_config "$T/app.ini" "$port"
bg "$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/banner_server" "$port"
wait_port "$port"
out=$(talk "$port" --read-first --send "HELO test" --expect "250 got 'HELO test'") || fail "banner server: $out"
grep -q "220 banner_server ready" <<<"$out" || fail "no greeting: $out"
