#!/usr/bin/env bash
# Integration test: client and server roles on two ports of one portmux,
# through a Linux router (ip_forward) in a namespace between them
# (dut_lib.sh; docs/dut-testing.md). 4,096 client addresses in a range on
# port 0 (198.18.80.0-198.18.95.255, routed by the router to portmux), 16
# server addresses on port 1; the generator's sources rotate over the range.
#
#  1. Short connections (DUT_SHORT, default 50,000, one GET of 64 bytes
#     each, DUT_RATE per second, default 5,000): 0 errors of any kind, every body checked
#     by the generator (status 200, exactly resp-size bytes); the server
#     side's count agrees: passive opens == the listener's accepted ==
#     http requests answered == the generator's completed.
#  2. Keep-alive (DUT_KA_CONNS x DUT_KA_REQS, default 100 x 1,000): 0 errors,
#     responses == conns x reqs == the server's http requests answered.
#  3. Bytes: every payload byte one side sent the other received
#     (tcp_tx_bytes == tcp_rx_bytes == gen_tx_bytes + gen_rx_bytes).
#  4. Sources: the router forwarded packets from every one of the 4,096
#     client addresses (an nftables set of the source addresses it saw).
#  5. Side by side: 'show gen stats' names the run's port and destination
#     ("port 0, to 198.18.20.1:80", the JSON's port 0), and that port's
#     column of 'show tcp stats' Per port has the generator's active opens;
#     port 1's passive opens are as many.
# These are the issue's sizes; the test takes about 12 s here.
# DUT_VLAN=1 (test_dut_vlan.sh): the same with portmux's addresses on VLAN
# 100 of port 0 and VLAN 200 of port 1, nothing untagged; the router's
# links are untagged access links of those VLANs (dut_lib.sh's
# dut_vlan_links: this kernel has no 802.1Q devices, the tags are the
# pmx-impair switch's). Also: show interfaces has frames on 0.100 and
# 1.200 and drops untagged frames on 0 and 1; the Per port/interface
# columns are port0.100 and port1.200; each bridge forwarded frames and
# filtered none (every frame on a trunk carried its VLAN).
set -euo pipefail

# shellcheck source=tests/integration/dut_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/dut_lib.sh"

SHORT=${DUT_SHORT:-50000}
RATE=${DUT_RATE:-5000}
KA_CONNS=${DUT_KA_CONNS:-100}
KA_REQS=${DUT_KA_REQS:-1000}
SRC=$CLIENT_RANGE

require_root
pmx_traps
dut_topo_up
dut_count_sources
dut_start

run() { # CONNS REQS RATE WAIT: one run to 198.18.20.1:80, 0 errors
    ctl gen start "$SERVER_NET.1" 80 mode http conns "$1" reqs "$2" rate "$3" resp-size 64 src "$SRC" \
        || fail "gen start refused"
    gen_wait_done "$4" || fail "run of $1 x $2 did not finish in $4 s"
    expect_eq "generator errors" "$(gen_field errors.total)" 0
    expect_eq "completed" "$(gen_field connections.completed)" "$1"
    expect_eq "responses" "$(gen_field requests.answered)" $(($1 * $2))
}

t0=$SECONDS
run "$SHORT" 1 "$RATE" $((SHORT / RATE + 30))
info "short: $SHORT connections in $((SECONDS - t0)) s, 0 errors"
expect_eq "server passive opens" "$(tcp_counter tcp_passive_opens)" "$SHORT"
expect_eq "listener 0.0.0.0:80 accepted" "$(listener_accepted 0.0.0.0:80)" "$SHORT"
expect_eq "server http requests" "$(counter http_requests)" "$SHORT"

t0=$SECONDS
run "$KA_CONNS" "$KA_REQS" 0 60
info "keep-alive: $KA_CONNS x $KA_REQS in $((SECONDS - t0)) s, 0 errors"
expect_eq "server passive opens" "$(tcp_counter tcp_passive_opens)" $((SHORT + KA_CONNS))
expect_eq "server http requests" "$(counter http_requests)" $((SHORT + KA_CONNS * KA_REQS))
expect_eq "active opens" "$(tcp_counter tcp_active_opens)" $((SHORT + KA_CONNS))

gen_tx=$(counter gen_tx_bytes) gen_rx=$(counter gen_rx_bytes)
expect_eq "tcp_tx_bytes (both roles)" "$(tcp_counter tcp_tx_bytes)" $((gen_tx + gen_rx))
expect_eq "tcp_rx_bytes (both roles)" "$(tcp_counter tcp_rx_bytes)" $((gen_tx + gen_rx))
info "bytes: client sent $gen_tx, read $gen_rx; the servers read and sent the same"
ctl show tcp stats | sed -n '/^Per port/,/^$/p'
expect_eq "show gen stats, line 2" "$(ctl show gen stats | sed -n 2p)" "  port $DUT_IFC0, to $SERVER_NET.1:80"
gport=$(gen_field port)
expect_eq "the generator's port (show gen json)" "$gport" 0
expect_eq "port $gport ActiveOpens" "$(per_port ActiveOpens "$gport")" $((SHORT + KA_CONNS))
expect_eq "port 1 PassiveOpens" "$(per_port PassiveOpens 1)" $((SHORT + KA_CONNS))
expect_eq "client addresses the router saw" "$(dut_sources_seen 4)" "$CLIENT_COUNT"
info "the router forwarded from all $CLIENT_COUNT client addresses"

if [[ ${DUT_VLAN:-0} == 1 ]]; then
    ifs=$(ctl show interfaces) || fail "show interfaces"
    printf '%s\n' "$ifs"
    for p in 0 1; do
        grep -qE "^$p .*untagged frames dropped" <<<"$ifs" || fail "show interfaces: $p takes untagged frames"
    done
    for i in "$DUT_IFC0" "$DUT_IFC1"; do
        rx=$(awk -v i="$i" '$1 == i { print $5 }' <<<"$ifs")
        ((rx > SHORT)) || fail "show interfaces: $i received $rx frames"
    done
    grep -qE "^Per port/interface +port$DUT_IFC0 +port$DUT_IFC1\$" <<<"$(ctl show tcp stats)" ||
        fail "Per port/interface columns are not port$DUT_IFC0 and port$DUT_IFC1"
fi

pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
if [[ ${DUT_VLAN:-0} == 1 ]]; then
    vlan_down # writes each bridge's counts
    for vid in "$DUT_VLAN0" "$DUT_VLAN1"; do
        read -r fwd filt < <("$PMX_PYTHON" -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["a_to_b"]["forwarded"] + s["b_to_a"]["forwarded"],
      s["a_to_b"]["vlan_filtered"] + s["b_to_a"]["vlan_filtered"])' "$PMX_TMP/vlan$vid.json") ||
            fail "no stats from the VLAN $vid bridge"
        ((fwd > SHORT)) || fail "VLAN $vid bridge forwarded $fwd frames"
        expect_eq "VLAN $vid bridge: frames of another VLAN on its trunk" "$filt" 0
        info "VLAN $vid bridge: $fwd frames forwarded, 0 filtered"
    done
fi
info "PASS"
