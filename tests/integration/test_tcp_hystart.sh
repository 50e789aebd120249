#!/usr/bin/env bash
# Integration test: HyStart++ (RFC 9406) on a bottleneck. portmux
# (net_af_packet, side A) sends HS_MIB MiB (default 16) of its http pattern
# to a Linux client (side B) through pmx-impair as a 20 Mbit/s link with a
# HS_QUEUE-frame drop-tail queue (default 64, about two BDP) and 10 ms delay
# each way (RTT about 21 ms), no random loss: the only losses are the queue's overflows,
# which slow start's overshoot causes and HyStart++ is meant to avoid.
# HS_RUNS (default 3) rounds, each a download from a hystart=off listener
# then one from a hystart=on listener (both HS_CC, default cubic), so the
# two alternate. Per download it prints (RESULT lines) the seconds taken,
# the segments retransmitted, the fast retransmits, the retransmission
# timeouts, HyStart++'s entries into CSS and its exits from slow start
# (docs/performance.md records them). Checks:
#  1. every body arrives whole with the pattern's SHA-256, no connection
#     was reset or timed out;
#  2. hystart=off never enters CSS; hystart=on does in every download (on
#     this link the RTT always rises before the queue overflows: 15 of 15
#     in the measured runs).
# Fewer retransmissions with hystart=on held on average (15 downloads each:
# 6457 against 9401) but not in every set of three, so it is not asserted.
# HS_PROBE=1 skips check 2 and only prints the figures: for other queues
# (HS_QUEUE), where the RTT may rise too late.
set -euo pipefail

# shellcheck source=tests/integration/impair_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/impair_lib.sh"

MIB=${HS_MIB:-16}
RUNS=${HS_RUNS:-3}
CC=${HS_CC:-cubic}
BYTES=$((MIB << 20))
PEER_PY="$PMX_LIB_DIR/peers/pattern_http.py"
QUEUE=${HS_QUEUE:-64}
LINK="--seed 1 --rate-mbit 20 --queue-frames $QUEUE --delay-ms 10"

require_root
impair_traps

_tmpdir
pmx_netns_add "$DUT_NS" "$PEER_NS" || fail "ip netns add $DUT_NS $PEER_NS"
ip -n "$PEER_NS" link set lo up
impair_up "$DUT_NS" "$DUT_IF" "$PEER_NS" "$PEER_IF" "$LINK"
ip -n "$PEER_NS" addr add "$PEER_IP/$PREFIX_LEN" dev "$PEER_IF" || fail "addr on $PEER_IF"
pmx_sysctl "$PEER_NS" "net.ipv4.conf.$PEER_IF.arp_accept" 1 || true
PMX_AF_FRAMES=4096

# A send buffer of 1 MiB: the default 64 KiB would cap the flight below
# BDP + queue (about 100 KB), and slow start could never overflow the queue.
pmx_start --listen "0.0.0.0:80=http,cc=$CC,hystart=off" --listen "0.0.0.0:81=http,cc=$CC" \
    --msl-ms 1000 --tcp-buffer-kb 1024
grep -q "hystart=off" <<<"$(ctl show listeners)" || fail "no hystart=off listener"
expect_ping 3 0.2

COUNTERS=(tcp_retrans_segs tcp_fast_retransmits tcp_rto_expirations tcp_hystart_css tcp_hystart_exits)
declare -A TOTAL=()

# fetch PORT LABEL: one download; adds its counter deltas to TOTAL[LABEL.*]
# and sets LAST[counter] to them.
declare -A LAST=()
fetch() {
    local -A before=()
    local c out secs
    for c in "${COUNTERS[@]}"; do before[$c]=$(tcp_counter "$c"); done
    out=$(ip netns exec "$PEER_NS" timeout 120 "$PMX_PYTHON" "$PEER_PY" get "$DUT_IP" "$1" "$BYTES") \
        || fail "$2: download failed: $out"
    secs=$(awk '$1 == "RESULT" { print $5 }' <<<"$out")
    local line="RESULT hystart_$2 secs $secs"
    for c in "${COUNTERS[@]}"; do
        LAST[$c]=$(($(tcp_counter "$c") - before[$c]))
        TOTAL[$2.$c]=$((${TOTAL[$2.$c]:-0} + LAST[$c]))
        line+=" ${c#tcp_} ${LAST[$c]}"
    done
    echo "$line"
}

for ((run = 1; run <= RUNS; run++)); do
    fetch 80 off
    ((LAST[tcp_hystart_css] == 0 && LAST[tcp_hystart_exits] == 0)) || fail "hystart=off: HyStart++ acted"
    fetch 81 on
    [[ -n ${HS_PROBE:-} ]] || ((LAST[tcp_hystart_css] >= 1)) || fail "hystart=on: HyStart++ never entered CSS"
done
for c in tcp_estab_resets tcp_timeouts; do
    v=$(tcp_counter "$c")
    ((v == 0)) || fail "$c = $v"
done
pmx_stop || fail "portmux exited with $PMX_EXIT"
impair_down || fail "pmx-impair did not stop cleanly (status $IMPAIR_EXIT)"
info "pmx-impair: $(cat -- "$IMPAIR_STATS")"
for m in off on; do
    line="RESULT hystart_${m}_total runs $RUNS"
    for c in "${COUNTERS[@]}"; do line+=" ${c#tcp_} ${TOTAL[$m.$c]}"; done
    echo "$line"
done
info "PASS"
