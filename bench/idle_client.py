#!/usr/bin/env python3
"""idle_client.py PORT COUNT — makes one warm-up connection, prints "warm"
and waits for a line on standard input (the caller measures the server
then); opens COUNT connections to PORT, checking each with a one-byte echo
(so each TLS handshake has completed); prints the resident memory it grew
by, in KiB per connection, then "ready", and holds the connections idle
until its standard input closes."""
import socket
import sys


def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


port, count = int(sys.argv[1]), int(sys.argv[2])
# Warm up once, so the first handshake's one-time costs (loading the engine)
# are not charged to every connection.
warm = socket.create_connection(("127.0.0.1", port))
warm.sendall(b"x")
assert warm.recv(1) == b"x"
print("warm", flush=True)
sys.stdin.readline()
before = rss_kib()
conns = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"x")
    assert s.recv(1) == b"x"
    conns.append(s)
print("%.2f" % ((rss_kib() - before) / count), flush=True)
print("ready", flush=True)
sys.stdin.read()
