#!/usr/bin/python3
"""Keep-alive HTTP connections held open (test_telemetry.sh).

  http_hold.py HOST --conns N [--port 80] [--seconds S]

Opens N connections, on each sends one GET / and reads the response head
and at least 64 body bytes (the http service's default body), prints
"holding N" and keeps them all open for S seconds (default 110) or until
killed.
"""
import argparse
import socket
import sys
import time


def one_request(host, port):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 64:
        b = s.recv(4096)
        if not b:
            sys.exit(f"closed after {len(got)} bytes")
        got += b
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("host")
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--seconds", type=float, default=110)
    a = p.parse_args()
    socks = [one_request(a.host, a.port) for _ in range(a.conns)]
    print("holding", len(socks), flush=True)
    time.sleep(a.seconds)


if __name__ == "__main__":
    main()
