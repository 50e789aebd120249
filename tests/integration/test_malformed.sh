#!/usr/bin/env bash
# Integration test: malformed frames are dropped, each by exactly one counter,
# none is answered, and the appliance still answers ping afterwards.
#
# Proposed meson registration (tests/meson.build or tests/integration/meson.build):
#   test('integration-malformed', find_program('integration/test_malformed.sh'),
#        suite: 'integration', is_parallel: false, timeout: 120,
#        depends: [portmux_exe, portmux_ctl_exe],
#        env: {'PORTMUX': portmux_exe.full_path(),
#              'PORTMUX_CTL': portmux_ctl_exe.full_path()})
#
# For every case of malformed.py (see `malformed.py --list`), K=5 frames are
# sent from the peer namespace with scapy while an AsyncSniffer on the same
# interface watches for any frame from our MAC.  Per case, from 'show ip
# stats' read before and after:
#   - the case's drop counter moved by exactly K;
#   - every other drop counter and the reply counters (icmp_tx_echo_replies,
#     arp_tx_replies) did not move;
#   - no frame came back from our MAC;
#   - port RX-packets grew by at least K (the frames did reach the port).
# A positive control (K valid echo requests, K replies seen and counted) runs
# first, so a silent sniffer or a dead data path cannot pass the test.
# Finally ping -c 20 -i 0.05 must show 0% loss.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

require_root
pmx_traps

K=5
MALFORMED="$PMX_LIB_DIR/peers/malformed.py"
[[ -x $PMX_PYTHON ]] || fail "$PMX_PYTHON not found"
"$PMX_PYTHON" -c 'import scapy' 2>/dev/null || fail "$PMX_PYTHON has no scapy (apt install python3-scapy)"

# Every drop counter named in the interface; each dropped frame moves exactly one.
DROP_COUNTERS=(
    ipv4_too_short ipv4_bad_version ipv4_bad_ihl ipv4_bad_total_length
    ipv4_bad_checksum ipv4_fragment ipv4_ttl_zero ipv4_not_for_us
    arp_bad_length arp_truncated icmp_bad_checksum icmp_too_short
    tcp_too_short tcp_bad_offset tcp_bad_checksum tcp_bad_port tcp_rst_no_conn
    tcp_closed_answered tcp_listen_no_syn tcp_listen_rst
    vlan_truncated vlan_qinq vlan_unknown eth_unknown_type
)
REPLY_COUNTERS=(icmp_tx_echo_replies arp_tx_replies tcp_out_rsts)
OTHER_COUNTERS=(icmp_rx_echo_requests arp_rx_requests arp_tx_gratuitous)
ALL_COUNTERS=("${DROP_COUNTERS[@]}" "${REPLY_COUNTERS[@]}" "${OTHER_COUNTERS[@]}")

