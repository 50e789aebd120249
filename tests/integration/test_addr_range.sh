#!/usr/bin/env bash
# Integration test (issue 14): address ranges of up to 2^20 addresses.
#
# portmux on one port with an IPv6 range of 1,048,576 addresses
# (RANGE6, the port's only global IPv6 addresses: 2^20 is the most a port
# holds) and an IPv4 range of 65,022 (RANGE4), against a Linux peer in a namespace:
#  1. start-up time (spawn to CLI answering) and resident memory (VmRSS)
#     without and with the ranges, printed for docs/performance.md; the
#     ranges must not cost memory per address (< 4 MiB more RSS in all);
#  2. neighbour resolution from the Linux peer (ND for IPv6, ARP for IPv4:
#     a ping, then the peer's neighbour entry holds our MAC) for 20 random
#     addresses of each range, and none for an address just outside each;
#  3. the announcements are not per address (gratuitous ARP and unsolicited
#     NA counters stay small);
#  4. show port info lists the ranges with their sizes.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"
# shellcheck disable=SC2034  # lib.sh's names, read there
DUT_NS="ranged$$"
PEER_NS="rangep$$"
# shellcheck disable=SC2034
DUT_IF="rgd$$a"
PEER_IF="rgp$$b"
# shellcheck disable=SC2034
PMX_FILE_PREFIX="range$$"

# 2001:2::1:0:0 + 2^20 - 1 = 2001:2::1:f:ffff; the low 32 bits vary.
RANGE6="2001:2::1:0:0-2001:2::1:f:ffff/64"
R6_OUT="2001:2::1:10:0"
# 198.19.0.1-198.19.253.254 on 198.19.0.0/16; the peer is 198.19.255.1.
RANGE4="198.19.0.1-198.19.253.254/16"
R4_OUT="198.19.253.255"
PEER_IP4B=198.19.255.1
SAMPLE=20

require_root
pmx_traps
topo6_up
ip -n "$PEER_NS" addr add "$PEER_IP4B/16" dev "$PEER_IF" || fail "second IPv4 address on the peer"

# rss_kb: VmRSS of portmux in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PMX_PID/status"; }

# measure LABEL ARGS...: start portmux with ARGS, print start-up time and
# RSS; leaves it running. Sets START_MS and RSS_KB.
measure() {
    local label=$1 t0 t1
    shift
    t0=$(date +%s%N)
    pmx_start --dad-ms 200 "$@"
    t1=$(date +%s%N)
    START_MS=$(((t1 - t0) / 1000000))
    RSS_KB=$(rss_kb)
    info "FIGURE $label: start-up ${START_MS} ms (spawn to CLI, --dad-ms 200), VmRSS ${RSS_KB} kB"
}

# 1. Without the ranges, then with them.
measure "without ranges" --addr "0=$DUT_IP6/$PREFIX6"
base_ms=$START_MS base_kb=$RSS_KB
pmx_stop || fail "portmux (no ranges) did not exit cleanly"
measure "with 2^20 IPv6 + 65022 IPv4 range addresses" --addr "0=$RANGE6" --addr "0=$RANGE4"
info "FIGURE range cost: start-up +$((START_MS - base_ms)) ms, VmRSS +$((RSS_KB - base_kb)) kB"
((RSS_KB - base_kb < 4096)) || fail "the ranges cost $((RSS_KB - base_kb)) kB of RSS: per-address memory?"

info_out=$(ctl show port info 0) || fail "show port info 0"
grep -qF "IPv6 address: 2001:2::1:0:0-2001:2::1:f:ffff/64 (1048576)" <<<"$info_out" ||
    fail "show port info does not list the IPv6 range: $info_out"
grep -qF "IPv4 address: $RANGE4 (65022)" <<<"$info_out" ||
    fail "show port info does not list the IPv4 range: $info_out"
MAC=$(pmx_mac) || fail "cannot read our MAC"

# neigh_mac FAMILY ADDR: the MAC in the peer's neighbour entry for ADDR, or -.
neigh_mac() {
    ip -n "$PEER_NS" "$1" neigh show "$2" dev "$PEER_IF" 2>/dev/null | awk '
        { for (i = 1; i < NF; i++) if ($i == "lladdr") { print tolower($(i + 1)); exit } }
        END { }' | grep . || echo -
}

# resolves FAMILY ADDR: one ping from the peer answered and the entry is ours.
resolves() {
    local fam=$1 a=$2
    ip netns exec "$PEER_NS" ping "$fam" -n -c 1 -W 1 "$a" >/dev/null 2>&1 || return 1
    [[ $(neigh_mac "$fam" "$a") == "$MAC" ]]
}

# 2. A random sample of each range, and the address just outside.
ok=0
for ((i = 0; i < SAMPLE; i++)); do
    k=$((RANDOM << 5 ^ RANDOM & 0xfffff))
    a6=$(printf '2001:2::1:%x:%x' $((k >> 16)) $((k & 0xffff)))
    resolves -6 "$a6" || fail "ND/ping for range address $a6 not answered with our MAC"
    k=$(((RANDOM << 2 ^ RANDOM) % 65022 + 1))
    a4="198.19.$((k >> 8)).$((k & 255))"
    [[ $((k & 255)) == 255 || $((k & 255)) == 0 ]] && a4="198.19.$((k >> 8)).7"
    resolves -4 "$a4" || fail "ARP/ping for range address $a4 not answered with our MAC"
    ok=$((ok + 2))
done
info "$ok random range addresses resolved to $MAC from the Linux peer"
for a in "-6 $R6_OUT" "-4 $R4_OUT"; do
    # shellcheck disable=SC2086  # family and address
    if resolves $a; then fail "address outside the ranges answered: $a"; fi
    # shellcheck disable=SC2086
    [[ $(neigh_mac $a) == - ]] || fail "the peer resolved $a outside the ranges"
done
info "addresses just outside the ranges ($R6_OUT, $R4_OUT): not answered"

# 3. Announcements: first and last of a large range, not every address.
garp=$(counter arp_tx_gratuitous) || fail "arp_tx_gratuitous"
una=$(counter nd_tx_unsolicited_na) || fail "nd_tx_unsolicited_na"
info "arp_tx_gratuitous $garp, nd_tx_unsolicited_na $una"
((garp <= 6 && una <= 8)) || fail "announcements per address? gratuitous ARP $garp, unsolicited NA $una"
nd=$(counter nd_tx_adverts) || fail "nd_tx_adverts"
arp=$(counter arp_tx_replies) || fail "arp_tx_replies"
((nd >= SAMPLE && arp >= SAMPLE)) || fail "nd_tx_adverts $nd, arp_tx_replies $arp: want >= $SAMPLE each"

pmx_stop || fail "portmux did not exit cleanly (status ${PMX_EXIT:-?})"
info "PASS"
