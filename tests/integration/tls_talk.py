#!/usr/bin/env python3
"""tls_talk.py PORT [--cert C --key K] [--read-first] --send TEXT --expect TEXT
A native TLS client (Python's ssl, verifying the test CA and the name
localhost): optionally reads a greeting first, sends TEXT plus a newline,
reads until EXPECT appears or the stream ends, and exits 0 only if it did."""
import argparse
import os
import socket
import ssl
import sys

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--read-first", action="store_true")
ap.add_argument("--send", required=True)
ap.add_argument("--expect", required=True)
args = ap.parse_args()

certs = os.path.join(os.path.dirname(__file__), "..", "..", "build", "certs")
ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
if args.cert:
    ctx.load_cert_chain(args.cert, args.key)
with socket.create_connection(("127.0.0.1", args.port), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        got = b""
        if args.read_first:
            while b"\n" not in got:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                got += chunk
        tls.sendall(args.send.encode() + b"\n")
        while args.expect.encode() not in got:
            chunk = tls.recv(4096)
            if not chunk:
                break
            got += chunk
        print(got.decode(errors="replace").strip())
        sys.exit(0 if args.expect.encode() in got else 1)
