#!/usr/bin/env bash
# Integration test (issue 13): path MTU discovery over IPv6 (RFC 8201)
# through Linux routers with a 1280-byte hop (IPv6's minimum link MTU), no
# MSS clamping anywhere; the IPv6 twin of test_pmtu.sh.
#
#   dut (portmux)         r1                          r2                    peer
#   2001:2::1/64 --- 2001:2::2 | 2001:2:2::1 ==1280== 2001:2:2::2 | 2001:2:3::1 --- 2001:2:3::2
#   MTU 1500                                 (MTU 1280)                            MTU 1500
#
# Both ends offer MSS 1440 (1500 - 60), so portmux sends 1500-byte packets;
# r1 cannot forward them onto the 1280 link and answers with an ICMPv6
# packet too big, MTU 1280 (IPv6 routers never fragment, RFC 8200 5).
#
# Checks:
#  1. curl -6 on the peer downloads a 100,000-byte body from portmux's http
#     listener through the routers, byte for byte, within 20 s;
#  2. portmux's generator sends 16 KiB echo requests to a Linux echo server
#     on the peer over IPv6 (4 connections x 5 requests), every byte
#     checked, no error;
#  3. icmp6_rx_packet_too_big > 0 and tcp_pmtu_lowered > 0;
#  4. forged packet too big messages (scapy, from the peer) change nothing
#     but their own counter: one quoting a live connection with a sequence
#     number not in flight (tcp_pmtu_not_in_flight, RFC 5927 4.1), one
#     quoting a connection that does not exist (tcp_pmtu_no_conn), one
#     quoting a source that is not ours (icmp6_ptb_not_ours); none of them
#     lowers any connection's MSS (tcp_pmtu_lowered unchanged: it counts
#     every connection an ICMP message shrinks);
#  5. portmux exits cleanly.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"
# shellcheck source=tests/integration/gen_servers_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/gen_servers_lib.sh"

R1_NS="t6r$$a"
R2_NS="t6r$$b"
DUT6=2001:2::1
PEER6=2001:2:3::2
NGINX_PORT=8080
ECHO_PORT=7007
HOLD_PID=""

pmtu6_cleanup() {
    local st=$?
    gen_servers_stop >/dev/null 2>&1 || true
    [[ -z $HOLD_PID ]] || kill "$HOLD_PID" 2>/dev/null || true
    pmx_netns_del "$R1_NS" "$R2_NS"
    return "$st"
}

require_root
trap 'pmtu6_cleanup; pmx_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# link NS_A IF_A NS_B IF_B MTU: a veth pair, IPv6 on (DAD off: the
# addresses are usable at once), checksums finished by the kernel.
link() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || fail "veth $2-$4"
    local ns ifc
    for ns_if in "$1:$2" "$3:$4"; do
        ns=${ns_if%%:*} ifc=${ns_if#*:}
        ip -n "$ns" link set "$ifc" mtu "$5" up || fail "up $ifc"
        ip netns exec "$ns" ethtool -K "$ifc" tx off >/dev/null 2>&1 || true
    done
}
for ns in "$DUT_NS" "$R1_NS" "$R2_NS" "$PEER_NS"; do
    ip netns add "$ns" || fail "ip netns add $ns"
    ip -n "$ns" link set lo up
    pmx_sysctl "$ns" net.ipv6.conf.all.disable_ipv6 0 || fail "IPv6 on in $ns"
    pmx_sysctl "$ns" net.ipv6.conf.default.accept_dad 0 || fail "accept_dad=0 in $ns"
    pmx_sysctl "$ns" net.ipv6.conf.default.router_solicitations 0 || true
done
# portmux speaks for the dut end: the kernel's IPv6 stays off there.
pmx_sysctl "$DUT_NS" net.ipv6.conf.default.disable_ipv6 1 || fail "IPv6 off in $DUT_NS"
link "$DUT_NS" "$DUT_IF" "$R1_NS" r1a 1500
link "$R1_NS" r1b "$R2_NS" r2a 1280
link "$R2_NS" r2b "$PEER_NS" "$PEER_IF" 1500
ip -n "$R1_NS" -6 addr add 2001:2::2/64 dev r1a nodad
ip -n "$R1_NS" -6 addr add 2001:2:2::1/64 dev r1b nodad
ip -n "$R1_NS" -6 route add 2001:2:3::/64 via 2001:2:2::2
ip -n "$R2_NS" -6 addr add 2001:2:2::2/64 dev r2a nodad
ip -n "$R2_NS" -6 addr add 2001:2:3::1/64 dev r2b nodad
ip -n "$R2_NS" -6 route add 2001:2::/64 via 2001:2:2::1
for ns in "$R1_NS" "$R2_NS"; do
    pmx_sysctl "$ns" net.ipv6.conf.all.forwarding 1 || fail "IPv6 forwarding in $ns"
