# A port no rule names passes through untouched: plain HTTP still works.
source "$(dirname "$0")/lib.sh"
need curl python3
port=$(free_port)
mkdir -p "$T/www"
echo plain > "$T/www/plain.txt"
bg python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www"
wait_port "$port"
client_config "$T/app.ini" "$(free_port)"
out=$("$LAUNCHER" run -c "$T/app.ini" -- curl -sS --fail "http://127.0.0.1:$port/plain.txt")
[ "$out" = plain ] || fail "uncovered plaintext request got '$out'"
