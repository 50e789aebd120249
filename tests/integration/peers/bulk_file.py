#!/usr/bin/python3
"""One file over one TCP connection, between two Linux hosts
(selftest_impair.sh: through pmx-impair).

  bulk_file.py receive ADDR PORT --out FILE --ready FILE
      listens on ADDR:PORT, creates the --ready file, accepts one
      connection (within 150 s) and writes all it carries to --out, then
      closes
  bulk_file.py send ADDR PORT --file FILE
      connects, sends FILE (sendfile), half-closes and waits for the
      receiver to close (it has read everything by then); prints
      "SENT <bytes> <seconds>", the time from the start of the connect
      to the receiver's close

Socket timeouts (60 s without progress) end either side with an error.
"""
import argparse
import os
import socket
import time


def receive(a):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.addr, a.port))
    srv.listen(1)
    open(a.ready, "w").close()
    srv.settimeout(150)
    conn, _ = srv.accept()
    conn.settimeout(60)
    with open(a.out, "wb") as f:
        while data := conn.recv(1 << 20):
            f.write(data)
    conn.close()


def send(a):
    t0 = time.monotonic()
    s = socket.create_connection((a.addr, a.port), timeout=30)
    s.settimeout(60)
    with open(a.file, "rb") as f:
        s.sendfile(f)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
    print(f"SENT {os.path.getsize(a.file)} {time.monotonic() - t0:.4f}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["receive", "send"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--out", help="receive: where the bytes go")
    p.add_argument("--ready", help="receive: created once listening")
    p.add_argument("--file", help="send: what to send")
    a = p.parse_args()
    if a.mode == "receive":
        if not (a.out and a.ready):
            p.error("receive needs --out and --ready")
        receive(a)
    else:
        if not a.file:
            p.error("send needs --file")
        send(a)


if __name__ == "__main__":
    main()
