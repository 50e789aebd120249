#!/usr/bin/env bash
# Integration test (issue 11): path MTU discovery (RFC 1191) through Linux
# routers with a 1280-byte hop between them, and no MSS clamping anywhere.
#
#   dut (portmux)          r1                        r2                  peer
#   198.18.0.1/24 --- 198.18.0.2 | 198.18.2.1 ==1280== 198.18.2.2 | 198.18.3.1 --- 198.18.3.2
#   MTU 1500                                (MTU 1280)                          MTU 1500
#
# Both endpoints offer MSS 1460, so portmux sends 1500-byte packets with DF
# set; r1 cannot forward them onto the 1280 link and answers "fragmentation
# needed, next-hop MTU 1280". Before PMTUD portmux counted those as
# icmp_unhandled_type and every such connection timed out.
#
# Checks:
#  1. curl on the peer downloads a 100,000-byte body from portmux's http
#     listener through the routers, byte for byte, within 20 s;
#  2. portmux's generator sends 16 KiB echo requests to a Linux echo server
#     on the peer (4 connections x 5 requests), every byte checked, no error;
#  3. tcp_pmtu_lowered > 0 and icmp_rx_frag_needed > 0;
#  4. a forged fragmentation needed (scapy, from the peer) quoting a live
#     connection with a sequence number not in flight changes nothing but
#     tcp_pmtu_not_in_flight;
#  5. portmux exits cleanly.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/gen_servers_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/gen_servers_lib.sh"

R1_NS="pmxr$$a"
R2_NS="pmxr$$b"
PEER_IP=198.18.3.2
NGINX_PORT=8080
ECHO_PORT=7007
HOLD_PID=""

pmtu_cleanup() {
    local st=$?
    gen_servers_stop >/dev/null 2>&1 || true
    [[ -z $HOLD_PID ]] || kill "$HOLD_PID" 2>/dev/null || true
    pmx_netns_del "$R1_NS" "$R2_NS"
    return "$st"
}

require_root
trap 'pmtu_cleanup; pmx_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# link NS_A IF_A NS_B IF_B MTU
link() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || fail "veth $2-$4"
    local ns ifc
    for ns_if in "$1:$2" "$3:$4"; do
        ns=${ns_if%%:*} ifc=${ns_if#*:}
        ip -n "$ns" link set "$ifc" mtu "$5" up || fail "up $ifc"
        ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.$ifc.disable_ipv6=1" || true
        ip netns exec "$ns" ethtool -K "$ifc" tx off >/dev/null 2>&1 || true
    done
}
for ns in "$DUT_NS" "$R1_NS" "$R2_NS" "$PEER_NS"; do
    ip netns add "$ns" || fail "ip netns add $ns"
    ip -n "$ns" link set lo up
done
link "$DUT_NS" "$DUT_IF" "$R1_NS" r1a 1500
link "$R1_NS" r1b "$R2_NS" r2a 1280
link "$R2_NS" r2b "$PEER_NS" "$PEER_IF" 1500
ip -n "$R1_NS" addr add 198.18.0.2/24 dev r1a
ip -n "$R1_NS" addr add 198.18.2.1/24 dev r1b
ip -n "$R1_NS" route add 198.18.3.0/24 via 198.18.2.2
ip -n "$R2_NS" addr add 198.18.2.2/24 dev r2a
ip -n "$R2_NS" addr add 198.18.3.1/24 dev r2b
ip -n "$R2_NS" route add 198.18.0.0/24 via 198.18.2.1
for ns in "$R1_NS" "$R2_NS"; do
    ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=1 || fail "ip_forward in $ns"
done
ip -n "$PEER_NS" addr add "$PEER_IP/24" dev "$PEER_IF"
ip -n "$PEER_NS" route add default via 198.18.3.1
info "topology: dut - r1 - (MTU 1280) - r2 - peer, no MSS clamping"

pmx_start --listen 0.0.0.0:80=http --listen 0.0.0.0:7=echo --gateway 0=198.18.0.2
peer() { ip netns exec "$PEER_NS" "$@"; }

# 1. A download whose segments do not fit the 1280 hop.
_gen_body 100000 "$PMX_TMP/want.bin"
peer curl -sS -m 20 -o "$PMX_TMP/got.bin" "http://$DUT_IP/bytes/100000" ||
    fail "curl through the 1280 hop failed (black hole?)"
cmp -s "$PMX_TMP/want.bin" "$PMX_TMP/got.bin" || fail "downloaded body differs"
lowered=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
info "download: 100000 bytes OK, tcp_pmtu_lowered $lowered"
((lowered > 0)) || fail "the download did not lower any MSS"

# 2. The generator's big echo requests towards a Linux server.
gen_servers_start 64
ctl gen start "$PEER_IP" "$ECHO_PORT" mode echo conns 4 reqs 5 req-size 16384 >/dev/null ||
    fail "gen start refused"
gen_wait_done 60 || fail "the generator's echo run did not finish"
errs=$(gen_errors_total) || fail "no generator error counters"
done_=$(counter gen_completed) || fail "no gen_completed"
((errs == 0 && done_ == 4)) || fail "generator: completed $done_ of 4, errors $errs"
after=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
frag=$(counter icmp_rx_frag_needed) || fail "no icmp_rx_frag_needed"
info "generator echo: 4 x 5 x 16384 bytes OK; tcp_pmtu_lowered $after, icmp_rx_frag_needed $frag"
((after > lowered)) || fail "the generator's connections did not lower their MSS"

# 4. A forged message quoting a live connection, sequence number not in flight.
PEER_PY=$PMX_LIB_DIR/peers/pmtu_peer.py
peer "$PMX_PYTHON" "$PEER_PY" hold "$DUT_IP" --port 7 --sport 45678 --seconds 30 &
HOLD_PID=$!
sleep 1
before_nif=$(counter tcp_pmtu_not_in_flight) || fail "no tcp_pmtu_not_in_flight"
before_low=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
peer "$PMX_PYTHON" "$PEER_PY" forge "$DUT_IP" "$PEER_IP" --sport 7 --dport 45678 --seq 0x12345678 \
    --mtu 600 || fail "scapy could not send the forged ICMP"
sleep 0.5
nif=$(counter tcp_pmtu_not_in_flight) || fail "no tcp_pmtu_not_in_flight"
low=$(counter tcp_pmtu_lowered) || fail "no tcp_pmtu_lowered"
info "forged ICMP: tcp_pmtu_not_in_flight $before_nif -> $nif, tcp_pmtu_lowered $before_low -> $low"
((nif == before_nif + 1 && low == before_low)) || fail "the forged ICMP was not refused as not in flight"
kill "$HOLD_PID" 2>/dev/null || true
HOLD_PID=""

pmx_stop || fail "portmux exited with status $PMX_EXIT"
info "PASS"
