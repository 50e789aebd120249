#!/usr/bin/env bash
# Integration test (issue 14): the generator's sources over an address range.
#
# portmux holds 198.18.16.0-198.18.31.255 (4,096 addresses, --addr range);
# the Linux peer (nginx) reaches them through a route via 198.18.0.1.
#  1. gen start ... src 198.18.16.0-198.18.31.255, 4,096 connections x 1
#     request: 0 errors, nginx logged 4,096 requests, all 200 / 64 bytes,
#     from 4,096 distinct client addresses of the range (the walk alternates
#     source addresses);
#  2. a run wanting more connections than its source tuples: gen start warns
#     with the numbers (addresses x ports vs connections), then is stopped.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/gen_servers_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/gen_servers_lib.sh"
# shellcheck disable=SC2034  # lib.sh's names, read there
DUT_NS="ranged$$"
PEER_NS="rangep$$"
# shellcheck disable=SC2034
DUT_IF="rgd$$a"
PEER_IF="rgp$$b"
# shellcheck disable=SC2034
PMX_FILE_PREFIX="range$$"

NGINX_PORT=8080
# shellcheck disable=SC2034  # gen_servers_lib.sh's echo server
ECHO_PORT=7007
RANGE_LO=198.18.16.0
RANGE_HI=198.18.31.255
N=4096

require_root
gen_servers_traps
topo_up
# The peer routes the range via portmux's own address: one neighbour
# entry on its side (4,096 on-link ones would pass the host's gc_thresh3,
# which a namespace cannot raise; ARP over a range: test_addr_range.sh).
ip -n "$PEER_NS" route add 198.18.16.0/20 via "$DUT_IP" dev "$PEER_IF" || fail "route to the range on the peer"
gen_servers_start 64
pmx_start --addr "0=$RANGE_LO-$RANGE_HI/19" --msl-ms 1000

# 1. 4,096 connections, one per source address.
t0=$SECONDS
out=$(ctl gen start "$PEER_IP" "$NGINX_PORT" mode http conns "$N" reqs 1 rate 4000 resp-size 64 \
    src "$RANGE_LO-$RANGE_HI") || fail "gen start refused: $out"
[[ $out != *warning* ]] || fail "unexpected warning: $out"
gen_wait_done 50 || fail "the range run did not finish"
info "range run: $((SECONDS - t0)) s"
errs=$(gen_errors_total) || fail "gen errors"
((errs == 0)) || fail "generator errors: $(ctl show gen stats)"
[[ $(counter gen_completed) == "$N" ]] || fail "gen_completed $(counter gen_completed), expected $N"
for ((i = 0; i < 50; i++)); do
    (($(wc -l <"$PMX_TMP/nginx/access.log") >= N)) && break
    sleep 0.1
done
log=$PMX_TMP/nginx/access.log
[[ $(wc -l <"$log") == "$N" ]] || fail "nginx logged $(wc -l <"$log") requests, expected $N"
bad=$(awk '$9 != 200 || $10 != 64' "$log" | head -3)
[[ -z $bad ]] || fail "nginx logged requests that were not 200 with 64 bytes: $bad"
clients=$(awk '{ print $1 }' "$log" | sort -u)
nclients=$(wc -l <<<"$clients")
[[ $nclients == "$N" ]] || fail "nginx saw $nclients client addresses, expected $N"
outside=$(grep -vE '^198\.18\.(1[6-9]|2[0-9]|3[01])\.[0-9]+$' <<<"$clients" | head -3 || true)
[[ -z $outside ]] || fail "client addresses outside the range: $outside"
info "$N connections from $nclients distinct range addresses, 0 errors"

# 2. Too few tuples: 2 addresses x the 16,384 dynamic ports for 40,000
#    connections on the one worker.
out=$(ctl gen start "$PEER_IP" "$NGINX_PORT" mode http conns 40000 reqs 1 rate 1 \
    src "$RANGE_LO-198.18.16.1") || fail "gen start refused: $out"
info "gen start said: $out"
grep -qF "gen: warning: source tuples too few: 2 address(es) x 16384 ports steer 32768 tuples to worker 0" <<<"$out" ||
    fail "no tuple warning with the numbers: $out"
ctl gen stop >/dev/null || fail "gen stop"

pmx_stop || fail "portmux did not exit cleanly (status ${PMX_EXIT:-?})"
info "PASS"
