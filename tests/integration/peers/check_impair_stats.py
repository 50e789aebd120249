#!/usr/bin/python3
"""Checks pmx-impair's counters after selftest_impair.sh's transfer.

  check_impair_stats.py STATS_JSON --csum-errors-b N

STATS_JSON is pmx-impair's --stats file (per direction a_to_b and b_to_a);
N is TcpInCsumErrors counted by endpoint B during the run. For every
direction: each frame in (plus duplicates) accounted for exactly once,
nothing lost by accident (oversize, truncated, overflow, TX errors, kernel
drops), loss within 1 %..6 % and reordering within 5 %..16 % (the selftest
asks for 3 % and 10 %), every forwarded frame delayed (2 ms). From A to B
(16 MiB of data): more than 5000 frames, some duplicated, reordered and
corrupted, and corruption seen by B's checksum. Prints one line per
problem and exits 1 if there is any.
"""
import argparse
import json
import sys

LOST_BY_ACCIDENT = ("oversize", "truncated", "overflow", "tx_errors", "kernel_drops")
ACCOUNTED = ("forwarded", "tx_errors", "dropped", "truncated", "overflow", "discarded")


def check_direction(d, c):
    bad = []
    ins = c["frames_in"] + c["duplicated"]
    outs = sum(c[k] for k in ACCOUNTED)
    if ins != outs:
        bad.append(f"{d}: frames_in + duplicated = {ins} != {outs} accounted")
    for k in LOST_BY_ACCIDENT:
        if c[k]:
            bad.append(f"{d}: {k} = {c[k]}, want 0 (offloads on? queue too small?)")
    n = c["frames_in"]
    if n > 1000 and not 0.01 <= c["dropped"] / n <= 0.06:
        bad.append(f"{d}: dropped {c['dropped']} of {n} frames, want 1%..6%")
    if n > 1000 and not 0.05 <= c["reordered"] / n <= 0.16:
        bad.append(f"{d}: reordered {c['reordered']} of {n} frames, want 5%..16%")
    if c["delayed"] < c["forwarded"] - c["oversize"]:
        bad.append(f"{d}: delayed {c['delayed']} < forwarded {c['forwarded']} (delay 2 ms)")
    return bad


def check_a_to_b(ab, csum_b):
    bad = []
    if ab["frames_in"] <= 5000:
        bad.append(f"a_to_b: only {ab['frames_in']} frames for 16 MiB")
    for k in ("duplicated", "reordered", "corrupted"):
        if ab[k] == 0:
            bad.append(f"a_to_b: {k} = 0")
    if ab["corrupted"] > 0 and csum_b == 0:
        bad.append(f"a_to_b corrupted {ab['corrupted']} frames but B counted no TcpInCsumErrors")
    return bad


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("stats", help="pmx-impair's --stats JSON file")
    p.add_argument("--csum-errors-b", type=int, required=True,
                   help="TcpInCsumErrors counted by endpoint B")
    a = p.parse_args()
    with open(a.stats) as f:
        stats = json.load(f)
    bad = []
    for d in ("a_to_b", "b_to_a"):
        bad += check_direction(d, stats[d])
    bad += check_a_to_b(stats["a_to_b"], a.csum_errors_b)
    for line in bad:
        print("  " + line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
