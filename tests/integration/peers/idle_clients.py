#!/usr/bin/env python3
"""Idle and slow HTTP clients for the memory tests (run in the peer namespace).

  idle_clients.py hold HOST PORT N READY_FILE RELEASE_FILE
      Opens N connections (at most 400 connecting at once), sends one
      keep-alive GET / on each and reads its whole response (head and the
      Content-Length body), then holds them all idle. Writes
      "held N failed F" to READY_FILE once every connection got its answer
      (or failed), waits until RELEASE_FILE exists (at most 300 s), checks
      that none was closed by the server meanwhile, closes them and prints
      "closed-by-server C".
  idle_clients.py slowloris HOST PORT N SECONDS
      Opens N connections, each sending a request head one byte every 0.5 s
      and never finishing it. Prints how many were answered "HTTP/1.1 408"
      and closed, and the median and max seconds from the first byte to the
      answer. Gives up after SECONDS.
  idle_clients.py echo-burst HOST PORT N CONC TIMEOUT
      N short echo connections, CONC at a time: connect (at most TIMEOUT
      seconds, the kernel retransmitting its SYN meanwhile), 32 bytes out
      and back, close. Prints "ok K failed F connect-p50-ms A
      connect-p99-ms B".
  idle_clients.py fresh HOST HTTP_PORT ECHO_PORT
      One new connection GET / (whole response) and one new echo
      connection (64 bytes back); prints both times in milliseconds.
"""
import asyncio
import os
import resource
import socket
import statistics
import sys
import time

REQ = b"GET / HTTP/1.1\r\nHost: portmux\r\n\r\n"


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return head


async def hold(host, port, n, ready, release):
    sem = asyncio.Semaphore(400)
    conns, failed = [], 0

    async def one():
        nonlocal failed
        async with sem:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
                w.write(REQ)
                head = await asyncio.wait_for(read_response(r), 30)
                if not head.startswith(b"HTTP/1.1 200"):
                    raise ValueError(head[:40])
                conns.append((r, w))
            except Exception as e:  # noqa: BLE001 - counted, reported once
                if failed == 0:
                    print(f"first failure: {e!r}", file=sys.stderr)
                failed += 1

    await asyncio.gather(*(one() for _ in range(n)))
    with open(ready, "w") as fh:
        fh.write(f"held {len(conns)} failed {failed}\n")
    deadline = time.monotonic() + 300
    while not os.path.exists(release) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    closed = sum(1 for r, _ in conns if r.at_eof())
    for _, w in conns:
        w.close()
    print(f"closed-by-server {closed}")


async def slowloris(host, port, n, seconds):
    head = b"GET / HTTP/1.1\r\nHost: portmux\r\nX-Slow: " + b"a" * 4096
    answered, times = 0, []

    async def one():
        nonlocal answered
        r, w = await asyncio.open_connection(host, port)
        t0 = time.monotonic()
        got = b""

        async def reader():
            nonlocal got
            got = await r.read(4096)

        task = asyncio.ensure_future(reader())
        for b in head:
            if task.done():
                break
            w.write(bytes([b]))
            await asyncio.sleep(0.5)
        await task
        if got.startswith(b"HTTP/1.1 408"):
            answered += 1
            times.append(time.monotonic() - t0)
        w.close()

    try:
        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), seconds)
    except asyncio.TimeoutError:
        pass
    med = statistics.median(times) if times else 0
    mx = max(times) if times else 0
    print(f"answered-408 {answered} median-s {med:.2f} max-s {mx:.2f}")


async def echo_burst(host, port, n, conc, timeout):
    sem = asyncio.Semaphore(conc)
    ok, failed, times = 0, 0, []

    async def one(i):
        nonlocal ok, failed
        async with sem:
            t0 = time.monotonic()
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                times.append((time.monotonic() - t0) * 1000)
                msg = b"%031d\n" % i
                w.write(msg)
                got = await asyncio.wait_for(r.readexactly(len(msg)), timeout)
                w.close()
                if got != msg:
                    raise ValueError("echo differs")
                ok += 1
            except Exception as e:  # noqa: BLE001 - counted, the first reported
                if failed == 0:
                    print(f"first failure: {e!r}", file=sys.stderr)
                failed += 1

    await asyncio.gather(*(one(i) for i in range(n)))
    times.sort()
    p50 = times[len(times) // 2] if times else 0
    p99 = times[min(len(times) - 1, (len(times) * 99) // 100)] if times else 0
    print(f"ok {ok} failed {failed} connect-p50-ms {p50:.1f} connect-p99-ms {p99:.1f}")


def fresh(host, http_port, echo_port):
    t0 = time.monotonic()
    with socket.create_connection((host, http_port), timeout=5) as s:
        s.sendall(REQ)
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        head, body = data.split(b"\r\n\r\n", 1)
        length = int([x for x in head.split(b"\r\n") if x.lower().startswith(b"content-length:")][0].split(b":")[1])
        while len(body) < length:
            body += s.recv(4096)
    http_ms = (time.monotonic() - t0) * 1000
    t0 = time.monotonic()
    with socket.create_connection((host, echo_port), timeout=5) as s:
        s.sendall(b"x" * 64)
        got = b""
        while len(got) < 64:
            got += s.recv(4096)
    echo_ms = (time.monotonic() - t0) * 1000
    print(f"http-ms {http_ms:.1f} echo-ms {echo_ms:.1f} status {head.split(b' ')[1].decode()}")


def main():
    # The hard limit here may be low (20,000 on the CI machines, and root
    # cannot raise it): the tests split large counts over processes.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    mode = sys.argv[1]
    if mode == "hold":
        asyncio.run(hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]))
    elif mode == "slowloris":
        asyncio.run(slowloris(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])))
    elif mode == "echo-burst":
        asyncio.run(echo_burst(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])))
    elif mode == "fresh":
        fresh(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"idle_clients.py: unknown mode '{mode}'")


if __name__ == "__main__":
    main()
