#!/usr/bin/env bash
# scripts/soak.sh [--minutes N] [--seed S] [--out DIR] [--plot]
#
# A long mixed run of portmux against itself through the impairment
# forwarder, watching for resources that leak. One portmux process, two
# net_af_packet ports in one namespace, joined through pmx-impair (loss,
# reordering, duplication, delay and corruption both ways, seeded):
#
#   port 0  198.18.0.1/24  generator  <-> pmx-impair <->  port 1  198.18.0.2/24
#                                                          http on :80, echo on :7
#
# The generator cycles through phases of PHASE_S seconds (default 15):
# short http connections, keep-alive, bulk 1 MB bodies, 16 KiB echo, close
# with RST, and close abandon (the client vanishes without FIN or RST, which
# the http listener's idle_timeout must reclaim). Every 10 s it samples, from
# the Prometheus endpoint and /proc: connections (not LISTEN), send/receive
# buffers in use, mbufs in use, flow-table entries, and portmux's resident
# memory; they go to DIR/samples.csv (and DIR/soak.png with --plot).
#
# It fails on
#   - a corrupted byte (the generator checks every byte: gen_err_bad_response),
#   - a stall (a phase that does not end within PHASE_S + 60 s, or a phase
#     that completes no connection),
#   - growth that does not come back: 30 s after the last phase (with
#     --msl-ms 1000, TIME_WAIT is gone by then) connections, buffers and flow
#     entries must be 0 and mbufs in use back to the first sample's; resident
#     memory must not have grown by more than 10 % (+16 MiB) since the end of
#     the first cycle of phases (pools are allocated at start and touched
#     lazily, so the first cycle may grow it),
#   - portmux dying or exiting non-zero.
# Errors other than corruption (timeouts and resets on a lossy link) are
# reported, not failed on. Prints "soak: PASS" or "soak: FAIL: why" last.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

MINUTES=2
SEED=${SOAK_SEED:-$(date +%s)}
OUT=""
PLOT=0
while (($#)); do
    case $1 in
        --minutes) MINUTES=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --plot) PLOT=1; shift ;;
        -h | --help) sed -n '2,33p' "$0"; exit 0 ;;
        *) echo "soak.sh: unknown argument '$1' (want --minutes N, --seed S, --out DIR, --plot)" >&2; exit 2 ;;
    esac
done
if ! [[ $MINUTES =~ ^[0-9]+$ ]] || ((MINUTES == 0)); then
    echo "soak.sh: --minutes '$MINUTES': want a positive integer" >&2
    exit 2
fi

BUILD=${BUILD:-build}
export PORTMUX=${PORTMUX:-$ROOT/$BUILD/app/portmux}
export PORTMUX_CTL=${PORTMUX_CTL:-$ROOT/$BUILD/app/portmux-ctl}
export PMX_IMPAIR=${PMX_IMPAIR:-$ROOT/$BUILD/tests/impair/pmx-impair}
OUT=${OUT:-$ROOT/$BUILD/soak}
mkdir -p "$OUT"
SAMPLES=$OUT/samples.csv

PHASE_S=${SOAK_PHASE_S:-15}
SAMPLE_S=10
SETTLE_S=30
# http options of the soak's listener: the keep-alive idle timeout reclaims
# the abandoned connections (set SOAK_HTTP_OPTS= to see them pile up).
SOAK_HTTP_OPTS=${SOAK_HTTP_OPTS-,idle_timeout=5}
IMPAIR_ARGS="--seed $SEED --loss 0.005 --reorder 0.02 --dup 0.002 --delay-ms 1 --corrupt 0.0005"

# shellcheck source=tests/integration/impair_lib.sh
source "$ROOT/tests/integration/impair_lib.sh"
require_root

SRV_IF="pmxd$$b"
SRV_IP=198.18.0.2
METRICS_PORT=9474
VERDICT=""

