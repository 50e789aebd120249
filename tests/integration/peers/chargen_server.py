#!/usr/bin/python3
"""A threaded Linux chargen-like server (RFC 864's shape) for the
generator's stream mode (tests/integration/test_scenarios.sh).

  chargen_server.py HOST PORT --stats FILE

Sends the chargen pattern, unasked, on each connection until the peer
closes it; after each connection it rewrites FILE with "<connections>
<bytes sent>". Runs until killed.
"""
import argparse
import socket
import threading

_lock = threading.Lock()
_totals = {"conns": 0, "bytes": 0}
# RFC 864: lines of 72 printable characters, each starting one later.
_PRINTABLE = bytes(range(33, 127))
_BLOCK = b"".join(_PRINTABLE[(i % 95):] [:72].ljust(72, b" ") + b"\r\n" for i in range(95)) * 8


def serve(c, stats):
    n = 0
    with c:
        try:
            while True:
                n += c.send(_BLOCK)
        except OSError:
            pass
    with _lock:
        _totals["conns"] += 1
        _totals["bytes"] += n
        with open(stats, "w") as f:
            f.write("%d %d\n" % (_totals["conns"], _totals["bytes"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--stats", required=True)
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.host, a.port))
    s.listen(1024)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, a.stats), daemon=True).start()


if __name__ == "__main__":
    main()
