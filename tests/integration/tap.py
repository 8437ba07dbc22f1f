#!/usr/bin/env python3
"""tap.py LISTEN_PORT BACKEND_PORT RECORD_FILE — a TCP relay on loopback that
writes every byte the client sends (client -> server) to RECORD_FILE, so a
test can prove what left the client on the wire. It serves connections until
it is killed; each relay stops when either side closes."""
import selectors
import socket
import sys


def relay(client, backend, record):
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, backend)
    sel.register(backend, selectors.EVENT_READ, client)
    open_sides = 2
    while open_sides:
        for key, _ in sel.select(timeout=60):
            src, dst = key.fileobj, key.data
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(src)
                open_sides -= 1
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            if src is client:
                record.write(data)
                record.flush()
            try:
                dst.sendall(data)
            except OSError:
                return


def main():
    listen_port, backend_port, record_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(16)
    with open(record_path, "ab") as record:
        while True:
            client, _ = server.accept()
            backend = socket.create_connection(("127.0.0.1", backend_port))
            relay(client, backend, record)
            client.close()
            backend.close()


if __name__ == "__main__":
    main()
