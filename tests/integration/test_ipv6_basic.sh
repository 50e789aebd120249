#!/usr/bin/env bash
# Integration test: IPv6 neighbour discovery and ICMPv6 echo against a real
# Linux peer (tests/integration/ipv6_lib.sh's dual-stack topology).
#
# portmux runs with --addr 0=198.18.0.1/24 --addr 0=2001:2::1/64.
#
# Checks:
#  1. ping -6 -c 200 -i 0.01 2001:2::1 from the peer: 0 % loss, no
#     duplicates (the peer resolves us with a neighbour solicitation to our
#     solicited-node group, RFC 4861 7.2.2);
#  2. the peer's IPv6 neighbour table holds 2001:2::1 -> our MAC, in a
#     usable state; nd_rx_solicits and nd_tx_adverts >= 1,
#     icmp6_rx_echo_requests >= 200;
#  3. after deleting that entry, ping -6 -c 5 works again (resolution once
#     more, nd_rx_solicits grows);
#  4. ping -6 to our link-local address (fe80:: from our MAC, EUI-64,
#     RFC 4291 2.5.1) with %dev: 0 % loss, and the peer learns it -> our MAC;
#  5. IPv4 still works on the same port: ping -c 20 198.18.0.1;
#  6. 'show neigh' lists the peer's IPv6 address with the peer's MAC, and
#     'show arp' still answers (IPv4);
#  7. portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"

PINGS=200

require_root
pmx_traps
topo6_up
# shellcheck disable=SC2119  # no listener: ND and ICMPv6 alone
pmx_start6

MAC=$(pmx_mac) || fail "cannot read our MAC"
LL=$(link_local_of "$MAC")
PEER_MAC=$(ip netns exec "$PEER_NS" cat "/sys/class/net/$PEER_IF/address")
info "our MAC $MAC, link-local $LL; peer MAC $PEER_MAC"

# 1. Ping the global address.
expect_ping6 "$DUT_IP6" "$PINGS" 0.01

# 2. The peer learnt our MAC.
neigh=$(peer_neigh6 "$DUT_IP6")
info "peer's neighbour entry for $DUT_IP6: ${neigh:-<none>}"
[[ ${neigh%% *} == "$MAC" ]] || fail "peer's neighbour entry for $DUT_IP6 is '${neigh:-none}', expected lladdr $MAC"
case ${neigh##* } in
    REACHABLE | STALE | DELAY | PROBE) ;;
    *) fail "peer's neighbour entry for $DUT_IP6 is in state '${neigh##* }'" ;;
esac
ns_rx=$(counter nd_rx_solicits) || fail "cannot read nd_rx_solicits"
na_tx=$(counter nd_tx_adverts) || fail "cannot read nd_tx_adverts"
echo_rx=$(counter icmp6_rx_echo_requests) || fail "cannot read icmp6_rx_echo_requests"
info "nd_rx_solicits=$ns_rx nd_tx_adverts=$na_tx icmp6_rx_echo_requests=$echo_rx"
((ns_rx >= 1)) || fail "nd_rx_solicits = $ns_rx, expected >= 1"
((na_tx >= 1)) || fail "nd_tx_adverts = $na_tx, expected >= 1"
((echo_rx >= PINGS)) || fail "icmp6_rx_echo_requests = $echo_rx, expected >= $PINGS"

# 3. Resolution again after the peer forgets us.
ip -n "$PEER_NS" -6 neigh del "$DUT_IP6" dev "$PEER_IF" || fail "cannot delete the peer's neighbour entry"
expect_ping6 "$DUT_IP6" 5 0.2
ns_rx2=$(counter nd_rx_solicits) || fail "cannot read nd_rx_solicits"
neigh=$(peer_neigh6 "$DUT_IP6")
info "after a new resolution: nd_rx_solicits $ns_rx -> $ns_rx2, entry ${neigh:-<none>}"
((ns_rx2 > ns_rx)) || fail "nd_rx_solicits did not grow after the peer forgot us ($ns_rx -> $ns_rx2)"
[[ ${neigh%% *} == "$MAC" ]] || fail "peer's entry after resolution is '${neigh:-none}', expected lladdr $MAC"

# 4. Our link-local address.
expect_ping6 "$LL%$PEER_IF" 20 0.02
neigh=$(peer_neigh6 "$LL")
info "peer's neighbour entry for $LL: ${neigh:-<none>}"
[[ ${neigh%% *} == "$MAC" ]] || fail "peer's neighbour entry for $LL is '${neigh:-none}', expected lladdr $MAC"

# 5. IPv4 on the same port.
expect_ping 20 0.01

# 6. show neigh / show arp.
neighs=$(ctl show neigh) || fail "'show neigh' failed"
echo "$neighs"
grep -qiE "(^|[[:space:]])$PEER_IP6([[:space:]]|$).*$PEER_MAC|$PEER_MAC.*(^|[[:space:]])$PEER_IP6([[:space:]]|$)" <<<"$neighs" \
    || fail "'show neigh' has no row for $PEER_IP6 with $PEER_MAC"
arp=$(ctl show arp) || fail "'show arp' failed"
echo "$arp"
grep -qi "$PEER_MAC" <<<"$arp" || fail "'show arp' has no row with the peer's MAC $PEER_MAC"
if grep -q "$PEER_IP6" <<<"$arp"; then fail "'show arp' lists the IPv6 neighbour $PEER_IP6 (it is IPv4 only)"; fi

# 7. Clean shutdown.
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
