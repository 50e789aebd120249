# shellcheck shell=bash
# IPv6 additions to lib.sh for the test_ipv6_*.sh tests (source instead of
# lib.sh). The topology is lib.sh's, dual-stack, under names of their own:
#
#   netns t6d$$ ("dut")                       netns t6p$$ ("peer")
#   +------------------------------+          +----------------------------------+
#   | portmux on net_af_packet0    |          | Linux stack                      |
#   |   iface t6d$$a (no IP, IPv6  |<--veth-->|   iface t6p$$b 198.18.0.2/24     |
#   |   off in the kernel)         |          |   2001:2::2/64 (nodad), fe80::.. |
#   |   198.18.0.1/24, 2001:2::1/64|          |   tx csum off                    |
#   +------------------------------+          +----------------------------------+
#
# The dut interface keeps the kernel's IPv6 off, so that only portmux speaks
# for it (no kernel RS/NS/MLD from that side). Addresses are from 2001:2::/48
# (RFC 5180) and 198.18.0.0/15 only.
#
#   source ipv6_lib.sh; require_root; pmx_traps; topo6_up; pmx_start6 ARGS...

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# Names of their own (t6...), unless the caller (scripts/run.sh) keeps
# lib.sh's with PMX_IPV6_OWN_NAMES=0.
if [[ ${PMX_IPV6_OWN_NAMES:-1} == 1 ]]; then
    DUT_NS="t6d$$"
    PEER_NS="t6p$$"
    DUT_IF="t6d$$a"
    PEER_IF="t6p$$b"
    PMX_FILE_PREFIX="t6$$"
fi
DUT_IP6=2001:2::1
PEER_IP6=2001:2::2
PREFIX6=64

# topo6_up: lib.sh's topology plus IPv6 on the peer's side (no DAD, so that
# its addresses are usable at once).
topo6_up() {
    topo_up
    pmx_sysctl "$PEER_NS" net.ipv6.conf.all.disable_ipv6 0 || fail "IPv6 on in $PEER_NS"
    pmx_sysctl "$PEER_NS" "net.ipv6.conf.$PEER_IF.accept_dad" 0 || fail "accept_dad=0 on $PEER_IF"
    # No router solicitations, MLD reports (to ff02::16) repeated 1 ms apart
    # (all sent here, before portmux starts):
    # the peer's kernel stays quiet, so that ipv6_not_for_us moves for the
    # tests' frames alone.
    pmx_sysctl "$PEER_NS" "net.ipv6.conf.$PEER_IF.router_solicitations" 0 || fail "router_solicitations=0 on $PEER_IF"
    pmx_sysctl "$PEER_NS" "net.ipv6.conf.$PEER_IF.mldv2_unsolicited_report_interval" 1 || fail "mldv2_unsolicited_report_interval on $PEER_IF"
    pmx_sysctl "$PEER_NS" "net.ipv6.conf.$PEER_IF.disable_ipv6" 0 || fail "IPv6 on $PEER_IF"
    ip -n "$PEER_NS" -6 addr add "$PEER_IP6/$PREFIX6" dev "$PEER_IF" nodad || fail "IPv6 addr on $PEER_IF"
    info "peer IPv6: $(ip -n "$PEER_NS" -6 -br addr show dev "$PEER_IF")"
}

# pmx_start6 [extra application args...]: portmux with both addresses.
pmx_start6() {
    pmx_start --addr "0=$DUT_IP6/$PREFIX6" "$@"
}

# link_local_of MAC: the EUI-64 link-local address of MAC (RFC 4291 2.5.1,
# appendix A), as Linux prints it.
link_local_of() {
    local -a b
    IFS=: read -ra b <<<"$1"
    printf 'fe80::%x:%x:%x:%x\n' $(((0x${b[0]} ^ 2) << 8 | 0x${b[1]})) $((0x${b[2]} << 8 | 0xff)) \
        $((0xfe << 8 | 0x${b[3]})) $((0x${b[4]} << 8 | 0x${b[5]}))
}

# peer_neigh6 ADDR: "lladdr state" of ADDR in the peer's IPv6 neighbour
# table, or nothing.
peer_neigh6() {
    ip -n "$PEER_NS" -6 neigh show "$1" dev "$PEER_IF" 2>/dev/null | awk '
        { mac = ""; for (i = 1; i < NF; i++) if ($i == "lladdr") mac = tolower($(i + 1));
          print (mac == "" ? "-" : mac), $NF; exit }'
}

# expect_ping6 TARGET COUNT INTERVAL: ping -6 TARGET from the peer; fail
# unless all COUNT echo requests were answered exactly once.
expect_ping6() {
    local target=$1 count=$2 interval=$3 out summary tx rx loss dup
    info "ping -6 -c $count -i $interval -W 1 $target from $PEER_NS"
    out=$(timeout 120 ip netns exec "$PEER_NS" ping -6 -n -c "$count" -i "$interval" -W 1 "$target" 2>&1) || true
    echo "$out" | tail -n 3
    summary=$(grep -E 'packets transmitted' <<<"$out" || true)
    tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' <<<"$summary")
    rx=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$summary")
    loss=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' <<<"$summary")
    dup=$(sed -nE 's/.*\+([0-9]+) duplicates.*/\1/p' <<<"$summary")
    tx=${tx:--1} rx=${rx:--1} loss=${loss:-100} dup=${dup:-0}
    info "ping -6 $target: transmitted $tx, received $rx, loss $loss%, duplicates $dup"
    [[ $tx == "$count" ]] || fail "ping -6 $target transmitted $tx, expected $count"
    [[ $loss == 0 && $rx == "$count" ]] || fail "ping -6 $target: $loss% packet loss ($rx/$tx received), expected 0%"
    [[ $dup == 0 ]] || fail "ping -6 $target: $dup duplicate replies"
}
