"""N asyncio HTTP/1.1 clients, each making R keep-alive requests on one
connection to HOST:PORT (GET /), all at once. Prints one JSON line:
{"ok": requests answered 200 with the whole body, "failed": requests not
done, "errors": {exception name: connections}, "seconds": wall time}.
Bounded: every step has a timeout and the whole run has one.

usage: http_clients.py HOST PORT CLIENTS REQUESTS [TIMEOUT_S]
"""
import asyncio
import json
import sys
import time
from collections import Counter

STEP_S = 30


async def client(host, port, reqs, errors):
    ok = 0
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), STEP_S)
        for _ in range(reqs):
            writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_S)
            lines = head.decode("latin-1").split("\r\n")
            if not lines[0].startswith("HTTP/1.1 200"):
                raise ValueError(f"status line {lines[0]!r}")
            length = next(int(l.split(":", 1)[1]) for l in lines
                          if l.lower().startswith("content-length:"))
            await asyncio.wait_for(reader.readexactly(length), STEP_S)
            ok += 1
    except Exception as e:  # noqa: BLE001 - every failure is counted by kind
        errors[type(e).__name__] += 1
    finally:
        if writer is not None:
            writer.close()
    return ok


async def main():
    host, port = sys.argv[1], int(sys.argv[2])
    n, reqs = int(sys.argv[3]), int(sys.argv[4])
    limit = float(sys.argv[5]) if len(sys.argv) > 5 else 300
    errors = Counter()
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(client(host, port, reqs, errors)) for _ in range(n)]
    done, pending = await asyncio.wait(tasks, timeout=limit)
    for t in pending:
        t.cancel()
    if pending:
        errors["RunTimeout"] += len(pending)
    ok = sum(t.result() for t in done)
    print(json.dumps({"ok": ok, "failed": n * reqs - ok, "errors": dict(errors),
                      "seconds": round(time.monotonic() - t0, 2)}))


asyncio.run(main())
