#!/usr/bin/env python3
"""tls_reply.py PORT CERT_DIR --expect LINE [--lines N] [--delay S]
                                 [--close-and-mark FILE | --mark FILE | --notify]
A native TLS server (Python's ssl, the test PKI's server certificate): for
each connection whose first line is LINE, waits S seconds, then sends N
lines "line <i>", each in its own record, back to back, and waits for the
client to close; or, with --close-and-mark, closes the connection itself
(no close_notify) and then creates FILE, so that a client can know every
byte and the end of stream are on their way; --mark creates FILE once the
lines are sent and waits for the client to close; or, with --notify, sends
close_notify and keeps TCP open until the client's own close_notify or
close. Anything else (wait_port's probe) is dropped."""
import argparse
import socket
import ssl
import time

import pki

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("certs")
ap.add_argument("--expect", required=True)
ap.add_argument("--lines", type=int, default=1)
ap.add_argument("--delay", type=float, default=0.0)
ap.add_argument("--close-and-mark")
ap.add_argument("--mark")
ap.add_argument("--notify", action="store_true")
args = ap.parse_args()

ctx = pki.server_context(args.certs)
srv = socket.create_server(("127.0.0.1", args.port))
while True:
    raw, _ = srv.accept()
    try:
        with ctx.wrap_socket(raw, server_side=True) as tls:
            if tls.recv(100) != args.expect.encode() + b"\n":
                continue
            time.sleep(args.delay)  # the client is blocked meanwhile
            for i in range(args.lines):
                tls.send(b"line %d\n" % i)  # one record each
            if args.mark:
                open(args.mark, "w").close()
            if args.notify:
                tls.unwrap()  # close_notify, then wait for the client's
            elif not args.close_and_mark:
                tls.recv(100)  # until the client closes
        if args.close_and_mark:
            open(args.close_and_mark, "w").close()
    except (ssl.SSLError, OSError):
        pass  # wait_port's probe
