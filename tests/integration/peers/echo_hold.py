#!/usr/bin/python3
"""Echo clients that stay open: CONNS connections to an echo service, each
checked over ROUNDS messages, then held until the test says so.

  echo_hold.py IP PORT --conns N --rounds R --hold PATH [--show]

After every echo is verified it creates PATH.ready, then waits for PATH.done
before closing all connections. Exits non-zero (with the reason) on a short
or wrong echo. --show prints each connection's first echo and local port.
Used by test_tcp_multiworker.sh and scripts/run.sh.
"""
import argparse
import os
import socket
import sys
import time


def echo_once(s, i, msg):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = s.recv(len(msg) - len(got))
        if not chunk:
            sys.exit(f"conn {i}: closed early")
        got += chunk
    if got != msg:
        sys.exit(f"conn {i}: echoed {got!r}, sent {msg!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ip")
    p.add_argument("port", type=int)
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--hold", required=True, help="creates HOLD.ready, waits for HOLD.done")
    p.add_argument("--show", action="store_true", help="print each connection's first echo")
    a = p.parse_args()
    socks = [socket.create_connection((a.ip, a.port), timeout=5) for _ in range(a.conns)]
    for r in range(a.rounds):
        for i, s in enumerate(socks):
            msg = f"conn {i} round {r}\n".encode()
            echo_once(s, i, msg)
            if a.show and r == 0:
                print(f"  client {i} (port {s.getsockname()[1]}) got back: {msg!r}", flush=True)
    open(a.hold + ".ready", "w").close()
    while not os.path.exists(a.hold + ".done"):
        time.sleep(0.05)
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
