#!/usr/bin/python3
"""The length of a Linux HTTP server's response head for GET /bytes/N.

  http_head_len.py IP PORT N

Sends "GET /bytes/N HTTP/1.1" with Host: IP (the request portmux's
generator sends), checks the answer is a 200 with Content-Length: N, and
prints the length of the head (status line through the blank line) in
bytes. test_gen_hostile.sh uses it to know how many bytes nginx sends per
response.
"""
import argparse
import socket
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ip")
    p.add_argument("port", type=int)
    p.add_argument("n", type=int, help="the body size asked for (/bytes/N)")
    a = p.parse_args()
    s = socket.create_connection((a.ip, a.port), timeout=5)
    s.sendall(f"GET /bytes/{a.n} HTTP/1.1\r\nHost: {a.ip}\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(4096)
        if not b:
            sys.exit("closed before the head")
        buf += b
    head = buf.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    if not head.startswith(b"HTTP/1.1 200") or f"Content-Length: {a.n}\r\n".encode() not in head:
        sys.exit(f"unexpected head {head!r}")
    print(len(head))


if __name__ == "__main__":
    main()
