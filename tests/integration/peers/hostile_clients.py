#!/usr/bin/python3
"""Bulk clients for test_tcp_hostile.sh: MIB MiB through a lossy link to
portmux's discard, echo and http services, every byte checked.

  hostile_clients.py discard IP --mib N   N MiB to port 9, then FIN; the
                                          server must close without data
  hostile_clients.py echo IP --mib N      N MiB of seeded random bytes to
                                          port 7 while reading the echo;
                                          byte count and SHA-256 must match
  hostile_clients.py http IP --mib N      GET /bytes/(N MiB) from port 80;
                                          the body must be the http
                                          service's pattern (SHA-256)

Exits non-zero with the reason on a mismatch. A client that dies of an
exception (a stalled connection times out) first prints the connection's
state (stall_diag.py).
"""
import argparse
import hashlib
import random
import socket
import sys
import threading

import stall_diag
from pattern_http import pattern_digest, read_head


def discard(ip, mib):
    s = socket.create_connection((ip, 9), timeout=60)
    chunk = bytes(range(256)) * 256  # 64 KiB
    for _ in range(mib * 16):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":  # discard closes once we have
        sys.exit("discard sent data")
    s.close()


def echo(ip, mib):
    total = mib << 20
    rng = random.Random(1)
    s = socket.create_connection((ip, 7), timeout=60)
    sent = hashlib.sha256()

    def send():
        left = total
        while left:
            n = min(left, 65536)
            b = rng.randbytes(n)
            sent.update(b)
            s.sendall(b)
            left -= n
        s.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=send)
    t.start()
    got, n = hashlib.sha256(), 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got.update(b)
        n += len(b)
    t.join()
    s.close()
    print(f"  echoed {n} bytes; sha256 sent {sent.hexdigest()[:16]} got {got.hexdigest()[:16]}")
    if n != total or sent.digest() != got.digest():
        sys.exit("echo: bytes or SHA-256 differ")


def http(ip, mib):
    n = mib << 20
    s = socket.create_connection((ip, 80), timeout=60)
    s.sendall(f"GET /bytes/{n} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    head, body = read_head(s)
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit(f"http: {head[:40]!r}")
    got, cnt = hashlib.sha256(body), len(body)
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got.update(b)
        cnt += len(b)
    want = pattern_digest(n)
    print(f"  body {cnt} bytes, sha256 {got.hexdigest()[:16]} want {want.hex()[:16]}")
    if cnt != n or got.digest() != want:
        sys.exit("http: body differs")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("service", choices=["discard", "echo", "http"])
    p.add_argument("ip")
    p.add_argument("--mib", type=int, required=True, help="MiB to move")
    a = p.parse_args()
    stall_diag.install()
    {"discard": discard, "echo": echo, "http": http}[a.service](a.ip, a.mib)


if __name__ == "__main__":
    main()
