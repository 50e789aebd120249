#!/usr/bin/env bash
# Integration test: the generator on port 0 and the servers on port 1 of one
# portmux through a stateful Linux firewall that admits at most N=DUT_LIMIT
# (default 40) connections at once (nftables "ct count over N", conntrack
# in the DUT's namespace; dut_lib.sh, docs/dut-testing.md). Every run holds
# DUT_HOLD (default 100) connections (reqs 0) for 3 s at 200 new per second,
# so a refused one is replaced, and the counts must add up exactly: every
# attempted connection is completed, stopped or lost, and each lost one is
# counted under one kind (refused, connect timeout, reset, timeout, ...):
#
#  1. reject with tcp reset: the generator reports the lost connections as
#     refused, each one a RST the firewall sent (its rule counter equals
#     gen_err_refused); completed == N == the servers' passive opens (port
#     1) == port 0's handshakes completed; attempted == completed + refused;
#     port 0's AttemptFails == refused; no other error kind.
#  2. drop: the SYNs over the limit vanish and the generator sends them
#     again (1 s, 2 s, 4 s later); once the held connections close at the
#     run's end the retransmitted SYNs get in, within the run's 10 s grace.
#     Every SYN the firewall dropped is one retransmission (its rule counter
#     == the growth of tcp_syn_retransmits), every connection completed (no
#     error, none stopped), and the servers saw each once.
#  3. drop, with the run's connect timeout at 1.5 s (connect-timeout 1500:
#     one SYN, one retransmission at 1 s): the SYNs still dropped at 1.5 s
#     are lost as connect timeouts, replaced while the run lasts. attempted
#     == completed + connect timeouts, no other kind; every SYN the firewall
#     dropped is accounted for: dropped == attempted + retransmitted -
#     completed (each completed connection got exactly one SYN through).
set -euo pipefail

# shellcheck source=tests/integration/dut_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/dut_lib.sh"

LIMIT=${DUT_LIMIT:-40}
HOLD=${DUT_HOLD:-100}
# 16 sources, not the 4,096 of the client range: the generator opens the
# first connection from each of its first 64 addresses one at a time
# (generator.hpp, kWarmConns), and a SYN the firewall drops there would hold
# the opening phase for its retransmissions.
SRC="$CLIENT_NET.1-$CLIENT_NET.$DUT_ADDRS"

require_root
pmx_traps
dut_topo_up
dut_start

firewall() { # VERDICT: a fresh ruleset admitting LIMIT connections to port 80
    ip netns exec "$PEER_NS" nft flush ruleset || fail "nft flush"
    dut_nft "table ip dutfw {
  chain admit {
    type filter hook forward priority filter;
    ct state new tcp dport 80 ct count over $LIMIT counter $1
  }
}"
}
fw_count() {
    ip netns exec "$PEER_NS" nft list chain ip dutfw admit | sed -nE 's/.*counter packets ([0-9]+).*/\1/p'
}
run_hold() { # [gen words...]
    ctl gen start "$SERVER_NET.1" 80 mode http conns "$HOLD" reqs 0 duration 3 rate 200 src "$SRC" "$@" \
        || fail "gen start refused"
    gen_wait_done 30 || fail "held run did not finish"
}
# by_kind: where the run's connections went, one line; checks that they add
# up: attempted == completed + stopped + every error kind.
by_kind() {
    ctl show gen json | "$PMX_PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
c, e = r["connections"], r["errors"]
kinds = [k for k in e if k != "total"]
lost = sum(e[k] for k in kinds)
print("attempted %d = completed %d + stopped %d + lost %d (%s)" % (c["attempted"], c["completed"],
      c["stopped"], lost, ", ".join("%s %d" % (k, e[k]) for k in kinds)))
if lost != e["total"] or c["attempted"] != c["completed"] + c["stopped"] + lost or c["open"]:
    sys.exit("the counts do not add up")'
}