# case -> counter, from the generator itself (single source of truth).
mapfile -t CASE_LINES < <("$PMX_PYTHON" "$MALFORMED" --list) || fail "malformed.py --list failed"
((${#CASE_LINES[@]} > 0)) || fail "malformed.py --list printed no cases"

# PMX_MALFORMED_VLAN_STRIP=1 (test_vlan_strip.sh): only the vlan_* cases,
# with the port's profile asking for VLAN_STRIP, so that the tag comes in
# the mbuf (RTE_MBUF_F_RX_VLAN_STRIPPED, vlan_tci), not in the frame.
EXTRA=()
if [[ ${PMX_MALFORMED_VLAN_STRIP:-0} == 1 ]]; then
    mapfile -t CASE_LINES < <(printf '%s\n' "${CASE_LINES[@]}" | grep '^vlan_')
    ((${#CASE_LINES[@]} > 0)) || fail "malformed.py --list has no vlan_ cases"
    _tmpdir
    sed 's/^rx_offloads =.*/rx_offloads = VLAN_STRIP/' "$PMX_REPO_ROOT/drivers_cfg/$PMX_PMD.ini" >"$PMX_TMP/strip.ini"
    grep -q '^rx_offloads = VLAN_STRIP$' "$PMX_TMP/strip.ini" || fail "no rx_offloads line in drivers_cfg/$PMX_PMD.ini"
    EXTRA=(--port-profile "0=$PMX_TMP/strip.ini")
fi

topo_up
pmx_start --listen 0.0.0.0:9=discard "${EXTRA[@]}"
if ((${#EXTRA[@]})); then
    offl=$(ctl show port info 0 | grep '^RX offloads:') || fail "'show port info 0' has no RX offloads line"
    [[ $offl == *VLAN_STRIP* ]] || fail "the port was not granted VLAN_STRIP: $offl"
    info "$offl"
fi
MAC=$(pmx_mac) || fail "cannot read our MAC"
info "our MAC (show port info 0): $MAC"

SNAP_BEFORE="$PMX_TMP/stats.before"
SNAP_AFTER="$PMX_TMP/stats.after"

# snapshot FILE: 'show ip stats' into FILE; check every named counter exists.
snapshot() {
    ip_stats_snapshot "$1" || fail "'show ip stats' failed"
    local c
    for c in "${ALL_COUNTERS[@]}"; do
        stat_from "$1" "$c" >/dev/null || fail "counter '$c' missing from 'show ip stats':$(printf '\n%s' "$(cat "$1")")"
    done
}

# delta NAME: after - before for the two snapshot files.
delta() {
    local a b
    a=$(stat_from "$SNAP_AFTER" "$1") && b=$(stat_from "$SNAP_BEFORE" "$1") || return 1
    echo $((a - b))
}

# send ARGS...: run malformed.py in the peer namespace (bounded); sets SEND_RC.
send() {
    SEND_RC=0
    ip netns exec "$PEER_NS" timeout 60 "$PMX_PYTHON" "$MALFORMED" \
        --iface "$PEER_IF" --dst-mac "$MAC" --count "$K" "$@" || SEND_RC=$?
}

FAILURES=()
note_failure() {
    echo "  -> FAIL: $*"
    FAILURES+=("$*")
}

# ---------------------------------------------------------- positive control --
info "positive control: $K valid echo requests, expecting $K replies"
snapshot "$SNAP_BEFORE"
send --control
snapshot "$SNAP_AFTER"
d_req=$(delta icmp_rx_echo_requests)
d_rep=$(delta icmp_tx_echo_replies)
info "control: icmp_rx_echo_requests +$d_req, icmp_tx_echo_replies +$d_rep, malformed.py rc $SEND_RC"
((SEND_RC == 0)) || fail "positive control: the $K valid echo requests were not each answered once (see above)"
((d_req == K && d_rep == K)) || fail "positive control: echo counters moved +$d_req/+$d_rep, expected +$K/+$K"
for c in "${DROP_COUNTERS[@]}"; do
    d=$(delta "$c")
    ((d == 0)) || fail "positive control: valid echo requests moved drop counter $c by $d"
done

# ------------------------------------------------------------- malformed cases --
for line in "${CASE_LINES[@]}"; do
    read -r case_name case_counter case_descr <<<"$line"
    if [[ $PMX_PMD == af_packet && $case_name == ip_fragment ]]; then
        # See pmx_vdev in lib.sh: the kernel defragments before net_af_packet
        # sees the frame. The pcap registration of this test covers the case.
        info "case $case_name: not deliverable over net_af_packet (kernel PACKET_FANOUT_FLAG_DEFRAG); run with PMX_PMD=pcap"
        continue
    fi
    info "case $case_name ($case_descr): expect $case_counter +$K"
    snapshot "$SNAP_BEFORE"
    rx_before=$(port_stat RX-packets) || fail "cannot read RX-packets"
    send --case "$case_name"
    snapshot "$SNAP_AFTER"
    rx_after=$(port_stat RX-packets) || fail "cannot read RX-packets"

    d=$(delta "$case_counter")
    echo "  $case_counter: $(stat_from "$SNAP_BEFORE" "$case_counter") -> $(stat_from "$SNAP_AFTER" "$case_counter") (delta $d, want $K)"
    echo "  RX-packets: $rx_before -> $rx_after (delta $((rx_after - rx_before)), want >= $K)"
    ((d == K)) || note_failure "$case_name: $case_counter moved by $d, expected exactly $K"
    ((SEND_RC == 0)) || note_failure "$case_name: the appliance sent frames in response (malformed.py rc $SEND_RC)"
    ((rx_after - rx_before >= K)) || note_failure "$case_name: RX-packets grew by $((rx_after - rx_before)) < $K"
    for c in "${DROP_COUNTERS[@]}" "${REPLY_COUNTERS[@]}"; do
        [[ $c == "$case_counter" ]] && continue
        d=$(delta "$c")
        ((d == 0)) || note_failure "$case_name: $c also moved by $d (expected 0)"
    done
done

# ------------------------------------------------------------- still alive --
pmx_pid_alive "$PMX_PID" || fail "portmux died during the malformed cases"
expect_ping 20 0.05

if ((${#FAILURES[@]})); then
    printf 'FAILED CHECKS:\n' >&2
    printf '  %s\n' "${FAILURES[@]}" >&2
    fail "${#FAILURES[@]} check(s) failed"
fi
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS: ${#CASE_LINES[@]} malformed cases x $K frames dropped by the right counter, none answered; ping 20/20 afterwards"
