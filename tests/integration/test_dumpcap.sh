#!/usr/bin/env bash
# Integration test: dpdk-dumpcap captures from a running appliance (pdump).
#
# dpdk-dumpcap is a DPDK secondary process: the appliance must keep EAL's
# shared configuration (no --no-shconf / --in-memory) in hugepage memory the
# secondary can map. The test reserves 256 more 2 MiB hugepages and starts
# portmux with its own --file-prefix on a hugetlbfs mounted in the private
# mount namespace `ip netns exec` gives it (with_hugetlbfs.sh), so no other
# DPDK program on the machine can take that mount; dpdk-dumpcap joins the
# namespace with nsenter. The pages are given back at the end.
#
# Checks:
#  1. dpdk-dumpcap --file-prefix=<ours> -i 0 starts capturing while
#     portmux runs;
#  2. a curl from the peer (GET /) is captured: the pcapng file has the
#     handshake, SYN from the peer, SYN-ACK from us, the peer's ACK;
#  3. tshark reads the file with IP and TCP checksum validation on: every
#     IPv4 and TCP checksum is Good, no packet is malformed;
#  4. portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

PAGES=256
require_root
for tool in dpdk-dumpcap tshark curl; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/install-deps.sh)" >&2; exit 1; }
done

ADDED=0
CAP_PID=""
dumpcap_cleanup() {
    local s=$?
    if [[ -n $CAP_PID ]]; then
        kill "$CAP_PID" 2>/dev/null || true
        wait "$CAP_PID" 2>/dev/null || true
    fi
    # The hugetlbfs mount goes away with portmux's mount namespace.
    pmx_stop >/dev/null 2>&1 || true
    if ((ADDED > 0)); then
        local cur
        cur=$(cat /proc/sys/vm/nr_hugepages)
        echo $((cur > ADDED ? cur - ADDED : 0)) >/proc/sys/vm/nr_hugepages || true
    fi
    (exit "$s")
    pmx_cleanup
}
pmx_traps
trap dumpcap_cleanup EXIT

# Hugepages for the primary and the secondary.
before=$(cat /proc/sys/vm/nr_hugepages)
echo $((before + PAGES)) >/proc/sys/vm/nr_hugepages || fail "cannot reserve hugepages"
ADDED=$(($(cat /proc/sys/vm/nr_hugepages) - before))
((ADDED >= 128)) || fail "only $ADDED of $PAGES hugepages could be reserved"
_tmpdir
mkdir -p "$PMX_TMP/huge"
info "reserved $ADDED hugepages"

topo_up
PMX_EAL_MEM="--huge-dir $PMX_TMP/huge -m 128"
PMX_WRAP=("$PMX_LIB_DIR/with_hugetlbfs.sh" "$PMX_TMP/huge")
pmx_start --listen 0.0.0.0:80=http
grep -q 'packet capture: ready' "$PMX_LOG" || fail "portmux did not initialise pdump"

# 1. Start the capture.
CAP="$PMX_TMP/capture.pcapng"
nsenter --target "$PMX_PID" --mount --net timeout 60 dpdk-dumpcap --file-prefix="pmx$$" -i 0 -w "$CAP" -a duration:30 \
    >"$PMX_TMP/dumpcap.log" 2>&1 &
CAP_PID=$!
deadline=$((SECONDS + 20))
# (stderr: "Packets captured: N" once it runs; its stdout is buffered.)
until grep -q 'Packets captured' "$PMX_TMP/dumpcap.log" 2>/dev/null; do
    pmx_pid_alive "$CAP_PID" || { cat "$PMX_TMP/dumpcap.log" >&2; fail "dpdk-dumpcap exited"; }
    ((SECONDS < deadline)) || { cat "$PMX_TMP/dumpcap.log" >&2; fail "dpdk-dumpcap not capturing after 20 s"; }
    sleep 0.1
done
info "dpdk-dumpcap pid $CAP_PID capturing"

# 2. A handshake to capture.
ip netns exec "$PEER_NS" timeout 20 curl -sS --noproxy '*' -o /dev/null "http://$DUT_IP/" || fail "curl failed"
sleep 1
kill -INT "$CAP_PID"
rc=0
wait "$CAP_PID" || rc=$?
CAP_PID=""
cat "$PMX_TMP/dumpcap.log"
((rc == 0 || rc == 130)) || fail "dpdk-dumpcap exited $rc"
[[ -s $CAP ]] || fail "no capture file"

# 3. Read it back, checksums validated.
ts=(tshark -r "$CAP" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE)
"${ts[@]}" >"$PMX_TMP/tshark.txt" 2>&1 || { cat "$PMX_TMP/tshark.txt" >&2; fail "tshark cannot read the capture"; }
cat "$PMX_TMP/tshark.txt"
# frame, src, SYN, ACK, IP checksum status, TCP checksum status (1 = Good)
"${ts[@]}" -Y tcp -T fields -E separator=' ' -e frame.number -e ip.src -e tcp.flags.syn \
    -e tcp.flags.ack -e ip.checksum.status -e tcp.checksum.status >"$PMX_TMP/fields.txt" 2>/dev/null \
    || fail "tshark -T fields failed"
awk -v peer="$PEER_IP" -v dut="$DUT_IP" '
    $2 == peer && $3 == 1 && $4 == 0 && !syn { syn = $1 }
    $2 == dut && $3 == 1 && $4 == 1 && syn && !synack { synack = $1 }
    $2 == peer && $3 == 0 && $4 == 1 && synack && !ack { ack = $1 }
    END { exit !(syn && synack && ack) }' "$PMX_TMP/fields.txt" \
    || fail "no SYN / SYN-ACK / ACK handshake in the capture"
bad=$(awk '$5 != 1 || $6 != 1' "$PMX_TMP/fields.txt")
[[ -z $bad ]] || fail "packets whose checksums tshark does not call Good (frame src syn ack ip tcp): $bad"
ntcp=$(wc -l <"$PMX_TMP/fields.txt")
malformed=$("${ts[@]}" -Y '_ws.malformed || _ws.expert.severity == "Error"' 2>/dev/null | wc -l)
((malformed == 0)) || fail "$malformed malformed or erroneous packets in the capture"
info "capture: handshake present, $ntcp TCP packets, every IPv4/TCP checksum Good, none malformed"

pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
