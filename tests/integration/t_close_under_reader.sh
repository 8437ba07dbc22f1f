# One thread blocks reading a TLS connection; another closes the descriptor
# under it and gives the number to a new socket at once. The blocked read
# ends with EBADF and never reads from the socket that now has the number.
source "$(dirname "$0")/lib.sh"
need socat
port=$(free_port)
start_tls_echo "$port"
client_config "$T/app.ini" "$port"
"$LAUNCHER" run -c "$T/app.ini" -- "$PROGRAMS/close_under_reader" 127.0.0.1 "$port" ||
  fail "a read blocked under another thread's close() touched the reused number"
