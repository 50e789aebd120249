#!/usr/bin/env bash
# Integration test: malformed IPv6 frames are dropped, each by exactly one
# counter, none is answered, and ping -6 still works afterwards.
#
# For every case of peers/malformed6.py (`malformed6.py --list`: bad payload
# length, a long extension-header chain, hop-by-hop not first, a fragment,
# routing type 0, multicast and unspecified sources, a foreign destination, a
# bad ICMPv6 checksum, neighbour solicitations with a zero-length option or a
# hop limit other than 255, ...), K=5 frames go from the peer namespace with
# scapy while a sniffer watches for any answer from our MAC. Per case, from
# 'show ip stats' before and after:
#   - the case's counter moved by exactly K;
#   - no other IPv6, ICMPv6 or ND drop counter (every PMX_DROP named ipv6_*,
#     icmp6_*, nd_* in lib/stats/counters.def) moved;
#   - no answer came back; port RX-packets grew by at least K.
# A positive control (K valid echo requests, K replies) runs first; at the
# end ping -6 -c 20 must show 0 % loss. Over net_af_packet IPv6 fragments do
# reach the port (the kernel's PACKET_FANOUT_FLAG_DEFRAG is IPv4 only).
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"

require_root
pmx_traps

K=5
MALFORMED="$PMX_LIB_DIR/peers/malformed6.py"
"$PMX_PYTHON" -c 'import scapy' 2>/dev/null || fail "$PMX_PYTHON has no scapy (apt install python3-scapy)"
mapfile -t DROP_COUNTERS < <(sed -nE 's/^PMX_DROP\(((ipv6|icmp6|nd)_[a-z0-9_]+),.*/\1/p' "$PMX_REPO_ROOT/lib/stats/counters.def")
# ipv6_group_not_joined counts the link's background multicast (the peer
# kernel's MLD reports to ff02::16 come when they come): it is not one of
# the counters a case must leave alone, and no case expects it.
mapfile -t DROP_COUNTERS < <(printf '%s\n' "${DROP_COUNTERS[@]}" | grep -vx ipv6_group_not_joined)
((${#DROP_COUNTERS[@]} > 0)) || fail "no ipv6_/icmp6_/nd_ drop counters in lib/stats/counters.def"
mapfile -t CASE_LINES < <("$PMX_PYTHON" "$MALFORMED" --list) || fail "malformed6.py --list failed"

topo6_up
pmx_start6 --listen "[::]:9=discard"
MAC=$(pmx_mac) || fail "cannot read our MAC"

SNAP_BEFORE="$PMX_TMP/stats.before"
SNAP_AFTER="$PMX_TMP/stats.after"
snapshot() {
    ip_stats_snapshot "$1" || fail "'show ip stats' failed"
    local c
    for c in "${DROP_COUNTERS[@]}"; do
        stat_from "$1" "$c" >/dev/null || fail "counter '$c' missing from 'show ip stats'"
    done
}
delta() {
    local a b
    a=$(stat_from "$SNAP_AFTER" "$1") && b=$(stat_from "$SNAP_BEFORE" "$1") || return 1
    echo $((a - b))
}
send() {
    SEND_RC=0
    ip netns exec "$PEER_NS" timeout 30 "$PMX_PYTHON" "$MALFORMED" \
        --iface "$PEER_IF" --dst-mac "$MAC" --count "$K" "$@" || SEND_RC=$?
}
FAILURES=()
note_failure() {
    echo "  -> FAIL: $*"
    FAILURES+=("$*")
}

# Positive control (after a ping, so both sides know each other's MAC).
expect_ping6 "$DUT_IP6" 3 0.1
snapshot "$SNAP_BEFORE"
send --control
snapshot "$SNAP_AFTER"
((SEND_RC == 0)) || fail "positive control: the $K valid echo requests were not each answered once"
d=$(delta icmp6_rx_echo_requests) || fail "cannot read icmp6_rx_echo_requests"
((d == K)) || fail "positive control: icmp6_rx_echo_requests +$d, expected +$K"
for c in "${DROP_COUNTERS[@]}"; do
    d=$(delta "$c")
    ((d == 0)) || fail "positive control: valid echo requests moved $c by $d"
done
info "positive control: $K echo requests, $K replies, no drop counter moved"

for line in "${CASE_LINES[@]}"; do
    read -r case_name case_counter case_descr <<<"$line"
    info "case $case_name ($case_descr): expect $case_counter +$K"
    snapshot "$SNAP_BEFORE"
    rx_before=$(port_stat RX-packets) || fail "cannot read RX-packets"
    send --case "$case_name"
    snapshot "$SNAP_AFTER"
    rx_after=$(port_stat RX-packets) || fail "cannot read RX-packets"
    d=$(delta "$case_counter") || { note_failure "$case_name: no counter $case_counter"; continue; }
    echo "  $case_counter: delta $d (want $K); RX-packets delta $((rx_after - rx_before))"
    ((d == K)) || note_failure "$case_name: $case_counter moved by $d, expected exactly $K"
    ((SEND_RC == 0)) || note_failure "$case_name: the appliance answered (malformed6.py rc $SEND_RC)"
    ((rx_after - rx_before >= K)) || note_failure "$case_name: RX-packets grew by $((rx_after - rx_before)) < $K"
    for c in "${DROP_COUNTERS[@]}"; do
        [[ $c == "$case_counter" ]] && continue
        d=$(delta "$c")
        ((d == 0)) || note_failure "$case_name: $c also moved by $d (expected 0)"
    done
done

pmx_pid_alive "$PMX_PID" || fail "portmux died during the malformed cases"
expect_ping6 "$DUT_IP6" 20 0.05
if ((${#FAILURES[@]})); then
    printf 'FAILED CHECKS:\n' >&2
    printf '  %s\n' "${FAILURES[@]}" >&2
    fail "${#FAILURES[@]} check(s) failed"
fi
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS: ${#CASE_LINES[@]} malformed IPv6 cases x $K frames, each in its counter, none answered; ping -6 20/20 after"
