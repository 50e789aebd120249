#!/usr/bin/python3
"""Checks pmx-impair's counters after selftest_impair.sh's transfer.

  check_impair_stats.py STATS_JSON --csum-errors-b N
  check_impair_stats.py STATS_JSON --rate-mbit R --seconds T

STATS_JSON is pmx-impair's --stats file (per direction a_to_b and b_to_a).
For every direction: each frame in (plus duplicates) accounted for exactly
once, nothing lost by accident (oversize, truncated, overflow, TX errors,
kernel drops).

The impairment run (--csum-errors-b N, N being TcpInCsumErrors counted by
endpoint B during the run): no queue drops (there is no bottleneck), loss
within 1 %..6 % and reordering within 5 %..16 % (the selftest asks for 3 %
and 10 %), every forwarded frame delayed (2 ms). From A to B (16 MiB of
data): more than 5000 frames, some duplicated, reordered and corrupted, and
corruption seen by B's checksum.

The bottleneck run (--rate-mbit R --seconds T, T the transfer's wall time
from A to B): the bytes forwarded from A to B over T make at most 1.01 R
(a rate limit must not leak) and at least 0.90 R (nor waste the link), and
its queue overflowed (queue_drops > 0: a bulk TCP sender fills any queue).

Prints one line per problem and exits 1 if there is any.
"""
import argparse
import json
import sys

LOST_BY_ACCIDENT = ("oversize", "truncated", "overflow", "tx_errors", "kernel_drops")
ACCOUNTED = ("forwarded", "tx_errors", "dropped", "queue_drops", "truncated", "overflow",
             "discarded", "vlan_filtered")


def check_accounting(d, c):
    bad = []
    ins = c["frames_in"] + c["duplicated"]
    outs = sum(c[k] for k in ACCOUNTED)
    if ins != outs:
        bad.append(f"{d}: frames_in + duplicated = {ins} != {outs} accounted")
    for k in LOST_BY_ACCIDENT:
        if c[k]:
            bad.append(f"{d}: {k} = {c[k]}, want 0 (offloads on? queue too small?)")
    return bad


def check_direction(d, c):
    bad = check_accounting(d, c)
    if c["queue_drops"]:
        bad.append(f"{d}: queue_drops = {c['queue_drops']} without a bottleneck")
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


def check_bottleneck(stats, rate_mbit, seconds):
    bad = []
    for d in ("a_to_b", "b_to_a"):
        bad += check_accounting(d, stats[d])
    ab = stats["a_to_b"]
    mbit = ab["bytes_forwarded"] * 8 / seconds / 1e6
    print(f"  a_to_b: {ab['bytes_forwarded']} bytes in {seconds:.3f} s = {mbit:.2f} Mbit/s "
          f"(rate {rate_mbit}), queue_drops {ab['queue_drops']}")
    if not 0.90 * rate_mbit <= mbit <= 1.01 * rate_mbit:
        bad.append(f"a_to_b: {mbit:.2f} Mbit/s forwarded, want {rate_mbit} within -10 %..+1 %")
    if ab["queue_drops"] == 0:
        bad.append("a_to_b: queue_drops = 0: the bottleneck queue never overflowed")
    return bad


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("stats", help="pmx-impair's --stats JSON file")
    p.add_argument("--csum-errors-b", type=int,
                   help="impairment run: TcpInCsumErrors counted by endpoint B")
    p.add_argument("--rate-mbit", type=float, help="bottleneck run: the link's rate")
    p.add_argument("--seconds", type=float, help="bottleneck run: the transfer's wall time")
    a = p.parse_args()
    with open(a.stats) as f:
        stats = json.load(f)
    bad = []
    if a.rate_mbit is not None:
        if a.seconds is None:
            p.error("--rate-mbit needs --seconds")
        bad += check_bottleneck(stats, a.rate_mbit, a.seconds)
    else:
        if a.csum_errors_b is None:
            p.error("want --csum-errors-b or --rate-mbit")
        for d in ("a_to_b", "b_to_a"):
            bad += check_direction(d, stats[d])
        bad += check_a_to_b(stats["a_to_b"], a.csum_errors_b)
    for line in bad:
        print("  " + line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
