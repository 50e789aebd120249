#!/usr/bin/env bash
# Integration test: congestion control through a lossy, long link. portmux
# (net_af_packet, side A) sends CC_MIB MiB (default 64; 16 in meson test) of its http pattern
# to a Linux client (side B) through pmx-impair at 1 % loss and 10 ms delay
# in each direction (RTT about 20 ms), once from a cc=newreno listener and
# once from a cc=cubic one; then, on the same link with portmux stopped, a
# Linux sender (CUBIC, set on its socket: the machine's default may be
# another) sends the same bytes. Checks:
#  1. each body arrives whole with the pattern's SHA-256;
#  2. portmux retransmitted (the link really lost frames) and no connection
#     was reset or timed out.
# Prints the three throughputs (RESULT lines): docs/performance.md records
# them. No throughput is asserted: one 64 MiB run per algorithm at random
# 1 % loss is too noisy a figure to fail on.
set -euo pipefail

# shellcheck source=tests/integration/impair_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/impair_lib.sh"

SEED=${IMPAIR_SEED:-1}
# CC_MIB sets the size; meson test runs 16 MiB (CC_MIB_DEFAULT, CI's time),
# the figures in docs/performance.md are from CC_MIB=64.
MIB=${CC_MIB:-${CC_MIB_DEFAULT:-64}}
BYTES=$((MIB << 20))
PEER_PY="$PMX_LIB_DIR/peers/pattern_http.py"
LINUX_PID=""

require_root
impair_traps
stop_linux() { [[ -n $LINUX_PID ]] && pmx_stop_pid "$LINUX_PID" 5 linux-sender; LINUX_PID=""; }
IMPAIR_ON_EXIT+=(stop_linux)

_tmpdir
pmx_netns_add "$DUT_NS" "$PEER_NS" || fail "ip netns add $DUT_NS $PEER_NS"
ip -n "$PEER_NS" link set lo up
impair_up "$DUT_NS" "$DUT_IF" "$PEER_NS" "$PEER_IF" "--seed $SEED --loss 0.01 --delay-ms 10"
ip -n "$PEER_NS" addr add "$PEER_IP/$PREFIX_LEN" dev "$PEER_IF" || fail "addr on $PEER_IF"
pmx_sysctl "$PEER_NS" "net.ipv4.conf.$PEER_IF.arp_accept" 1 || true
PMX_AF_FRAMES=4096

# fetch PORT LABEL: one download from the peer; prints its RESULT line.
fetch() {
    local out
    out=$(ip netns exec "$PEER_NS" timeout 600 "$PMX_PYTHON" "$PEER_PY" get "$DUT_IP" "$1" "$BYTES") \
        || fail "$2: download failed: $out"
    local mbps
    mbps=$(awk '$1 == "RESULT" { print $7 }' <<<"$out")
    info "$2: $out"
    echo "RESULT cc_${2}_mbps $mbps"
}

pmx_start --listen "0.0.0.0:80=http,cc=newreno" --listen "0.0.0.0:81=http,cc=cubic" --msl-ms 1000
grep -q "cc=cubic" <<<"$(ctl show listeners)" || fail "no cc=cubic listener"
expect_ping 3 0.2
# recovery_counters: how the losses were repaired so far (for the log).
recovery_counters() {
    local c out=""
    for c in tcp_retrans_segs tcp_fast_retransmits tcp_sack_retransmits tcp_rto_expirations \
        tcp_tail_loss_probes tcp_lost_retransmits tcp_spurious_recoveries; do
        out+=" $c=$(tcp_counter "$c")"
    done
    info "so far:$out"
}
rtx0=$(tcp_counter tcp_retrans_segs)
fetch 80 newreno
recovery_counters
rtx1=$(tcp_counter tcp_retrans_segs)
fetch 81 cubic
recovery_counters
rtx2=$(tcp_counter tcp_retrans_segs)
info "retransmitted segments: newreno $((rtx1 - rtx0)), cubic $((rtx2 - rtx1))"
((rtx1 > rtx0 && rtx2 > rtx1)) || fail "no retransmissions: the link did not lose frames"
for c in tcp_estab_resets tcp_timeouts; do
    v=$(tcp_counter "$c")
    ((v == 0)) || fail "$c = $v"
done
pmx_stop || fail "portmux exited with $PMX_EXIT"

# The same link, a Linux sender: the DUT side's kernel takes the address.
ip -n "$DUT_NS" addr add "$DUT_IP/$PREFIX_LEN" dev "$DUT_IF" || fail "addr on $DUT_IF"
ip -n "$DUT_NS" link set lo up
ip -n "$PEER_NS" neigh flush dev "$PEER_IF"
ip netns exec "$DUT_NS" "$PMX_PYTHON" "$PEER_PY" serve "$DUT_IP" 80 >"$PMX_TMP/linux.log" 2>&1 &
LINUX_PID=$!
for _ in $(seq 50); do grep -q listening "$PMX_TMP/linux.log" 2>/dev/null && break; sleep 0.1; done
grep -q "congestion control cubic" "$PMX_TMP/linux.log" || fail "Linux sender: $(cat "$PMX_TMP/linux.log")"
fetch 80 linux_cubic
stop_linux
info "PASS"
