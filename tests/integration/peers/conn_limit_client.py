#!/usr/bin/python3
"""Checks that an HTTP endpoint refuses the connection above its limit
(test_metrics.sh: the metrics endpoint serves at most 64 at once).

  conn_limit_client.py HOST PORT --idle N [--path /metrics]

Opens N idle connections, then one more that sends GET PATH: it must be
closed or reset without an answer (within 5 s). Exits 0 if so, else with
the start of what it was sent. The idle connections close on exit.
"""
import argparse
import socket
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--idle", type=int, required=True, help="connections opened first, left idle")
    p.add_argument("--path", default="/metrics")
    a = p.parse_args()
    idle = [socket.create_connection((a.host, a.port)) for _ in range(a.idle)]
    extra = socket.create_connection((a.host, a.port))
    extra.settimeout(5)
    extra.sendall(f"GET {a.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    try:
        got = extra.recv(100)
    except ConnectionResetError:
        got = b""
    for s in idle:
        s.close()
    sys.exit(0 if got == b"" else "connection %d was served: %r" % (a.idle + 1, got[:40]))


if __name__ == "__main__":
    main()
