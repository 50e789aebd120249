#!/usr/bin/env bash
# Integration test: IPv6 through a Linux router between the two ports of one
# portmux (dut_lib.sh with "v6"; docs/dut-testing.md): clients
# 2001:2:11::1-1000/64 (4,096) on port 0, servers 2001:2:20::1-10/64 on port
# 1, the router 2001:2:10::fe / 2001:2:20::fe with forwarding on and a route
# to the client range through 2001:2:10::1, --listen [::]:80.
#
#  1. DUT_SHORT (default 50,000) short connections to [2001:2:20::1]:80 from
#     the 4,096 sources at DUT_RATE: 0 errors, every body checked; the
#     servers' passive opens and http requests equal the generator's
#     completed; the router forwarded from every one of the 4,096.
#  2. 100 keep-alive connections x DUT_KA_REQS (default 1,000): 0 errors,
#     the servers answered every request.
#  3. The router did forward them: its Ip6OutForwDatagrams (/proc/net/snmp6
#     in its namespace) grew by at least the segments those runs need.
set -euo pipefail

# shellcheck source=tests/integration/dut_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/dut_lib.sh"

SHORT=${DUT_SHORT:-50000}
RATE=${DUT_RATE:-5000}
KA_REQS=${DUT_KA_REQS:-1000}
SRC=$CLIENT_RANGE6
DST="${SERVER_NET6}:1"

require_root
pmx_traps
dut_topo_up v6
dut_count_sources
dut_start v6

fwd6() {
    # shellcheck disable=SC2016  # awk's fields
    ip netns exec "$PEER_NS" awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6
}
run() { # CONNS REQS RATE WAIT
    ctl gen start "$DST" 80 mode http conns "$1" reqs "$2" rate "$3" resp-size 64 src "$SRC" \
        || fail "gen start $DST refused"
    gen_wait_done "$4" || fail "run of $1 x $2 over IPv6 did not finish"
    expect_eq "generator errors" "$(gen_field errors.total)" 0
    expect_eq "completed" "$(gen_field connections.completed)" "$1"
    expect_eq "responses" "$(gen_field requests.answered)" $(($1 * $2))
}

f0=$(fwd6)
t0=$SECONDS
run "$SHORT" 1 "$RATE" $((SHORT / RATE + 30))
info "IPv6 short: $SHORT connections in $((SECONDS - t0)) s, 0 errors"
expect_eq "server passive opens" "$(tcp_counter tcp_passive_opens)" "$SHORT"
expect_eq "server http requests" "$(counter http_requests)" "$SHORT"
expect_eq "client addresses the router saw" "$(dut_sources_seen 6)" "$CLIENT_COUNT"

run 100 "$KA_REQS" 0 60
expect_eq "server passive opens" "$(tcp_counter tcp_passive_opens)" $((SHORT + 100))
expect_eq "server http requests" "$(counter http_requests)" $((SHORT + 100 * KA_REQS))
f1=$(fwd6)
# Each short connection is at least 3 segments each way (SYN, request or
# ACK, FIN); each keep-alive request and its answer 1 each way.
min=$((SHORT * 6 + 100 * KA_REQS * 2))
(((f1 - f0) >= min)) || fail "the router forwarded $((f1 - f0)) IPv6 datagrams, expected >= $min"
info "the router forwarded $((f1 - f0)) IPv6 datagrams"

pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
info "PASS"