# 1. Refusals, by RST.
firewall "reject with tcp reset"
run_hold
att=$(gen_field connections.attempted) done_=$(gen_field connections.completed)
ref=$(gen_field errors.refused) rej=$(fw_count)
info "reject: attempted $att, completed $done_, refused $ref; the firewall rejected $rej"
kinds=$(by_kind) || fail "reject: the generator's counts do not add up: $kinds"
info "reject: $kinds"
expect_eq "completed" "$done_" "$LIMIT"
expect_eq "refused (generator) vs rejected (firewall)" "$ref" "$rej"
((ref > 0)) || fail "nothing was refused: the firewall did not limit"
expect_eq "attempted" "$att" $((done_ + ref))
expect_eq "errors other than refused" $(($(gen_field errors.total) - ref)) 0
expect_eq "servers' passive opens" "$(tcp_counter tcp_passive_opens)" "$LIMIT"
expect_eq "port 1 PassiveOpens" "$(per_port PassiveOpens 1)" "$LIMIT"
expect_eq "port 0 Established" "$(per_port Established 0)" "$LIMIT"
expect_eq "port 0 AttemptFails" "$(per_port AttemptFails 0)" "$ref"
expect_eq "port 0 ActiveOpens" "$(per_port ActiveOpens 0)" "$att"
ctl show tcp stats | sed -n '/^Per port/,/^Demultiplexing/p'

# 2. Silent drops. Wait for the firewall's conntrack to forget the first
# run's connections (closed ones do not count towards ct count).
firewall drop
sleep 1
rtx0=$(tcp_counter tcp_syn_retransmits)
run_hold
att=$(gen_field connections.attempted) done_=$(gen_field connections.completed)
rtx=$(($(tcp_counter tcp_syn_retransmits) - rtx0)) dropped=$(fw_count)
info "drop: attempted $att, completed $done_, stopped $(gen_field connections.stopped); the firewall dropped $dropped SYNs, the generator sent $rtx again"
kinds=$(by_kind) || fail "drop: the generator's counts do not add up: $kinds"
info "drop: $kinds"
((dropped > 0)) || fail "nothing was dropped: the firewall did not limit"
expect_eq "SYNs dropped (firewall) vs retransmitted (generator)" "$dropped" "$rtx"
expect_eq "completed" "$done_" "$HOLD"
expect_eq "attempted" "$att" "$HOLD"
expect_eq "errors" "$(gen_field errors.total)" 0
expect_eq "servers' passive opens" "$(tcp_counter tcp_passive_opens)" $((LIMIT + HOLD))

# 3. Silent drops that outlast the connect timeout.
firewall drop
sleep 1
rtx0=$(tcp_counter tcp_syn_retransmits) pass0=$(tcp_counter tcp_passive_opens)
cto0=$(tcp_counter tcp_connect_timeouts)
run_hold connect-timeout 1500
att=$(gen_field connections.attempted) done_=$(gen_field connections.completed)
cto=$(gen_field errors.connect_timeout) dropped=$(fw_count)
rtx=$(($(tcp_counter tcp_syn_retransmits) - rtx0))
info "connect timeout: attempted $att, completed $done_, connect timeouts $cto; the firewall dropped $dropped SYNs, the generator sent $rtx again"
kinds=$(by_kind) || fail "connect timeout: the generator's counts do not add up: $kinds"
info "connect timeout: $kinds"
((cto > 0)) || fail "no connect timeout: the firewall dropped nothing for 1.5 s"
expect_eq "connect timeouts (generator) vs the engine's" $(($(tcp_counter tcp_connect_timeouts) - cto0)) "$cto"
expect_eq "attempted" "$att" $((done_ + cto))
expect_eq "errors other than connect timeouts" $(($(gen_field errors.total) - cto)) 0
expect_eq "SYNs dropped (firewall) vs attempted + retransmitted - completed" "$dropped" $((att + rtx - done_))
expect_eq "servers' passive opens" $(($(tcp_counter tcp_passive_opens) - pass0)) "$done_"

pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
info "PASS"
