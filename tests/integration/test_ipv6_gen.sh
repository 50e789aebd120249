#!/usr/bin/env bash
# Integration test: the traffic generator against nginx over IPv6
# (ipv6_lib.sh's dual-stack topology; nginx-light in the peer namespace
# listens on [2001:2::2]:8080 only, gen_servers_lib.sh with GEN_SERVERS_IP).
#
#  1. gen start 2001:2::2 8080 mode http conns 2000 reqs 1 rate 2000:
#     2000 completed, 2000 responses, 0 errors of any kind; nginx's access
#     log grows by exactly 2000 lines, all status 200 with 64 body bytes, all
#     from 2001:2::1;
#  2. gen start 2001:2::2 8080 mode http conns 20 reqs 50 (keep-alive):
#     20 more completed, 1000 more responses, 0 errors, 1000 more log lines;
#  3. after 2 MSL the flow table is empty; portmux exits cleanly.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"
# shellcheck source=tests/integration/gen_servers_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/gen_servers_lib.sh"

MSL_MS=1000
NGINX_PORT=8080
ECHO_PORT=7007
GEN_SERVERS_IP=$PEER_IP6

require_root
cleanup_servers() {
    local st=$?
    set +e
    gen_servers_stop
    (exit "$st")
    pmx_cleanup
}
pmx_traps
trap cleanup_servers EXIT
topo6_up
gen_servers_start 64
pmx_start6 --msl-ms "$MSL_MS"

expect_counter() {
    local v
    v=$(counter "$1") || fail "no counter $1"
    [[ $v == "$2" ]] || fail "$1 = $v, expected $2"
}

completed=0 responses=0
run_http() {
    local conns=$1 reqs=$2 before after lines bad
    before=$(wc -l <"$PMX_TMP/nginx/access.log")
    ctl gen start "$PEER_IP6" "$NGINX_PORT" mode http conns "$conns" reqs "$reqs" rate 2000 resp-size 64 \
        || fail "gen start $PEER_IP6 refused"
    gen_wait_done 40 || fail "http run ($conns x $reqs) over IPv6 did not finish"
    completed=$((completed + conns))
    responses=$((responses + conns * reqs))
    expect_counter gen_completed "$completed"
    expect_counter gen_responses "$responses"
    [[ $(gen_errors_total) == 0 ]] || fail "generator errors: $(ctl show gen stats)"
    for ((i = 0; i < 50; i++)); do
        after=$(wc -l <"$PMX_TMP/nginx/access.log")
        ((after - before >= conns * reqs)) && break
        sleep 0.1
    done
    lines=$(tail -n +"$((before + 1))" "$PMX_TMP/nginx/access.log")
    [[ $(wc -l <<<"$lines") == $((conns * reqs)) ]] || fail "nginx logged $((after - before)) requests, expected $((conns * reqs))"
    bad=$(awk -v src="$DUT_IP6" '$1 != src || $9 != 200 || $10 != 64' <<<"$lines" | head -3)
    [[ -z $bad ]] || fail "nginx logged requests not from $DUT_IP6 with 200 and 64 bytes: $bad"
    info "http over IPv6, $conns x $reqs: 0 errors; nginx logged $((conns * reqs)) requests from $DUT_IP6, all 200 / 64 bytes"
}

run_http 2000 1
run_http 20 50

sleep $((2 * MSL_MS / 1000 + 1))
[[ $(flow_entries) == 0 ]] || fail "flow table not empty after 2 MSL: $(ctl show flowtable)"
pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
info "PASS"
