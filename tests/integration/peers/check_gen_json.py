#!/usr/bin/python3
"""Checks the generator's JSON after a run (test_gen_linux.sh).

  check_gen_json.py telemetry TEXT --completed C --responses R
      TEXT is dpdk-telemetry.py's answer to /portmux/gen/stats: the run is
      done with C connections completed, R responses, R request latencies
      (0 < p50 <= max) and no errors.
  check_gen_json.py report FILE --completed C --responses R
      FILE is the --gen-report of a batch run: done, C connections
      completed, R requests answered with R latencies
      (0 < p50 <= p99 <= max), no errors, a positive request rate.

Exits 1 with the offending part on the first mismatch.
"""
import argparse
import json
import sys


def check(cond, what):
    if not cond:
        sys.exit(f"unexpected: {what}")


def telemetry(a):
    g = json.loads(a.source)["/portmux/gen/stats"]
    check(g["state"] == "done" and g["completed"] == a.completed and g["responses"] == a.responses, g)
    check(g["errors"] == 0 and g["request_count"] == a.responses, g)
    check(0 < g["request_p50_us"] <= g["request_max_us"], g)


def report(a):
    with open(a.source) as f:
        r = json.load(f)
    check(r["state"] == "done", r["state"])
    check(r["connections"]["completed"] == a.completed, r["connections"])
    check(r["requests"]["answered"] == a.responses, r["requests"])
    check(r["errors"]["total"] == 0, r["errors"])
    lat = r["latency_us"]["request"]
    check(lat["count"] == a.responses and 0 < lat["p50"] <= lat["p99"] <= lat["max"], lat)
    check(r["rates"]["rps"] > 0, r["rates"])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind", choices=["telemetry", "report"])
    p.add_argument("source", help="telemetry: the answer's text; report: the report file")
    p.add_argument("--completed", type=int, required=True, help="connections completed")
    p.add_argument("--responses", type=int, required=True, help="requests answered")
    a = p.parse_args()
    {"telemetry": telemetry, "report": report}[a.kind](a)


if __name__ == "__main__":
    main()
