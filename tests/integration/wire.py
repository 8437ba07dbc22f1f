"""wire.py — what the tests' Python clients share. Test scripts import it
as `wire` (lib.sh puts this folder on PYTHONPATH)."""


def recv_up_to(sock, n):
    """Reads from SOCK until N bytes have come or the stream ends; returns
    what came."""
    got = b""
    while len(got) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got