# Run from the EXIT trap through IMPAIR_ON_EXIT, which shellcheck cannot see.
# shellcheck disable=SC2317
verdict_print() {
    local st=$?
    if [[ -z $VERDICT ]]; then VERDICT="FAIL: exited early (status $st)"; fi
    echo "soak: $VERDICT"
}
IMPAIR_ON_EXIT+=(verdict_print)
impair_traps

fail_soak() {
    VERDICT="FAIL: $*"
    fail "$*"
}

ip netns add "$DUT_NS" || fail_soak "ip netns add $DUT_NS"
ip -n "$DUT_NS" link set lo up
impair_up "$DUT_NS" "$DUT_IF" "$DUT_NS" "$SRV_IF" "$IMPAIR_ARGS"
PMX_AF_FRAMES=4096
PMX_EAL_EXTRA=("--vdev=net_af_packet1,iface=$SRV_IF,framecnt=4096")
# Each ARP/echo turn through two kernels and pmx-impair: the pools are sized
# for the phases below (at most a few hundred connections at once).
pmx_start --addr "1=$SRV_IP/$PREFIX_LEN" --msl-ms 1000 \
    --listen "0.0.0.0:80=http,size=64$SOAK_HTTP_OPTS" --listen "0.0.0.0:7=echo" \
    --metrics "127.0.0.1:$METRICS_PORT"
info "soak: $MINUTES min, seed $SEED, samples in $SAMPLES"

# metric_sum NAME [EXCLUDE-REGEX]: sum of every sample of NAME in a scrape.
metric_sum() {
    awk -v n="$1" -v x="${2:-^$}" '
        ($1 == n || index($1, n "{") == 1) && $1 !~ x { s += $NF; found = 1 }
        END { if (!found) exit 1; printf "%d\n", s }' "$OUT/scrape.txt"
}

