"""N scrapes of /metrics in a tight loop over one keep-alive connection.

Usage: scrape_loop.py HOST PORT N [SECONDS]. Stops after N scrapes, or
after SECONDS if given. Each answer must be HTTP 200 and parse as the
Prometheus text format 0.0.4 (every line a comment or 'name{labels}
value'). Prints "N scrapes, K ok, T s, R scrapes/s"; exits 1 unless all
were ok.
"""
import http.client
import re
import sys
import time

SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*'
    r'(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})?'
    r' (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$')


def parses(body: str) -> bool:
    lines = body.split("\n")
    if lines[-1] != "" or len(lines) < 2:
        return False
    return all(l.startswith("#") or SAMPLE.match(l) for l in lines[:-1])


def main() -> int:
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else float("inf")
    conn = http.client.HTTPConnection(host, port, timeout=10)
    ok = 0
    t0 = time.monotonic()
    done = 0
    for i in range(n):
        if time.monotonic() - t0 >= limit:
            break
        done += 1
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read().decode()
        if r.status == 200 and parses(body):
            ok += 1
        elif ok == i:  # report the first failure only
            print(f"scrape {i}: HTTP {r.status}, parses={parses(body)}", file=sys.stderr)
    dt = time.monotonic() - t0
    print(f"{done} scrapes, {ok} ok, {dt:.2f} s, {done / dt:.0f} scrapes/s")
    return 0 if ok == done else 1


if __name__ == "__main__":
    sys.exit(main())
