"""pki.py — the test PKI for the tests' own TLS servers (Python's ssl).
Test scripts import it as `pki` (lib.sh puts this folder on PYTHONPATH)."""
import os
import ssl


def server_context(certs):
    """A server context presenting the server certificate of the test PKI
    in the folder CERTS."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(certs, "server.pem"),
                        os.path.join(certs, "server.key"))
    return ctx
