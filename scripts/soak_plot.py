#!/usr/bin/python3
"""soak_plot.py SAMPLES.csv OUT.png: plots scripts/soak.sh's samples.

Four panels over the run's time: connections and flow-table entries,
send/receive buffers and mbufs in use, resident memory, and the generator's
completed connections and errors. Phases are shaded so growth can be read
against what the generator was doing. Uses Debian's python3-matplotlib.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        sys.exit(f"soak_plot.py: {path}: no samples")
    cols = {k: [] for k in rows[0]}
    for r in rows:
        for k, v in r.items():
            cols[k].append(v if k == "phase" else float(v))
    return cols


def shade_phases(ax, t, phases):
    colours = {"short": "#eef", "keepalive": "#efe", "bulk": "#fee", "echo": "#ffe",
               "rst": "#fef", "abandon": "#eff", "settle": "#eee"}
    start = 0
    for i in range(1, len(t) + 1):
        if i == len(t) or phases[i] != phases[start]:
            end = t[i] if i < len(t) else t[-1]
            ax.axvspan(t[start], end, color=colours.get(phases[start], "#fff"), lw=0)
            start = i


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: soak_plot.py SAMPLES.csv OUT.png")
    c = load(sys.argv[1])
    t = [x / 60 for x in c["t_s"]]
    panels = [
        ("connections", [("connections", "connections (not LISTEN)"), ("flow_entries", "flow-table entries")]),
        ("buffers", [("buffers_in_use", "send/receive buffers"), ("mbufs_in_use", "mbufs in use")]),
        ("resident memory (MiB)", [("rss_kib", "portmux VmRSS")]),
        ("generator", [("gen_completed", "connections completed"), ("gen_errors", "errors")]),
    ]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 11), sharex=True)
    for ax, (title, series) in zip(axes, panels):
        shade_phases(ax, t, c["phase"])
        for key, label in series:
            ys = c[key]
            if key == "rss_kib":
                ys = [y / 1024 for y in ys]
            ax.plot(t, ys, label=label, lw=1.2)
        ax.set_ylabel(title)
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("minutes (shading: phase)")
    fig.suptitle("portmux soak: samples every 10 s")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=90)


if __name__ == "__main__":
    main()
