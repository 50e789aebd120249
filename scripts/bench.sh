#!/usr/bin/env bash
# portmux's benchmark suite: portmux against the Linux kernel and against the
# bare I/O cost, side by side in one run (docs/performance.md).
#
#   sudo scripts/bench.sh            # full: 3 rounds, 10 s loads, 1M/8M flows,
#                                    # 1,000,000 idle connections; rewrites the
#                                    # generated part of docs/performance.md
#   sudo scripts/bench.sh --quick    # smoke run (CI): 1 round, 2 s loads,
#                                    # 100k flows, 10,000 idle connections;
#                                    # writes build-bench/performance-quick.md
#
# Options: --rounds N, --secs S, --out FILE, --only LIST (comma-separated of
# flow,engine,cps,rps,cps6,rps6,pingpong,bulk,idle,virtio; cps6 and rps6 are
# the short-connection and keep-alive loads over IPv6, Linux's nginx on
# [::1]; virtio is portmux on the virtio PMD with offloads on and off,
# scripts/bench/virtio.sh, not in --quick), --build DIR (default build-bench).
#
# It builds portmux with release flags (meson buildtype=release: -O3, no
# asserts), reserves hugepages (given back at the end), pins every process
# (servers on CPU 1, clients on CPU 0), and runs the comparisons alternately
# within each round (portmux, Linux, portmux, Linux, ...), so a noisy moment
# of this shared machine hits both sides alike. Every figure in the report
# is the median of the rounds, with their min-max. Nothing here passes or
# fails on a figure: it fails only if a measurement could not be taken (a
# program failed, a key is missing, or a load had errors).
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
ARGS="$*"
QUICK=0 ROUNDS="" SECS="" OUT="" ONLY=""
BUILD=$ROOT/build-bench
while (($#)); do
    case $1 in
        --quick) QUICK=1 ;;
        --rounds) ROUNDS=$2; shift ;;
        --secs) SECS=$2; shift ;;
        --out) OUT=$2; shift ;;
        --only) ONLY=$2; shift ;;
        --build) BUILD=$2; shift ;;
        -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $(id -u) == 0 ]] || { echo "bench.sh: needs root (namespaces, hugepages)" >&2; exit 2; }
if ((QUICK)); then
    : "${ONLY:=flow,engine,cps,rps,cps6,rps6,pingpong,bulk,idle}"
    : "${ROUNDS:=1}" "${SECS:=2}" "${OUT:=$BUILD/performance-quick.md}"
    FLOWS=(100000) IDLE_PMX=10000 IDLE_LINUX=10000 BULK=$((256 << 20)) BULK_LX=256M
    TCP_MS=50 FLOW_MS=100
else
    : "${ONLY:=flow,engine,cps,rps,cps6,rps6,pingpong,bulk,idle,virtio}"
    : "${ROUNDS:=3}" "${SECS:=10}" "${OUT:=$ROOT/docs/performance.md}"
    FLOWS=(1000000 8000000) IDLE_PMX=1000000 IDLE_LINUX=100000 BULK=$((1 << 30)) BULK_LX=1G
    TCP_MS=1000 FLOW_MS=400
fi
for v in "$ROUNDS" "$SECS"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: bad number '$v'" >&2; exit 2; }
done
want() { [[ ,$ONLY, == *,$1,* ]]; }
log() { echo "[bench.sh $(date +%T)] $*" >&2; }

# Tools: the project's own installer when something is missing.
for t in meson ninja nginx wrk iperf3 taskset; do
    command -v "$t" >/dev/null || { log "missing $t: scripts/install-deps.sh"; "$ROOT/scripts/install-deps.sh"; break; }
done

log "release build in $BUILD"
[[ -f $BUILD/build.ninja ]] || meson setup --buildtype=release "$BUILD" "$ROOT" >&2
ninja -C "$BUILD" app/portmux app/portmux-ctl bench/pmx-flow-bench bench/pmx-tcp-bench \
    bench/linux/pmx-epoll-echo bench/linux/pmx-pingpong bench/linux/pmx-idle-conns \
    tests/vhost/pmx-vhost-bridge >&2

