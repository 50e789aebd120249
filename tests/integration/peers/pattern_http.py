#!/usr/bin/python3
"""portmux's http pattern body over a real Linux socket: fetch and verify it,
or serve it (a Linux reference sender for the same link).

  pattern_http.py get IP PORT BYTES     GET /bytes/BYTES, check length and
                                        SHA-256 against the pattern; prints
                                        "RESULT bytes B secs S mbps M"
  pattern_http.py serve IP PORT [--cc C]
                                        answer one GET /bytes/N per
                                        connection with the pattern, sending
                                        with congestion control C (default
                                        cubic), until SIGTERM
  pattern_http.py body BYTES            write the first BYTES bytes of the
                                        pattern to stdout (expected bodies,
                                        nginx's document root)

The pattern is the http service's: 'a'..'z' repeating from the body's first
byte (fill_body, lib/service/http.cpp).
"""
import argparse
import hashlib
import socket
import sys
import time

CHUNK = bytes(ord("a") + i % 26 for i in range(26 * 2521))  # 65546 bytes, a multiple of 26


def pattern_digest(n):
    want = hashlib.sha256()
    while n:
        k = min(n, len(CHUNK))
        want.update(CHUNK[:k])
        n -= k
    return want.digest()


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(4096)
        if not b:
            sys.exit("closed before the head")
        buf += b
    return buf.split(b"\r\n\r\n", 1)


def get(ip, port, n):
    t0 = time.monotonic()
    s = socket.create_connection((ip, port), timeout=60)
    s.sendall(f"GET /bytes/{n} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    head, body = read_head(s)
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit(f"answer {head[:40]!r}")
    got, cnt = hashlib.sha256(body), len(body)
    while cnt < n:
        b = s.recv(1 << 20)
        if not b:
            break
        got.update(b)
        cnt += len(b)
    secs = time.monotonic() - t0
    s.close()
    if cnt != n or got.digest() != pattern_digest(n):
        sys.exit(f"body differs: {cnt} of {n} bytes, sha256 {got.hexdigest()[:16]}")
    print(f"RESULT bytes {cnt} secs {secs:.3f} mbps {cnt * 8 / secs / 1e6:.2f}")


def serve(ip, port, cc):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it (the machine's default may be bbr).
    ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    ls.bind((ip, port))
    ls.listen(8)
    got = ls.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()
    print(f"listening, congestion control {got}", flush=True)
    big = CHUNK * 16
    while True:
        c, _ = ls.accept()
        head, _ = read_head(c)
        n = int(head.split(b" ")[1].rsplit(b"/", 1)[1])
        c.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n".encode())
        left = n
        while left:
            k = min(left, len(big))
            c.sendall(big[:k])
            left -= k
        c.close()


def write_body(n):
    out = sys.stdout.buffer
    while n:
        k = min(n, len(CHUNK))
        out.write(CHUNK[:k])
        n -= k
    out.flush()


def main():
    if sys.argv[1:2] == ["body"]:
        b = argparse.ArgumentParser(prog="pattern_http.py body")
        b.add_argument("bytes", type=int)
        write_body(b.parse_args(sys.argv[2:]).bytes)
        return
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["get", "serve"])
    p.add_argument("ip")
    p.add_argument("port", type=int)
    p.add_argument("bytes", type=int, nargs="?", default=0)
    p.add_argument("--cc", default="cubic", help="serve: the sender's congestion control")
    a = p.parse_args()
    if a.mode == "get":
        get(a.ip, a.port, a.bytes)
    else:
        serve(a.ip, a.port, a.cc)


if __name__ == "__main__":
    main()
