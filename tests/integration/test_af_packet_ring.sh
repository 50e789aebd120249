#!/usr/bin/env bash
# Integration test: frames the kernel drops because net_af_packet's ring is
# full are counted (issue 11, "Frames lost where no counter sees them").
# portmux runs with a 16-frame ring (framecnt=16) and its one worker on
# CPU 1; a raw-socket sender in the peer namespace, pinned to the same CPU,
# sends a bounded burst of 50,000 frames, so the worker cannot drain the
# ring while the sender runs. Checks:
#  1. 'show port stats' shows RX-kernel-drops > 0 (and RX-kernel-frames at
#     least as many), while RX-missed, the PMD's own count, stays 0;
#  2. 'show port xstats' has rx_kernel_drops, and /metrics has
#     portmux_port_rx_kernel_drops_total, both at least the CLI's figure
#     (PACKET_STATISTICS resets on read: portmux accumulates);
#  3. a second look never goes down.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

PMX_AF_FRAMES=16
FRAMES=50000
METRICS_PORT=9464
require_root
command -v curl >/dev/null || fail "curl not found"
pmx_traps
topo_up
ip -n "$DUT_NS" link set lo up || fail "lo up in $DUT_NS"
pmx_start --metrics "127.0.0.1:$METRICS_PORT"
grep -q "framecnt=16" "$PMX_LOG" || grep -q -- "framecnt=16" <<<"$(ps -o args= -p "$PMX_PID")" \
    || fail "portmux does not run with framecnt=16"

kdrops() { port_stat RX-kernel-drops; }
before=$(kdrops) || fail "no RX-kernel-drops in 'show port stats':"$'\n'"$(ctl show port stats 0)"
mac=$(pmx_mac) || fail "no MAC"
info "RX-kernel-drops before: $before; $FRAMES frames from a sender on the worker's CPU"

ip netns exec "$PEER_NS" timeout 60 taskset -c 1 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/udp_burst.py" \
    "$PEER_IF" "$mac" --src "$PEER_IP" --dst "$DUT_IP" --count "$FRAMES" --port 9 \
    || fail "the sender failed"

sleep 0.5
after=$(kdrops) || fail "no RX-kernel-drops"
stats=$(ctl show port stats 0)
info "$(grep -E 'RX-(packets|kernel)' <<<"$stats" | tr -s ' ')"
kframes=$(port_stat RX-kernel-frames) || fail "no RX-kernel-frames"
missed=$(port_stat RX-missed) || fail "no RX-missed"
((after > before)) || fail "RX-kernel-drops did not rise ($before -> $after) with a 16-frame ring"
((kframes >= after)) || fail "RX-kernel-frames $kframes < RX-kernel-drops $after"
((missed == 0)) || info "note: RX-missed $missed (the PMD counts some after all)"

xs=$(ctl show port xstats 0) || fail "show port xstats failed"
xdrops=$(awk -F': ' '$1 == "rx_kernel_drops" { print $2 }' <<<"$xs")
[[ -n $xdrops ]] || fail "no rx_kernel_drops in 'show port xstats 0':"$'\n'"$xs"
((xdrops >= after)) || fail "xstats rx_kernel_drops $xdrops < CLI's $after"

body=$(ip netns exec "$DUT_NS" timeout 10 curl -sS --noproxy '*' "http://127.0.0.1:$METRICS_PORT/metrics") \
    || fail "GET /metrics failed"
mdrops=$(awk '$1 == "portmux_port_rx_kernel_drops_total{port=\"0\"}" { print $2 }' <<<"$body")
[[ -n $mdrops ]] || fail "no portmux_port_rx_kernel_drops_total{port=\"0\"} in /metrics"
((mdrops >= xdrops)) || fail "metrics $mdrops < xstats $xdrops: the sum went down"
again=$(kdrops) || fail "no RX-kernel-drops"
((again >= mdrops)) || fail "RX-kernel-drops went down: $mdrops -> $again"

pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
grep -E "final: RX-kernel-drops" "$PMX_LOG" || fail "no final RX-kernel-drops line"
info "PASS: $after frames dropped by the kernel counted (CLI $after, xstats $xdrops, metrics $mdrops)"
