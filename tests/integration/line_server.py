#!/usr/bin/env python3
"""line_server.py PORT PREFIX [--mptcp] [--jail DIR] — a plaintext server
for the tests to run under tlsshim: for each connection it reads up to 100
bytes and answers PREFIX followed by them. --mptcp listens on a Multipath
TCP socket; --jail chroots into DIR and becomes the user nobody before it
listens. A failure on one connection (wait_port's probe, a refused peer)
ends that connection only."""
import argparse
import os
import pwd
import socket

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("prefix")
ap.add_argument("--mptcp", action="store_true")
ap.add_argument("--jail")
args = ap.parse_args()

if args.jail:
    nobody = pwd.getpwnam("nobody")
    os.chroot(args.jail)
    os.chdir("/")
    os.setgroups([])
    os.setgid(nobody.pw_gid)
    os.setuid(nobody.pw_uid)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                    262 if args.mptcp else 0)  # 262: IPPROTO_MPTCP
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", args.port))
srv.listen()
while True:
    conn, _ = srv.accept()
    with conn:
        try:
            line = conn.recv(100)
            if line:
                conn.sendall(args.prefix.encode() + line)
        except OSError:
            pass
