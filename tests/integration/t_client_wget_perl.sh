# Two more plaintext clients nobody here wrote, under tlsshim against nginx
# serving native TLS through a tap: wget fetches 1 MiB by an http:// URL,
# and a Perl script speaks HTTP/1.0 by hand over IO::Socket::INET (PerlIO's
# buffered reads and writes). Bodies whole, peer verified, only TLS on the
# wire.
source "$(dirname "$0")/lib.sh"
need wget perl nginx
port=$(free_port)
tap=$(free_port)
start_nginx_tls "$port" "$CERTS/server.pem" "$CERTS/server.key"
head -c 1048576 /dev/urandom > "$T/www/file.bin"
start_tap "$tap" "$port"
client_config "$T/app.ini" "$tap" "server_name=localhost"
"$LAUNCHER" run -c "$T/app.ini" -- wget -q -O "$T/wget.bin" \
  "http://127.0.0.1:$tap/file.bin" || fail "wget failed"
cmp "$T/wget.bin" "$T/www/file.bin" || fail "wget's body differs"
"$LAUNCHER" run -c "$T/app.ini" -- perl -MIO::Socket::INET -e '
  my ($port, $out) = @ARGV;
  my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die "connect: $!\n";
  print $s "GET /file.bin HTTP/1.0\r\nHost: localhost\r\n\r\n";
  local $/ = "\r\n\r\n";
  my $head = <$s>;
  $head =~ m{^HTTP/1\.[01] 200 } or die "status: $head\n";
  local $/;
  my $body = <$s>;
  open(my $f, ">", $out) or die "$out: $!\n";
  binmode $f; print $f $body;' "$tap" "$T/perl.bin" || fail "the Perl client failed"
cmp "$T/perl.bin" "$T/www/file.bin" || fail "the Perl client's body differs"
assert_no_plaintext "$T/tap-$tap" "GET /file.bin"
assert_log "verified as localhost"
