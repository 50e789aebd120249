#!/usr/bin/env bash
# Integration test: gratuitous ARP, ARP and ICMP echo against a real Linux peer.
#
# Proposed meson registration (tests/meson.build or tests/integration/meson.build):
#   test('integration-ping', find_program('integration/test_ping.sh'),
#        suite: 'integration', is_parallel: false, timeout: 120,
#        depends: [portmux_exe, portmux_ctl_exe],
#        env: {'PORTMUX': portmux_exe.full_path(),
#              'PORTMUX_CTL': portmux_ctl_exe.full_path()})
#
# Checks:
#  1. right after start, before any traffic from the peer, the peer's
#     neighbour table holds 198.18.0.1 -> our MAC (learnt from the gratuitous
#     ARP, arp_accept=1) and arp_tx_gratuitous >= 1;
#  2. ping -c 200 -i 0.01 from the peer: 0% loss, no duplicates;
#  3. the neighbour entry is still our MAC and REACHABLE/STALE/DELAY/PROBE;
#  4. icmp_tx_echo_replies >= 200, port RX-packets and TX-packets >= 200;
#  5. after deleting the peer's neighbour entry, ping -c 5 works again through
#     a broadcast ARP request answered by portmux (arp_rx_requests and
#     arp_tx_replies grow, entry REACHABLE with our MAC);
#  6. portmux-ctl: a known command exits 0, an unknown one non-zero;
#  7. portmux exits cleanly on SIGTERM (status 0 or 143).
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

require_root
pmx_traps
topo_up
# shellcheck disable=SC2119  # no listener or option: the defaults are what is tested
pmx_start

PINGS=200

MAC=$(pmx_mac) || fail "cannot read our MAC"
info "our MAC (show port info 0): $MAC"

# 1. Gratuitous ARP reached the peer before any ping (allow a few seconds for
#    the announcement to be sent after the CLI came up).
neigh=""
for ((i = 0; i < 50; i++)); do
    neigh=$(peer_neigh)
    [[ ${neigh%% *} == "$MAC" ]] && break
    sleep 0.1
done
info "peer neighbour entry for $DUT_IP before ping: ${neigh:-<none>}"
[[ ${neigh%% *} == "$MAC" ]] \
    || fail "peer did not learn $DUT_IP -> $MAC from a gratuitous ARP (entry: '${neigh:-none}')"
garp=$(counter arp_tx_gratuitous) || fail "cannot read arp_tx_gratuitous"
info "arp_tx_gratuitous = $garp (need >= 1)"
((garp >= 1)) || fail "arp_tx_gratuitous = $garp, expected >= 1"

# 2. Ping.
expect_ping "$PINGS" 0.01

# 3. Neighbour entry after the exchange.
neigh=$(peer_neigh)
info "peer neighbour entry for $DUT_IP after ping: ${neigh:-<none>}"
n_mac=${neigh%% *}
n_state=${neigh##* }
[[ $n_mac == "$MAC" ]] || fail "neighbour entry for $DUT_IP has lladdr '$n_mac', expected $MAC"
case $n_state in
    REACHABLE | STALE | DELAY | PROBE) ;;
    *) fail "neighbour entry for $DUT_IP is in state '$n_state'" ;;
esac

# 4. Counters.
rx_echo=$(counter icmp_rx_echo_requests) || fail "cannot read icmp_rx_echo_requests"
tx_reply=$(counter icmp_tx_echo_replies) || fail "cannot read icmp_tx_echo_replies"
arp_rx=$(counter arp_rx_requests) || fail "cannot read arp_rx_requests"
arp_tx=$(counter arp_tx_replies) || fail "cannot read arp_tx_replies"
rx_pkts=$(port_stat RX-packets) || fail "cannot read RX-packets"
tx_pkts=$(port_stat TX-packets) || fail "cannot read TX-packets"
info "icmp_rx_echo_requests=$rx_echo icmp_tx_echo_replies=$tx_reply arp_rx_requests=$arp_rx arp_tx_replies=$arp_tx"
info "port stats: RX-packets=$rx_pkts TX-packets=$tx_pkts (need >= $PINGS each)"
((rx_echo >= PINGS)) || fail "icmp_rx_echo_requests = $rx_echo, expected >= $PINGS"
((tx_reply >= PINGS)) || fail "icmp_tx_echo_replies = $tx_reply, expected >= $PINGS"
((rx_pkts >= PINGS)) || fail "RX-packets = $rx_pkts, expected >= $PINGS"
((tx_pkts >= PINGS)) || fail "TX-packets = $tx_pkts, expected >= $PINGS"

# 5. ARP resolution proper: forget the entry, so the next ping needs a
#    broadcast ARP request that portmux must answer.
arp_rx0=$arp_rx
arp_tx0=$arp_tx
ip -n "$PEER_NS" neigh del "$DUT_IP" dev "$PEER_IF" || fail "cannot delete the neighbour entry"
info "deleted the peer's neighbour entry; entry now: $(peer_neigh)"
expect_ping 5 0.2
arp_rx=$(counter arp_rx_requests) || fail "cannot read arp_rx_requests"
arp_tx=$(counter arp_tx_replies) || fail "cannot read arp_tx_replies"
neigh=$(peer_neigh)
info "after ARP resolution: arp_rx_requests +$((arp_rx - arp_rx0)), arp_tx_replies +$((arp_tx - arp_tx0)), neighbour entry: ${neigh:-<none>}"
((arp_rx > arp_rx0)) || fail "arp_rx_requests did not grow ($arp_rx0 -> $arp_rx)"
((arp_tx > arp_tx0)) || fail "arp_tx_replies did not grow ($arp_tx0 -> $arp_tx)"
[[ $neigh == "$MAC REACHABLE" ]] || fail "neighbour entry after ARP resolution is '${neigh:-none}', expected '$MAC REACHABLE'"

# 6. portmux-ctl exit codes.
if ctl show ip stats >/dev/null; then
    info "portmux-ctl 'show ip stats' exits 0"
else
    fail "portmux-ctl 'show ip stats' exited $?"
fi
rc=0
ctl no-such-command portmux-test >/dev/null 2>&1 || rc=$?
info "portmux-ctl 'no-such-command portmux-test' exits $rc (need != 0)"
((rc != 0)) || fail "portmux-ctl accepted an unknown command (exit 0)"
((rc != 124)) || fail "portmux-ctl timed out on an unknown command"

# 7. Clean shutdown.
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
