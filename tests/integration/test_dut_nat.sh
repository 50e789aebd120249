#!/usr/bin/env bash
# Integration test: the generator on port 0 and the servers on port 1 of one
# portmux through a Linux NAT (dut_lib.sh; docs/dut-testing.md). The
# generator connects to a virtual address, 198.18.30.1:80, that no port
# has; the DUT rewrites it (nftables DNAT) and masquerades the clients
# behind its own server-side address, 198.18.20.254.
#
#  1. NAT: DNAT to the server range 198.18.20.1-16, masquerade on the way
#     out. DUT_SHORT (default 50,000) short connections at DUT_RATE (5,000/s): 0
#     errors, every body checked; the servers' passive opens and http
#     requests equal the generator's completed; the conntrack table of the
#     DUT saw them (its nft rule counters: one DNAT per connection); the
#     sources were the 4,096 addresses of the client range (an nftables set
#     of the source addresses the DUT forwarded, before masquerading).
#  2. While 64 keep-alive connections are held (reqs 0, duration 3):
#     every server-side row of 'show connections' (local 198.18.20.x:80)
#     has the NAT's address 198.18.20.254 as its foreign address, none a
#     client's; the client rows (local in the client range) face
#     198.18.30.1:80.
#  3. Load balancer: the DNAT becomes round robin over four backends
#     (numgen inc mod 4), each an exact listener: 400 connections give
#     each backend's listener exactly 100.
set -euo pipefail

# shellcheck source=tests/integration/dut_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/dut_lib.sh"

SHORT=${DUT_SHORT:-50000}
RATE=${DUT_RATE:-5000}
VIP=198.18.30.1
SRC=$CLIENT_RANGE

require_root
pmx_traps
dut_topo_up
dut_nft "table ip dutnat {
  chain pre {
    type nat hook prerouting priority dstnat;
    ip daddr $VIP tcp dport 80 counter dnat to $SERVER_NET.1-$SERVER_NET.$DUT_ADDRS
  }
  chain post {
    type nat hook postrouting priority srcnat;
    oifname \"$PEER_IF1\" counter masquerade
  }
}"
dut_count_sources
dut_start

start() { # CONNS REQS RATE [words...]
    ctl gen start "$VIP" 80 mode http conns "$1" reqs "$2" rate "$3" src "$SRC" "${@:4}" \
        || fail "gen start $VIP refused"
}

# 1. Short connections through the NAT.
t0=$SECONDS
start "$SHORT" 1 "$RATE"
gen_wait_done $((SHORT / RATE + 30)) || fail "NAT run did not finish"
info "NAT: $SHORT connections in $((SECONDS - t0)) s"
expect_eq "generator errors" "$(gen_field errors.total)" 0
expect_eq "completed" "$(gen_field connections.completed)" "$SHORT"
expect_eq "server passive opens" "$(tcp_counter tcp_passive_opens)" "$SHORT"
expect_eq "server http requests" "$(counter http_requests)" "$SHORT"
dnats=$(ip netns exec "$PEER_NS" nft list chain ip dutnat pre | sed -nE 's/.*counter packets ([0-9]+).*/\1/p')
# NAT rules see a connection's first packet only; a SYN retransmission is
# the same connection.
((dnats >= SHORT)) || fail "the DUT's DNAT rule counted $dnats connections, expected >= $SHORT"
expect_eq "client addresses the NAT saw" "$(dut_sources_seen 4)" "$CLIENT_COUNT"
info "the NAT translated connections from all $CLIENT_COUNT client addresses"

# 2. Who the servers see.
start 64 0 0 duration 3
sleep 1.5
conns=$(ctl show connections) || fail "show connections"
srv=$(awk -v n="$SERVER_NET." '$6 == "ESTABLISHED" && index($4, n) == 1' <<<"$conns")
cli=$(awk -v n="$SERVER_NET." '$6 == "ESTABLISHED" && index($4, n) != 1' <<<"$conns")
expect_eq "server-side ESTABLISHED rows" "$(grep -c . <<<"$srv")" 64
expect_eq "client-side ESTABLISHED rows" "$(grep -c . <<<"$cli")" 64
bad=$(awk -v r="$ROUTER1:" 'index($5, r) != 1' <<<"$srv" | head -3)
[[ -z $bad ]] || fail "server rows whose peer is not the NAT's $ROUTER1:"$'\n'"$bad"
bad=$(awk -v v="$VIP:80" '$5 != v' <<<"$cli" | head -3)
[[ -z $bad ]] || fail "client rows not facing $VIP:80:"$'\n'"$bad"
locals=$(awk '{ split($4, a, ":"); print a[1] }' <<<"$srv" | sort -u | wc -l)
info "servers see only $ROUTER1 (64 connections over $locals server addresses); clients see $VIP:80"
gen_wait_done 20 || fail "held run did not finish"
expect_eq "held run errors" "$(gen_field errors.total)" 0

# 3. Round robin over four exact listeners.
ip netns exec "$PEER_NS" nft flush chain ip dutnat pre || fail "nft flush"
dut_nft "add rule ip dutnat pre ip daddr $VIP tcp dport 80 dnat to numgen inc mod 4 map { \
0 : $SERVER_NET.1, 1 : $SERVER_NET.2, 2 : $SERVER_NET.3, 3 : $SERVER_NET.4 }"
for i in 1 2 3 4; do ctl listen "$SERVER_NET.$i" 80 http >/dev/null || fail "listen $SERVER_NET.$i 80"; done
start 400 1 1000
gen_wait_done 30 || fail "load-balancer run did not finish"
expect_eq "load-balancer errors" "$(gen_field errors.total)" 0
for i in 1 2 3 4; do
    expect_eq "backend $SERVER_NET.$i:80 accepted" "$(listener_accepted "$SERVER_NET.$i:80")" 100
done
info "load balancer: 400 connections, 100 on each of 4 backends"

pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
info "PASS"
