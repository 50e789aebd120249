#!/usr/bin/python3
"""A Linux TCP client for test_tcp_refused.sh: refused connects, echo on a
listener added at run time, and a connection held across an unlisten.

  refused_client.py refused HOST PORT   connect() must raise
                                        ConnectionRefusedError within 3 s;
                                        prints "REFUSED <ms>"
  refused_client.py echo HOST PORT      one echo exchange and a clean close;
                                        prints "ECHO OK <ms>"
  refused_client.py hold HOST PORT --go FILE
                                        one echo, prints "READY", waits (at
                                        most 60 s) for FILE to exist, echoes
                                        again, closes cleanly, prints "DONE"

<ms> is the time connect() took. Any failure prints "ERROR <why>" and exits 1.
"""
import argparse
import os
import socket
import sys
import time


def die(msg):
    print("ERROR " + msg, flush=True)
    sys.exit(1)


def echo_once(s, msg, what):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        try:
            chunk = s.recv(len(msg) - len(got))
        except socket.timeout:
            die(f"{what}: echo timeout after {len(got)}/{len(msg)} bytes")
        if not chunk:
            die(f"{what}: EOF after {len(got)}/{len(msg)} bytes")
        got += chunk
    if got != msg:
        die(f"{what}: echo differs from what was sent")


def close_clean(s, what):
    s.shutdown(socket.SHUT_WR)
    try:
        rest = s.recv(100)
    except socket.timeout:
        die(f"{what}: no FIN from the server within 5 s of ours")
    if rest != b"":
        die(f"{what}: {len(rest)} unexpected bytes instead of the server's FIN")
    s.close()


def connect(host, port, timeout):
    """(socket, ms), or (None, ms) when refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.connect((host, port))
    except ConnectionRefusedError:
        return None, (time.monotonic() - t0) * 1000
    except OSError as e:
        die(f"connect: {e!r} after {(time.monotonic() - t0) * 1000:.1f} ms")
    return s, (time.monotonic() - t0) * 1000


def refused(a):
    s, ms = connect(a.host, a.port, 3)
    if s is not None:
        s.close()
        die(f"connect() succeeded in {ms:.1f} ms, expected ConnectionRefusedError")
    print(f"REFUSED {ms:.1f}", flush=True)


def echo(a):
    s, ms = connect(a.host, a.port, 5)
    if s is None:
        die(f"connect() refused after {ms:.1f} ms")
    echo_once(s, b"portmux echo on a run-time listener\n" * 40, "echo")
    close_clean(s, "echo")
    print(f"ECHO OK {ms:.1f}", flush=True)


def hold(a):
    if not a.go:
        die("hold needs --go FILE")
    s, ms = connect(a.host, a.port, 5)
    if s is None:
        die(f"connect() refused after {ms:.1f} ms")
    echo_once(s, b"before unlisten\n", "hold, before")
    print("READY", flush=True)
    deadline = time.monotonic() + 60
    while not os.path.exists(a.go):
        if time.monotonic() > deadline:
            die("no go-ahead within 60 s")
        time.sleep(0.05)
    echo_once(s, b"after unlisten\n" * 100, "hold, after")
    close_clean(s, "hold")
    print("DONE", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["refused", "echo", "hold"])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--go", help="hold: the file whose existence ends the wait")
    a = p.parse_args()
    {"refused": refused, "echo": echo, "hold": hold}[a.mode](a)


if __name__ == "__main__":
    main()
