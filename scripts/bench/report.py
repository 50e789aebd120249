#!/usr/bin/env python3
"""Turns scripts/bench.sh's raw results into the Markdown of docs/performance.md.

Input (--raw): lines `ROUND KEY VALUE`, one per measurement and round. Every
figure printed is the median over the rounds with the min-max beside it; a
ratio is the ratio of the two medians. The generated text replaces what lies
between the BEGIN and END markers of --out (the rest of the file is prose
written by hand), or makes up the whole file when it has no markers.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

BEGIN = "<!-- bench.sh: generated from here; do not edit by hand -->"
END = "<!-- bench.sh: generated up to here -->"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine():
    model = sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor()
    mem = sh("awk '/MemTotal/ { printf \"%.1f GiB\", $2 / 1048576 }' /proc/meminfo")
    gxx = sh("g++ --version | head -1")
    dpdk = sh("pkg-config --modversion libdpdk")
    nginx = sh("nginx -v 2>&1 | cut -d/ -f2")
    wrk = sh("wrk -v 2>&1 | head -1 | cut -d' ' -f1-2")
    iperf = sh("iperf3 -v | head -1 | cut -d' ' -f2")
    return [
        f"CPU: {model}, {os.cpu_count()} vCPUs; RAM {mem}",
        f"Kernel {platform.release()}; {gxx}; DPDK {dpdk}; nginx {nginx}; {wrk}; iperf3 {iperf}",
    ]


class Results:
    def __init__(self, path):
        self.v = defaultdict(list)
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    self.v[parts[1]].append(float(parts[2]))

    def has(self, k):
        return k in self.v

    def med(self, k):
        return statistics.median(self.v[k]) if k in self.v else None

    def cell(self, k, digits=0):
        if k not in self.v:
            return "–"
        xs = self.v[k]
        f = f"{{:,.{digits}f}}"
        if len(xs) == 1:
            return f.format(xs[0])
        return f"{f.format(statistics.median(xs))} ({f.format(min(xs))}–{f.format(max(xs))})"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}×"


def verdict(ok):
    return "–" if ok is None else ("met" if ok else "**missed**")


def e2e_table(r, a):
    rows = []

    def row(name, pk, lk, digits, target, ok):
        pm, lm = r.med(pk), r.med(lk)
        rows.append(f"| {name} | {r.cell(pk, digits)} | {r.cell(lk, digits)} | "
                    f"{ratio(pm, lm)} | {target} | {verdict(ok(pm, lm) if pm is not None and lm is not None else None)} |")

    row("short connections, conn/s (higher is better)", "pmx_cps", "linux_cps", 0,
        "≥ 10× Linux", lambda p, l: p >= 10 * l)
    row("keep-alive, 100 connections, req/s", "pmx_rps", "linux_rps", 0,
        "≥ 10× Linux", lambda p, l: p >= 10 * l)
    row("keep-alive request latency p50, µs", "pmx_rps_p50_us", "linux_rps_p50_us", 0, "", lambda p, l: None)
    row("keep-alive request latency p99, µs", "pmx_rps_p99_us", "linux_rps_p99_us", 0, "", lambda p, l: None)
    row("IPv6: short connections, conn/s (Linux on [::1])", "pmx_cps6", "linux_cps6", 0, "", lambda p, l: None)
    row("IPv6: keep-alive, 100 connections, req/s (Linux on [::1])", "pmx_rps6", "linux_rps6", 0, "",
        lambda p, l: None)
    row("IPv6: keep-alive request latency p99, µs", "pmx_rps6_p99_us", "linux_rps6_p99_us", 0, "",
        lambda p, l: None)
    row("ping-pong 64 B round trip p50, µs", "pmx_pingpong_p50_us", "linux_pingpong_p50_us", 0,
        "", lambda p, l: None)
    row("ping-pong 64 B round trip p99, µs (lower is better)", "pmx_pingpong_p99_us",
        "linux_pingpong_p99_us", 0, "≤ ⅓ of Linux", lambda p, l: p * 3 <= l)
    row(f"bulk, one connection, {a.bulk >> 20} MiB, Gbit/s (Linux: GSO/GRO on)", "pmx_bulk_gbps",
        "linux_bulk_gbps", 2, "", lambda p, l: None)
    row("bulk, Linux with GSO/GRO off (1500-byte segments all the way)", "pmx_bulk_gbps",
        "linux_bulk_nooffload_gbps", 2, "", lambda p, l: None)
    rows.append(f"| idle connections held (portmux {a.idle[0]:,}, Linux {a.idle[1]:,}) | "
                f"{r.cell('pmx_idle_conns')} | {r.cell('linux_idle_conns')} | | all, 0 errors | "
                f"{verdict(None if not r.has('pmx_idle_conns') else r.med('pmx_idle_conns') >= a.idle[0] and r.med('pmx_idle_errors') == 0)} |")
    pb = r.med("pmx_idle_bytes_per_conn")
    rows.append(f"| memory per idle connection, bytes (Linux: server side) | "
                f"{r.cell('pmx_idle_bytes_per_conn')} | {r.cell('linux_idle_bytes_per_conn')} | "
                f"{ratio(pb, r.med('linux_idle_bytes_per_conn'))} | ≤ 1024 | "
                f"{verdict(None if pb is None else pb <= 1024)} |")
    rows.append(f"| memory per idle connection, Linux both ends | | "
                f"{r.cell('linux_idle_bytes_per_conn_both')} | | | |")
    errs = [k for k in r.v if k.endswith("_errors") and r.med(k)]
    head = ["| measurement | portmux median (min–max) | Linux median (min–max) | portmux / Linux | target | |",
            "| --- | ---: | ---: | ---: | --- | --- |"]
    note = [f"Errors: {'none' if not errs else ', '.join(errs)} (every load counts its failed "
            "connections and requests; each must be 0)."]
    return head + rows + [""] + note


def virtio_table(r, a):
    """portmux on the virtio PMD (scripts/bench/virtio.sh), offloads on against off."""
    rows = ["| measurement | offloads on, median (min–max) | offloads off, median (min–max) | on / off |",
            "| --- | ---: | ---: | ---: |"]
    for name, key, digits in ((f"bulk, one connection, {a.bulk >> 20} MiB, Gbit/s", "bulk_gbps", 2),
                              ("short connections (wrk, 50, `Connection: close`), conn/s", "cps", 0)):
        on, off = f"virtio_on_{key}", f"virtio_off_{key}"
        rows.append(f"| {name} | {r.cell(on, digits)} | {r.cell(off, digits)} | "
                    f"{ratio(r.med(on), r.med(off))} |")
    note = ["portmux (net_virtio_user, worker on CPU 1) serves a Linux client (curl, wrk) through "
            "pmx-vhost-bridge, which copies every frame, cuts TSO frames and finishes checksums in "
            "software on the client's CPU 0 (docs/hardware.md, section 10). No Linux row runs over "
            "the same path: this machine has no vhost-net to give a Linux guest a virtio port; the "
            "bulk rows above (iperf3 over a veth, GSO/GRO on and off) are the nearest Linux figures."]
    return rows + [""] + note


def commands(a):
    """What each end-to-end row ran (the loads are in scripts/bench/*.sh)."""
    t, src = a.secs, "src 198.18.1.16-198.18.1.31"
    url = "http://127.0.0.1:8080/"
    gen = "portmux-ctl -s client.sock gen start 198.18.1.1"
    gen6, src6, url6 = "portmux-ctl -s client.sock gen start 2001:2:1::1", "src 2001:2:1::10-2001:2:1::1f", \
        "http://[::1]:8080/"
    wrk = f"taskset -c 0 wrk -t1 -d{t}s"
    rows = [
        ("short connections (`--only cps`)",
         f"`{gen} 80 mode http conns 100 reqs 1 resp-size 64 duration {t} {src}`",
         f"`{wrk} -c100 -H 'Connection: close' {url}`"),
        ("keep-alive (`--only rps`)",
         f"`{gen} 80 mode http conns 100 reqs 1000000000 resp-size 64 duration {t} {src}`",
         f"`{wrk} -c100 --latency {url}`"),
        ("short connections over IPv6 (`--only cps6`)",
         f"`{gen6} 80 mode http conns 100 reqs 1 resp-size 64 duration {t} {src6}`",
         f"`{wrk} -c100 -H 'Connection: close' {url6}`"),
        ("keep-alive over IPv6 (`--only rps6`)",
         f"`{gen6} 80 mode http conns 100 reqs 1000000000 resp-size 64 duration {t} {src6}`",
         f"`{wrk} -c100 --latency {url6}`"),
        ("ping-pong (`--only pingpong`)",
         f"`{gen} 7 mode echo conns 1 reqs 1000000000 req-size 64 duration {t} {src}`",
         f"`taskset -c 0 pmx-pingpong 127.0.0.1 7007 {t} 64` against `taskset -c 1 pmx-epoll-echo`"),
        ("bulk (`--only bulk`)",
         f"`{gen} 80 mode http conns 1 reqs 1 resp-size {a.bulk} {src}`",
         f"`taskset -c 0 iperf3 -c 198.18.0.1 -R -n {a.bulk >> 20}M -J` against `taskset -c 1 iperf3 -s` "
         "over a veth pair, MTU 1500"),
        ("idle connections (`--only idle`)",
         f"`{gen} 5001 mode raw conns {a.idle[0]} rate 100000 reqs 0 duration "
         f"{a.idle[0] // 50000 + 10} {src}`",
         f"`pmx-idle-conns {a.idle[1]} 5001 1 0 8` (clients from 127.0.0.2-9)"),
    ]
    out = ["Each row's loads (one round; `sudo scripts/bench.sh --only NAME` repeats a row). "
           "portmux: server `portmux --lcores 0@0,1@1 --vdev=net_memif0,role=server,... -- "
           "--addr 0=198.18.1.1/24 --listen 0.0.0.0:80=http --listen 0.0.0.0:7=echo`, client "
           "`portmux --lcores 0@1,1@0 --vdev=net_memif0,role=client,... -- --addr "
           "0=198.18.1.16/24 ... --addr 0=198.18.1.31/24 --ephemeral-ports 1024-65535` "
           "(scripts/bench/portmux.sh); Linux: nginx-light with `worker_processes 1; "
           "worker_cpu_affinity` CPU 1 in a namespace of its own, loads on 127.0.0.1 from CPU 0 "
           "(scripts/bench/linux.sh).", "",
           "| row | portmux client | Linux client |", "| --- | --- | --- |"]
    out += [f"| {n} | {p} | {l} |" for n, p, l in rows]
    return out


def engine_table(r):
    head = ["| per segment, cycles | TCP median (min–max) | bare I/O over net_memif (rx + tx) | TCP / I/O | target | |",
            "| --- | ---: | ---: | ---: | --- | --- |"]
    rows = []
    for name, k, io in [
        ("pure ACK, established: engine", "engine_ack_cycles", "io_memif_ack_cycles_per_pkt"),
        ("pure ACK: parse + engine", "tcp_path_ack_cycles", "io_memif_ack_cycles_per_pkt"),
        ("64-byte data: engine", "engine_data64_cycles", "io_memif_data64_cycles_per_pkt"),
        ("64-byte data: parse + engine + write of the ACKs", "tcp_path_data64_cycles",
         "io_memif_data64_cycles_per_pkt"),
        ("SYN → SYN-ACK: engine", "engine_syn_cycles", "io_memif_ack_cycles_per_pkt"),
        ("SYN → SYN-ACK: parse + engine + write", "tcp_path_syn_cycles", "io_memif_ack_cycles_per_pkt"),
        ("whole short connection, per segment in or out: engine", "engine_shortconn_cycles_per_seg",
         "io_memif_ack_cycles_per_pkt"),
        ("whole short connection, per segment: parse + engine + write",
         "tcp_path_shortconn_cycles_per_seg", "io_memif_ack_cycles_per_pkt"),
    ]:
        t, i = r.med(k), r.med(io)
        ok = None if t is None or i is None else t <= i
        rows.append(f"| {name} | {r.cell(k)} | {r.cell(io)} | {ratio(t, i)} | ≤ 1× | {verdict(ok)} |")
    rows.append(f"| whole short connection, per connection: engine | "
                f"{r.cell('engine_shortconn_cycles_per_conn')} | | | | |")
    parts = ["", "Parts, cycles per segment (median, min–max): "
             f"parse_segment of an ACK {r.cell('parse_ack_cycles')} (checksum not verified: "
             f"{r.cell('parse_ack_hwcsum_cycles')}); write_frame of an ACK {r.cell('write_ack_cycles')}, "
             f"of a 64-byte data segment {r.cell('write_data64_cycles')}. Other bare I/O: net_ring "
             f"{r.cell('io_ring_ack_cycles_per_pkt', 1)} (a pointer through a ring), net_null "
             f"{r.cell('io_null_ack_cycles_per_pkt')} (mbuf alloc + free)."]
    return head + rows + parts


def flow_table(r, n):
    lab = {1000000: "1m", 8000000: "8m", 100000: "100k"}.get(n, str(n))
    p = f"flow_{lab}_"
    head = [f"{n:,} flows:", "",
            "| operation | Mops/s median (min–max) | cycles/op median (min–max) |",
            "| --- | ---: | ---: |"]
    rows = []
    for name, k in [
        ("lookup: rte_hash_lookup_bulk_data, bursts of 32", "rte_bulk"),
        ("lookup: rte_hash_lookup_data, single", "rte_single"),
        ("lookup: std::unordered_map::find, single", "umap_find"),
        ("lookup: RteFlowTable::lookup_bulk (the engine's call)", "rtetable_bulk"),
        ("lookup: rte_hash_lookup_bulk_data, 48-byte keys (the IPv4 keys padded)", "rte48_bulk"),
        ("lookup: RteFlowTable::lookup_bulk, IPv6 keys", "rtetable6_bulk"),
        ("insert: rte_hash_add_key_data", "rte_insert"),
        ("insert: rte_hash_add_key_data, 48-byte keys", "rte48_insert"),
        ("insert: std::unordered_map::emplace", "umap_insert"),
        ("delete: rte_hash_del_key", "rte_delete"),
        ("delete: rte_hash_del_key, 48-byte keys", "rte48_delete"),
        ("delete: std::unordered_map::erase", "umap_delete"),
    ]:
        rows.append(f"| {name} | {r.cell(p + k + '_mops', 2)} | {r.cell(p + k + '_cycles')} |")
    sp = r.med(p + "bulk_speedup_vs_umap")
    tail = ["", f"Bulk lookup over `unordered_map` find: {r.cell(p + 'bulk_speedup_vs_umap', 2)}"
            + (f" (target ≥ 3× at 1M flows: {verdict(sp >= 3)})" if n == 1000000 and sp else "") + ".",
            f"16-byte keys over 48-byte keys, bulk lookup: {r.cell(p + 'bulk16_speedup_vs_48', 2)}"
            " (docs/architecture.md, \"One key type, one table per family\")."]
    return head + rows + tail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--secs", type=int, required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--load", nargs=2, default=["?", "?"])
    ap.add_argument("--wall", type=int, default=0)
    ap.add_argument("--commit", default="?")
    ap.add_argument("--idle", nargs=2, type=int, default=[0, 0])
    ap.add_argument("--flows", nargs="+", type=int, default=[])
    ap.add_argument("--bulk", type=int, default=1 << 30)
    a = ap.parse_args()
    r = Results(a.raw)
    want = set(a.only.split(","))

    out = [BEGIN, "", f"Generated by `{a.command}` at commit {a.commit} on "
           f"{sh('date -u +%Y-%m-%d')} ({'quick smoke run' if a.quick else 'full run'}: "
           f"{a.rounds} round(s), timed loads of {a.secs} s, {a.wall} s in all; "
           f"load average {a.load[0]} before, {a.load[1]} after).", ""]
    out += [f"- {m}" for m in machine()] + [""]
    if want & {"cps", "rps", "cps6", "rps6", "pingpong", "bulk", "idle"}:
        out += ["### End to end: one server core, one client core", ""]
        out += e2e_table(r, a) + [""]
    if want & {"cps", "rps", "cps6", "rps6", "pingpong", "bulk", "idle"}:
        out += commands(a) + [""]
    if "virtio" in want:
        out += ["### The virtio PMD, offloads on and off (checksums, TSO)", ""]
        out += virtio_table(r, a) + [""]
    if "engine" in want:
        out += ["### TCP cost per segment against the bare I/O cost (no network)", ""]
        out += engine_table(r) + [""]
    if "flow" in want:
        out += ["### Flow table", ""]
        for n in a.flows:
            out += flow_table(r, n) + [""]
    out.append(END)
    text = "\n".join(out) + "\n"

    if os.path.exists(a.out):
        old = open(a.out).read()
        if BEGIN in old and END in old:
            text = old[:old.index(BEGIN)] + text + old[old.index(END) + len(END) + 1:]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    missing = [k for k in expected(want, a.flows) if not r.has(k)]
    if missing:
        sys.exit("report.py: no figure for " + ", ".join(missing))
    errs = [k for k in r.v if k.endswith("_errors") and any(r.v[k])]
    if errs:
        sys.exit("report.py: a load had errors: " + ", ".join(errs))


def expected(want, flows):
    keys = []
    if "cps" in want:
        keys += ["pmx_cps", "linux_cps"]
    if "rps" in want:
        keys += ["pmx_rps", "linux_rps", "pmx_rps_p99_us", "linux_rps_p99_us"]
    if "cps6" in want:
        keys += ["pmx_cps6", "linux_cps6"]
    if "rps6" in want:
        keys += ["pmx_rps6", "linux_rps6", "pmx_rps6_p99_us", "linux_rps6_p99_us"]
    if "pingpong" in want:
        keys += ["pmx_pingpong_p99_us", "linux_pingpong_p99_us"]
    if "bulk" in want:
        keys += ["pmx_bulk_gbps", "linux_bulk_gbps", "linux_bulk_nooffload_gbps"]
    if "idle" in want:
        keys += ["pmx_idle_bytes_per_conn", "linux_idle_bytes_per_conn"]
    if "virtio" in want:
        keys += ["virtio_on_bulk_gbps", "virtio_off_bulk_gbps", "virtio_on_cps", "virtio_off_cps"]
    if "engine" in want:
        keys += ["engine_ack_cycles", "tcp_path_data64_cycles", "io_memif_ack_cycles_per_pkt"]
    for n in flows if "flow" in want else []:
        lab = {1000000: "1m", 8000000: "8m", 100000: "100k"}.get(n, str(n))
        keys += [f"flow_{lab}_rte_bulk_cycles", f"flow_{lab}_umap_find_cycles"]
    return keys


if __name__ == "__main__":
    main()
