#!/usr/bin/python3
"""Concurrent echo clients in one process, for test_tcp_seeds.sh.

  seeds_clients.py HOST PORT  (HOST IPv4 or IPv6) --clients N --rounds R --go FILE

Opens N connections; each round every client sends one message (sizes from
7 bytes to several segments, a byte pattern per client and round), then
each reads its echo and compares it. Prints "ECHOED <bytes>" and
"PORTS <local port of each client>", waits (at most 60 s) for FILE to
exist, then closes actively: every client sends its FIN, and the server's
FIN must follow with no stray data. Prints "CLOSED". Any failure prints
"ERROR <why>" and exits 1.
"""
import argparse
import os
import socket
import sys
import time

SIZES = [7, 100, 1460, 1461, 5000, 20000]


def die(msg):
    print("ERROR " + msg, flush=True)
    sys.exit(1)


def recv_exact(s, want, what):
    got = b""
    while len(got) < want:
        try:
            chunk = s.recv(want - len(got))
        except socket.timeout:
            die(f"{what}: timeout after {len(got)}/{want} bytes")
        if not chunk:
            die(f"{what}: EOF after {len(got)}/{want} bytes")
        got += chunk
    return got


def connect_all(host, port, n):
    socks = []
    for i in range(n):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((host, port))
        except OSError as e:
            die(f"client {i}: connect: {e!r}")
        socks.append(s)
    return socks


def message(i, r):
    size = SIZES[(r + i) % len(SIZES)]
    head = f"client{i} round{r} ".encode()
    body = bytes((i * 31 + r * 7 + k) % 251 for k in range(max(0, size - len(head))))
    return (head + body)[:size]


def exchange(socks, rounds):
    """Interleaved rounds; returns the bytes echoed."""
    total = 0
    for r in range(rounds):
        msgs = []
        for i, s in enumerate(socks):
            msg = message(i, r)
            s.sendall(msg)
            msgs.append(msg)
        for i, s in enumerate(socks):
            echo = recv_exact(s, len(msgs[i]), f"client {i} round {r}")
            if echo != msgs[i]:
                first = next(k for k in range(len(echo)) if echo[k] != msgs[i][k])
                die(f"client {i} round {r}: echo differs from what was sent at byte {first} of {len(echo)}")
            total += len(echo)
    return total


def close_all(socks):
    # Active close on the client side: our FIN first, then the server's FIN
    # must arrive (recv() returns b"") with no stray data before it.
    for s in socks:
        s.shutdown(socket.SHUT_WR)
    for i, s in enumerate(socks):
        try:
            rest = s.recv(4096)
        except socket.timeout:
            die(f"client {i}: no FIN from the server within 5 s of ours")
        except OSError as e:
            die(f"client {i}: recv after shutdown: {e!r}")
        if rest != b"":
            die(f"client {i}: {len(rest)} unexpected bytes instead of the server's FIN")
        s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--go", required=True, help="the file whose existence starts the close")
    a = p.parse_args()
    socks = connect_all(a.host, a.port, a.clients)
    total = exchange(socks, a.rounds)
    print(f"ECHOED {total}", flush=True)
    print("PORTS " + " ".join(str(s.getsockname()[1]) for s in socks), flush=True)
    deadline = time.monotonic() + 60
    while not os.path.exists(a.go):
        if time.monotonic() > deadline:
            die("no go-ahead to close within 60 s")
        time.sleep(0.05)
    close_all(socks)
    print("CLOSED", flush=True)


if __name__ == "__main__":
    main()