done
ip -n "$PEER_NS" -6 addr add "$PEER6/64" dev "$PEER_IF" nodad
ip -n "$PEER_NS" -6 route add default via 2001:2:3::1
info "topology: dut - r1 - (MTU 1280) - r2 - peer over IPv6, no MSS clamping"

pmx_start --addr "0=$DUT6/64" --gateway 0=2001:2::2 --listen '[::]:80=http' --listen '[::]:7=echo'
peer() { ip netns exec "$PEER_NS" "$@"; }

# 1. A download whose segments do not fit the 1280 hop.
_gen_body 100000 "$PMX_TMP/want.bin"
peer curl -6 -sS -m 20 -o "$PMX_TMP/got.bin" "http://[$DUT6]/bytes/100000" ||
    fail "curl -6 through the 1280 hop failed (black hole?)"
cmp -s "$PMX_TMP/want.bin" "$PMX_TMP/got.bin" || fail "downloaded body differs"
lowered=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
ptb=$(counter icmp6_rx_packet_too_big) || fail "no icmp6_rx_packet_too_big"
info "download: 100000 bytes OK, icmp6_rx_packet_too_big $ptb, tcp_pmtu_lowered $lowered"
((ptb > 0 && lowered > 0)) || fail "the download did not lower any MSS"

# 2. The generator's big echo requests towards a Linux server over IPv6.
GEN_SERVERS_IP=$PEER6 gen_servers_start 64
ctl gen start "$PEER6" "$ECHO_PORT" mode echo conns 4 reqs 5 req-size 16384 >/dev/null ||
    fail "gen start refused"
gen_wait_done 60 || fail "the generator's echo run did not finish"
errs=$(gen_errors_total) || fail "no generator error counters"
done_=$(counter gen_completed) || fail "no gen_completed"
((errs == 0 && done_ == 4)) || fail "generator: completed $done_ of 4, errors $errs"
after=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
info "generator echo over IPv6: 4 x 5 x 16384 bytes OK; tcp_pmtu_lowered $after"
((after > lowered)) || fail "the generator's connections did not lower their MSS"

# 4. Forged messages. A live connection from the peer's port 45678 to
# portmux's echo port, held while they arrive; then its MSS is checked.
PEER_PY=$PMX_LIB_DIR/peers/pmtu_peer.py
forge() {  # SRC_OF_QUOTE SPORT DPORT SEQ
    peer "$PMX_PYTHON" "$PEER_PY" forge "$DUT6" "$PEER6" --sport "$2" --dport "$3" --seq "$4" \
        --mtu 1280 || fail "scapy could not send the forged ICMPv6"
}
expect_only() {  # COUNTER: it moved by one, tcp_pmtu_lowered did not
    local now low
    sleep 0.5
    now=$(counter "$1") || fail "no $1"
    low=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
    info "forged packet too big: $1 ${before[$1]} -> $now, tcp_pmtu_lowered $base_low -> $low"
    ((now == before[$1] + 1 && low == base_low)) || fail "the forged message was not refused as $1"
}
peer "$PMX_PYTHON" "$PEER_PY" hold "$DUT6" --port 7 --sport 45678 --seconds 30 &
HOLD_PID=$!
sleep 1
declare -A before
for c in tcp_pmtu_not_in_flight tcp_pmtu_no_conn icmp6_ptb_not_ours; do
    before[$c]=$(counter "$c") || fail "no $c"
done
base_low=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
forge "$DUT6" 7 45678 0x12345678
expect_only tcp_pmtu_not_in_flight
forge "$DUT6" 7 45679 0x12345678
expect_only tcp_pmtu_no_conn
# A quote whose source is not ours: the scapy helper quotes DUT_IP as the
# source, so this one names another address of the subnet as the target.
peer "$PMX_PYTHON" - "$PEER6" "$DUT6" <<'PY' || fail "scapy could not send the off-path ICMPv6"
import sys
from scapy.all import IPv6, TCP, ICMPv6PacketTooBig, conf, raw, send
conf.verb = 0
peer, dut = sys.argv[1], sys.argv[2]
quoted = raw(IPv6(src="2001:2::99", dst=peer, plen=1440) / TCP(sport=7, dport=45678, flags="A"))[:48]
send(IPv6(src=peer, dst=dut) / ICMPv6PacketTooBig(mtu=1280) / quoted)
PY
expect_only icmp6_ptb_not_ours
kill "$HOLD_PID" 2>/dev/null || true
wait "$HOLD_PID" 2>/dev/null || true
HOLD_PID=""

pmx_stop || fail "portmux exited with status $PMX_EXIT"
info "PASS"
