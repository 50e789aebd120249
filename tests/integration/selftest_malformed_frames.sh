#!/usr/bin/env bash
# Self-test of the packet generator (no portmux needed): sends every case of
# malformed.py from the peer namespace to a dummy MAC, captures the frames on
# the dut end of the veth and checks each one, decoded independently with
# struct, carries exactly its intended fault (check_malformed_frames.py).
#
# Proposed meson registration:
#   test('integration-malformed-selftest',
#        find_program('integration/selftest_malformed_frames.sh'),
#        suite: 'integration', is_parallel: false, timeout: 120)
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

require_root
pmx_traps
topo_up

DUMMY_MAC=02:00:5e:00:53:01
COUNT=5
CAP_PID=""

stop_capture() {
    if [[ -n $CAP_PID ]]; then
        touch "$PMX_TMP/stop"
        local deadline=$((SECONDS + 10))
        while pmx_pid_alive "$CAP_PID" && ((SECONDS < deadline)); do sleep 0.1; done
        pmx_pid_alive "$CAP_PID" && kill -KILL "$CAP_PID" 2>/dev/null
        wait "$CAP_PID" 2>/dev/null || true
        CAP_PID=""
    fi
}
# Keep the script's status for pmx_cleanup (which exits with the status it
# finds): stop_capture alone would hand it 0 and hide a failure.
on_exit() {
    local st=$?
    set +e
    stop_capture
    (exit "$st")
    pmx_cleanup
}
trap on_exit EXIT

peer_mac=$(ip netns exec "$PEER_NS" cat "/sys/class/net/$PEER_IF/address")
info "peer MAC $peer_mac, dummy appliance MAC $DUMMY_MAC"

ip netns exec "$DUT_NS" "$PMX_PYTHON" "$PMX_LIB_DIR/peers/check_malformed_frames.py" capture \
    --iface "$DUT_IF" --out "$PMX_TMP/cap.pcap" --ready "$PMX_TMP/ready" --stop "$PMX_TMP/stop" \
    --timeout 60 </dev/null >"$PMX_TMP/capture.log" 2>&1 &
CAP_PID=$!
deadline=$((SECONDS + 15))
until [[ -e $PMX_TMP/ready ]]; do
    pmx_pid_alive "$CAP_PID" || { cat "$PMX_TMP/capture.log" >&2; fail "capture exited early"; }
    ((SECONDS < deadline)) || fail "capture not ready after 15 s"
    sleep 0.1
done

info "sending all cases, $COUNT frames each"
ip netns exec "$PEER_NS" timeout 120 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/malformed.py" \
    --iface "$PEER_IF" --dst-mac "$DUMMY_MAC" --count "$COUNT" --wait 0.2 \
    || fail "malformed.py failed"

stop_capture
cat "$PMX_TMP/capture.log"
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/check_malformed_frames.py" verify --pcap "$PMX_TMP/cap.pcap" \
    --src-mac "$peer_mac" --dst-mac "$DUMMY_MAC" --count "$COUNT" \
    || fail "captured frames are not malformed exactly as intended"

# Reply detection and the silence of the dut namespace's kernel.  portmux
# shares its interface (and MAC) with that kernel, so the kernel must not
# answer anything itself, or it could pass the tests in portmux's place.
dut_mac=$(ip netns exec "$DUT_NS" cat "/sys/class/net/$DUT_IF/address")
gen() {
    ip netns exec "$PEER_NS" timeout 60 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/malformed.py" \
        --iface "$PEER_IF" --dst-mac "$dut_mac" --count "$COUNT" --wait 0.5 "$@"
}
rc=0; gen --control || rc=$?
info "dut kernel without IP address: valid echo requests to $dut_mac -> rc $rc (want 1: nothing answers)"
((rc == 1)) || fail "the dut namespace kernel answered (or the generator broke): rc $rc"

# Linux as a stand-in appliance: it answers valid echo requests (control
# passes) and, unlike portmux should, also TTL-0 ones addressed to itself, so
# the detector must fire there; it drops every other case except two TCP ones
# it rightly answers with a RST, having no discard listener on port 9 (data
# without SYN) and treating port 0 as a closed port (portmux drops port 0).
ip -n "$DUT_NS" addr add "$DUT_IP/$PREFIX_LEN" dev "$DUT_IF" || fail "addr add on $DUT_IF"
rc=0; gen --control || rc=$?
info "Linux at $DUT_IP: control rc $rc (want 0)"
((rc == 0)) || fail "positive control against Linux failed"
rc=0; gen --case ip_ttl_zero || rc=$?
info "Linux at $DUT_IP: ip_ttl_zero rc $rc (want 1: Linux answers TTL 0 for local delivery)"
((rc == 1)) || fail "reply detector did not fire on Linux's answers to TTL-0 echo requests"
others=()
while read -r name _; do
    case $name in
        ip_ttl_zero | tcp_data_to_listener | tcp_bad_port) ;;
        *) others+=(--case "$name") ;;
    esac
done < <("$PMX_PYTHON" "$PMX_LIB_DIR/peers/malformed.py" --list)
rc=0; gen "${others[@]}" || rc=$?
info "Linux at $DUT_IP: all other cases rc $rc (want 0: Linux drops them all)"
((rc == 0)) || fail "Linux answered a malformed frame other than TTL 0"
ip -n "$DUT_NS" addr del "$DUT_IP/$PREFIX_LEN" dev "$DUT_IF" || true
info "PASS"
