#!/usr/bin/env python3
"""leaving_client.py PORT MODE: a client that goes away from a TLS server
without a word, as port probes, health checks and ab's spare connections do.
MODE probe: connects and closes before sending a byte. MODE fin or reset:
sends a real ClientHello, reads the server's whole first flight (so the
server is mid-handshake, waiting for our Finished), then closes (fin) or
resets the connection (reset, with SO_LINGER 0)."""
import os
import socket
import ssl
import struct
import sys

port, mode = int(sys.argv[1]), sys.argv[2]
with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
    if mode != "probe":
        certs = os.path.join(os.path.dirname(__file__), "..", "..", "build", "certs")
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        raw.sendall(outgoing.read())
        # Take the server's whole first flight, so that a close sends a FIN
        # (unread bytes would make it a reset), but never send our Finished.
        while True:
            data = raw.recv(65536)
            if not data:
                sys.exit("the server closed instead of answering the ClientHello")
            incoming.write(data)
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
        if mode == "reset":
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
