#!/usr/bin/python3
"""Checks portmux's chargen service (RFC 864) from a real Linux client.

  chargen_check.py verify FILE N      FILE holds N bytes of the chargen
                                      stream from its first byte
  chargen_check.py rate IP PORT SECS  reads for SECS seconds, checking the
                                      pattern; prints "RESULT bytes B"
"""
import argparse
import socket
import sys
import time


def expected(off, n):
    out = bytearray()
    while len(out) < n:
        line, col = divmod(off, 74)
        out.append(13 if col == 72 else 10 if col == 73 else 32 + (line + col) % 95)
        off += 1
    return bytes(out)


def verify(path, n):
    data = open(path, "rb").read()
    if len(data) != n:
        sys.exit(f"{path}: {len(data)} bytes, want {n}")
    want = expected(0, n)
    if data != want:
        at = next(i for i in range(n) if data[i] != want[i])
        sys.exit(f"{path}: byte {at} is {data[at]}, want {want[at]}")
    print(f"RESULT verified {n}")


def rate(ip, port, secs):
    s = socket.create_connection((ip, port), timeout=10)
    end = time.monotonic() + secs
    got = 0
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        if not b:
            sys.exit("closed early")
        if b != expected(got, len(b)):
            sys.exit(f"pattern differs in bytes {got}..{got + len(b)}")
        got += len(b)
    s.close()
    print(f"RESULT bytes {got}")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    v = sub.add_parser("verify")
    v.add_argument("file")
    v.add_argument("n", type=int)
    r = sub.add_parser("rate")
    r.add_argument("ip")
    r.add_argument("port", type=int)
    r.add_argument("secs", type=float)
    a = p.parse_args()
    if a.mode == "verify":
        verify(a.file, a.n)
    else:
        rate(a.ip, a.port, a.secs)


if __name__ == "__main__":
    main()
