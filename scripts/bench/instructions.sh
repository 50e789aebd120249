#!/bin/bash
# Instructions per segment in the engine (deterministic, unlike cycles on a
# shared machine): runs pmx-tcp-bench under callgrind and prints, for the
# TCP-path rows, the inclusive instruction count of Engine::input_burst per
# segment. Usage: scripts/bench/instructions.sh BUILD_DIR [BUILD_DIR...]
# (release builds: meson setup --buildtype=release DIR). Needs valgrind.
#
# The rows are told apart by the lambda each is timed in (timed_round<...
# lambda()#N> in bench/tcp_bench.cpp's run(), numbered in source order):
# #11 pure ACK, #12 64-byte data, #13 SYN, #14 short HTTP connection.
set -euo pipefail
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind not installed" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [BUILD_DIR...]" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in "$@"; do
  bin=$dir/bench/pmx-tcp-bench
  [ -x "$bin" ] || { echo "instructions.sh: no $bin (ninja -C $dir bench/pmx-tcp-bench)" >&2; exit 2; }
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$bin" --no-huge -m 1024 \
    --no-shconf --no-pci --no-telemetry --file-prefix "pmxcg$$" -l 0 --log-level='*:warning' \
    -- --rounds 1 --round-ms 200 --io none --machine >"$tmp/bench.txt" 2>&1 ||
    { echo "instructions.sh: pmx-tcp-bench failed under valgrind ($dir)" >&2; cat "$tmp/bench.txt" >&2; exit 1; }
  callgrind_annotate --tree=calling --inclusive=yes "$tmp/cg.out" 2>/dev/null | awk -v dir="$dir" '
    BEGIN { name["#11"] = "ack"; name["#12"] = "data64"; name["#13"] = "syn"; name["#14"] = "shortconn" }
    /\*  .*timed_round<.*lambda\(\)#[0-9]+}>/ {
      match($0, /lambda\(\)#[0-9]+/); cur = substr($0, RSTART + 8, RLENGTH - 8); next }
    /\*  / { cur = "" }
    cur in name && />   .*Engine::input_burst/ {
      ir = $1; gsub(",", "", ir); n = $0; sub(/.*\(/, "", n); sub(/x\).*/, "", n); gsub(",", "", n)
      printf "%s %s input_burst_instructions_per_seg %.1f\n", dir, name[cur], ir / n / 32 }' | sort -k2
done