# shellcheck source=scripts/lib/pmx.sh
source "$ROOT/scripts/lib/pmx.sh"
RAW=$BUILD/bench-raw.txt  # kept: `scripts/bench/report.py --raw` can redo the report
: >"$RAW"
trap pmx_hugepages_restore EXIT
pmx_hugepages_reserve 1536

export BENCH_BUILD=$BUILD BENCH_SECS=$SECS BENCH_BULK_BYTES=$BULK_LX
# shellcheck source=scripts/bench/portmux.sh
source "$ROOT/scripts/bench/portmux.sh"
# shellcheck source=scripts/bench/linux.sh
source "$ROOT/scripts/bench/linux.sh"
# shellcheck source=scripts/bench/virtio.sh
source "$ROOT/scripts/bench/virtio.sh"

# run ROUND NAME CMD...: one measurement; its RESULT lines go to $RAW tagged
# with the round. A failed measurement stops the suite.
run() {
    local round=$1 name=$2 out
    shift 2
    log "round $round: $name"
    out=$("$@") || { echo "$out" >&2; log "FAILED: $name"; exit 1; }
    awk -v r="$round" '$1 == "RESULT" { print r, $2, $3 }' <<<"$out" >>"$RAW"
}

EAL=(--no-pci --no-telemetry -l 1 --in-memory --log-level=pmd.net.memif:error --log-level='*:warning')
flow_bench() {  # N
    "$BUILD/bench/pmx-flow-bench" "${EAL[@]}" --file-prefix "pmxbf$$" -- \
        --flows "$1" --rounds 1 --round-ms "$FLOW_MS" --machine
}
tcp_bench() {
    "$BUILD/bench/pmx-tcp-bench" "${EAL[@]}" --file-prefix "pmxbt$$" -- \
        --rounds 1 --round-ms "$TCP_MS" --machine
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
    if want flow; then for n in "${FLOWS[@]}"; do run "$r" "flow table, $n flows" flow_bench "$n"; done; fi
    want engine && run "$r" "engine and bare I/O" tcp_bench
    if want cps; then run "$r" "portmux cps" pmx_cps; run "$r" "linux cps" linux_cps; fi
    if want rps; then run "$r" "portmux rps" pmx_rps; run "$r" "linux rps" linux_rps; fi
    if want cps6; then run "$r" "portmux cps, IPv6" pmx_cps6; run "$r" "linux cps, IPv6 [::1]" linux_cps6; fi
    if want rps6; then run "$r" "portmux rps, IPv6" pmx_rps6; run "$r" "linux rps, IPv6 [::1]" linux_rps6; fi
    if want pingpong; then
        run "$r" "portmux ping-pong" pmx_pingpong
        run "$r" "linux ping-pong" linux_pingpong
    fi
    if want bulk; then
        run "$r" "portmux bulk" pmx_bulk "$BULK"
        run "$r" "linux bulk (GSO/GRO on)" linux_bulk
        run "$r" "linux bulk (GSO/GRO off)" bash -c \
            "set -o pipefail; source '$ROOT/scripts/bench/linux.sh'; BENCH_BULK_OFFLOADS=off linux_bulk | sed 's/linux_bulk_gbps/linux_bulk_nooffload_gbps/'"
    fi
    if want virtio; then
        for m in on off; do run "$r" "portmux virtio bulk, offloads $m" virtio_bulk "$m" "$BULK"; done
        for m in on off; do run "$r" "portmux virtio cps, offloads $m" virtio_cps "$m"; done
    fi
    if want idle; then
        run "$r" "portmux idle $IDLE_PMX" pmx_idle "$IDLE_PMX"
        run "$r" "linux idle $IDLE_LINUX" linux_idle "$IDLE_LINUX"
    fi
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

CMD="sudo scripts/bench.sh${ARGS:+ $ARGS}"
python3 "$ROOT/scripts/bench/report.py" --raw "$RAW" --out "$OUT" --quick "$QUICK" \
    --rounds "$ROUNDS" --secs "$SECS" --command "$CMD" --only "$ONLY" \
    --load "$LOAD_BEFORE" "$LOAD_AFTER" --wall $((SECONDS - T0)) \
    --commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --idle "$IDLE_PMX" "$IDLE_LINUX" --flows "${FLOWS[@]}" --bulk "$BULK"
log "report written to $OUT ($((SECONDS - T0)) s of measurements)"
