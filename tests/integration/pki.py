"""pki.py — the test PKI for the tests' own TLS servers (Python's ssl), and
a threaded accept loop for them. Test scripts import it as `pki` (lib.sh
puts this folder on PYTHONPATH)."""
import os
import socket
import ssl
import threading


def server_context(certs):
    """A server context presenting the server certificate of the test PKI
    in the folder CERTS."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(certs, "server.pem"),
                        os.path.join(certs, "server.key"))
    return ctx


def serve_threads(port, handle):
    """Accepts on 127.0.0.1:PORT forever and calls HANDLE(raw socket) for
    each connection in a thread of its own. A TLS or socket error ends that
    connection quietly: wait_port's probe connects and closes at once."""
    srv = socket.create_server(("127.0.0.1", port))

    def run(raw):
        try:
            handle(raw)
        except (ssl.SSLError, OSError):
            pass

    while True:
        raw, _ = srv.accept()
        threading.Thread(target=run, args=(raw,), daemon=True).start()