scrape() {
    ip netns exec "$DUT_NS" curl -sf -m 5 "http://127.0.0.1:$METRICS_PORT/metrics" >"$OUT/scrape.txt"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PMX_PID/status"; }

# sample PHASE: one line of samples.csv; sets S_CONNS S_BUFS S_MBUFS S_FLOWS S_RSS.
T0=$SECONDS
echo "t_s,phase,connections,buffers_in_use,mbufs_in_use,flow_entries,rss_kib,gen_completed,gen_errors" >"$SAMPLES"
sample() {
    pmx_pid_alive "$PMX_PID" || fail_soak "portmux died (phase $1)"
    scrape || fail_soak "GET /metrics failed (phase $1)"
    S_CONNS=$(metric_sum portmux_tcp_connections 'state="LISTEN"') || fail_soak "no portmux_tcp_connections"
    S_BUFS=$(metric_sum portmux_tcp_buffers_in_use) || fail_soak "no portmux_tcp_buffers_in_use"
    S_MBUFS=$(metric_sum portmux_mbuf_pool_in_use) || fail_soak "no portmux_mbuf_pool_in_use"
    S_FLOWS=$(metric_sum portmux_flowtable_entries) || fail_soak "no portmux_flowtable_entries"
    S_RSS=$(rss_kb)
    local completed errs
    completed=$(counter gen_completed) || fail_soak "no gen_completed"
    errs=$(gen_errors_total) || fail_soak "no generator error counters"
    echo "$((SECONDS - T0)),$1,$S_CONNS,$S_BUFS,$S_MBUFS,$S_FLOWS,$S_RSS,$completed,$errs" >>"$SAMPLES"
    info "sample t=$((SECONDS - T0))s $1: conns $S_CONNS bufs $S_BUFS mbufs $S_MBUFS flows $S_FLOWS rss ${S_RSS}KiB completed $completed errors $errs"
}

# The phases: name and gen start arguments (destination added below).
PHASES=(
    "short|80 mode http conns 64 rate 400 reqs 1"
    "keepalive|80 mode http conns 32 reqs 1000000000"
    "bulk|80 mode http conns 4 reqs 1000000000 resp-size 1000000"
    "echo|7 mode echo conns 16 reqs 1000000000 req-size 16384"
    "rst|80 mode http conns 32 rate 300 reqs 2 close rst"
    "abandon|80 mode http conns 32 rate 200 reqs 1 close abandon"
)

NEXT_SAMPLE=$SECONDS
maybe_sample() {
    if ((SECONDS >= NEXT_SAMPLE)); then
        sample "$1"
        NEXT_SAMPLE=$((NEXT_SAMPLE + SAMPLE_S))
    fi
}

sample start
MBUFS0=$S_MBUFS
RSS_CYCLE1=""
END=$((SECONDS + MINUTES * 60))
cycle=0 total_done=0
while ((SECONDS < END)); do
    for p in "${PHASES[@]}"; do
        ((SECONDS < END)) || break
        name=${p%%|*}
        read -ra args <<<"${p#*|}"
        before=$(counter gen_completed) || fail_soak "no gen_completed"
        ctl gen start "$SRV_IP" "${args[@]}" duration "$PHASE_S" >/dev/null ||
            fail_soak "gen start refused in phase $name"
        limit=$((SECONDS + PHASE_S + 60))
        while :; do
            out=$(ctl show gen stats) || fail_soak "show gen stats failed"
            [[ $out == "gen done:"* ]] && break
            ((SECONDS < limit)) || fail_soak "stall: phase $name not done after $((PHASE_S + 60)) s"
            maybe_sample "$name"
            sleep 1
        done
        after=$(counter gen_completed) || fail_soak "no gen_completed"
        ((after > before)) || fail_soak "stall: phase $name completed no connection"
        bad=$(counter gen_err_bad_response) || fail_soak "no gen_err_bad_response"
        ((bad == 0)) || fail_soak "corruption: gen_err_bad_response $bad after phase $name"
        total_done=$after
    done
    cycle=$((cycle + 1))
    if [[ -z $RSS_CYCLE1 ]]; then RSS_CYCLE1=$(rss_kb); fi
done
info "soak: $cycle cycle(s), $total_done connections completed; settling ${SETTLE_S}s"

# Everything must come back once the traffic stops.
settle_end=$((SECONDS + SETTLE_S))
while :; do
    sample settle
    if ((S_CONNS == 0 && S_BUFS == 0 && S_FLOWS == 0 && S_MBUFS <= MBUFS0)); then break; fi
    if ((SECONDS >= settle_end)); then
        ctl show connections | head -20 >&2 || true
        fail_soak "growth that did not come back: connections $S_CONNS, buffers $S_BUFS, flow entries $S_FLOWS, mbufs $S_MBUFS (start $MBUFS0)"
    fi
    sleep 2
done
rss_limit=$((RSS_CYCLE1 + RSS_CYCLE1 / 10 + 16384))
((S_RSS <= rss_limit)) ||
    fail_soak "resident memory grew: ${S_RSS} KiB at the end, ${RSS_CYCLE1} KiB after the first cycle"

errs=$(gen_errors_total) || fail_soak "no generator error counters"
abandoned=$(counter gen_abandoned) || fail_soak "no gen_abandoned"
ctl show gen stats | sed -n '1,/^  errors:/p' >"$OUT/last-run.txt" || true
ctl show tcp stats >"$OUT/tcp-stats.txt" || true
pmx_stop || fail_soak "portmux exited with status $PMX_EXIT"
impair_down || true
for d in a_to_b b_to_a; do
    info "pmx-impair $d: dropped $(impair_stat $d dropped) corrupted $(impair_stat $d corrupted) reordered $(impair_stat $d reordered) duplicated $(impair_stat $d duplicated)"
done
info "soak: completed $total_done, abandoned $abandoned, errors (timeouts/resets) $errs, rss ${RSS_CYCLE1} -> ${S_RSS} KiB"
if ((PLOT)); then
    /usr/bin/python3 "$ROOT/scripts/soak_plot.py" "$SAMPLES" "$OUT/soak.png" || fail_soak "plot failed"
    info "plot: $OUT/soak.png"
fi
VERDICT="PASS ($MINUTES min, $cycle cycles, $total_done connections, 0 corrupted, pools back to start)"
exit 0
