#!/usr/bin/python3
"""A threaded Linux echo server for the generator tests (gen_servers_lib.sh).

  echo_server.py HOST PORT --stats FILE

Echoes every byte back on each connection until the peer closes; after
each connection it rewrites FILE with "<connections> <bytes>", the totals
echoed so far. Runs until killed.
"""
import argparse
import socket
import threading

_lock = threading.Lock()
_totals = {"conns": 0, "bytes": 0}


def serve(c, stats):
    n = 0
    with c:
        while True:
            b = c.recv(65536)
            if not b:
                break
            c.sendall(b)
            n += len(b)
    with _lock:
        _totals["conns"] += 1
        _totals["bytes"] += n
        with open(stats, "w") as f:
            f.write("%d %d\n" % (_totals["conns"], _totals["bytes"]))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--stats", required=True, help='rewritten with "<connections> <bytes>"')
    a = p.parse_args()
    s = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.host, a.port))
    s.listen(1024)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, a.stats), daemon=True).start()


if __name__ == "__main__":
    main()
