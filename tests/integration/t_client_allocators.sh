# A program whose malloc is one allocator (tcmalloc, preloaded first) with
# jemalloc also in the global scope. BoringSSL frees through jemalloc's
# sdallocx whenever one is there, so unless the engine answers for it, the
# engine's memory, allocated by tcmalloc, is freed into jemalloc's heap and
# the program crashes on its first TLS connection. The client fetches a file
# twenty times over TLS and gets it whole each time.
source "$(dirname "$0")/lib.sh"
need python3
libs=/usr/lib/x86_64-linux-gnu
for lib in libtcmalloc_minimal.so.4 libjemalloc.so.2; do
  [ -e "$libs/$lib" ] || fail "$libs/$lib is missing (make deps installs it)"
done
port=$(free_port)
mkdir -p "$T/www" && head -c 200000 /dev/urandom > "$T/www/f.bin"
server_config "$T/server.ini" "$port"
client_config "$T/client.ini" "$port"
bg "$LAUNCHER" run -c "$T/server.ini" -- python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www"
wait_port "$port"
LD_PRELOAD="$libs/libtcmalloc_minimal.so.4 $libs/libjemalloc.so.2" \
  "$LAUNCHER" run -c "$T/client.ini" -- python3 - "$port" "$T/www/f.bin" <<'PY' ||
import sys, urllib.request
port, path = sys.argv[1], sys.argv[2]
want = open(path, "rb").read()
for i in range(20):
    got = urllib.request.urlopen("http://127.0.0.1:%s/f.bin" % port).read()
    assert got == want, "fetch %d differs" % i
PY
  fail "the client with tcmalloc and jemalloc loaded failed (exit $?)"
