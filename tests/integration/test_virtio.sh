#!/usr/bin/env bash
# Integration test: portmux on the virtio PMD (net_virtio_user) over
# vhost-user to pmx-vhost-bridge, the host side, and through it to a Linux
# peer (virtio_lib.sh; docs/hardware.md, "The virtio harness"), with the
# offloads on or off (VIRTIO_OFFLOADS, default on). Checks:
#  1. 'show port info 0' lists what was negotiated: with offloads on, TX
#     TCP_CKSUM and TCP_TSO and RX TCP_CKSUM; off, none of them;
#  2. curl GET /bytes/8388608 over IPv4 and over IPv6: the bodies equal the
#     http service's pattern (cmp); a POST of 8 MiB of random bytes is
#     answered "received 8388608 bytes";
#  3. echo: 16 MiB of random bytes each way at once, SHA-256 equal both
#     ways (peers/hostile_clients.py);
#  4. the counters say which path ran: on, tcp_tso_sends > 0, every TCP
#     frame's checksum left to the device (tcp_tx_csum_software 0) and
#     received segments' checksums taken from the device's flag
#     (tcp_rx_csum_offload > 0); off, none of that (tcp_tso_sends 0,
#     tcp_tx_csum_offload 0, tcp_rx_csum_offload 0);
#  5. a capture on the peer's interface (dumpcap), read by tshark with
#     checksum validation: no TCP segment from portmux with a bad checksum,
#     none over 1460 payload bytes (TSO frames were cut), thousands of data
#     segments; with offloads on the bridge cut TSO frames (tso_cuts > 0);
#  6. portmux and the bridge exit cleanly; the bridge dropped nothing as bad.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"

[[ $PMX_PMD == virtio ]] || fail "run with PMX_PMD=virtio (meson: virtio-on, virtio-off)"
SIZE=8388608
CAP_PID=""
virtio_test_cleanup() {
    local status=$?
    [[ -n $CAP_PID ]] && { kill -TERM "$CAP_PID" 2>/dev/null || true; wait "$CAP_PID" 2>/dev/null || true; }
    (exit "$status")
    pmx_cleanup
}
require_root
pmx_traps
trap virtio_test_cleanup EXIT
for tool in curl tshark dumpcap; do
    command -v "$tool" >/dev/null || fail "$tool not installed (scripts/install-deps.sh)"
done
topo6_up
pmx_start6 --listen 0.0.0.0:80=http --listen "[::]:80=http" --listen 0.0.0.0:7=echo --msl-ms 1000
pmx_wait_cli "$DUT_NS" "$PMX_SOCK" "$PMX_PID" 30 "Link up" || fail "no link up on the virtio port"
peer() { ip netns exec "$PEER_NS" "$@"; }

# 1. Negotiated offloads.
info_out=$(ctl show port info 0) || fail "show port info 0"
printf '%s\n' "$info_out" | grep -E "Driver name|offloads"
tx=$(awk -F': ' '/^TX offloads:/ { print $2 }' <<<"$info_out")
rx=$(awk -F': ' '/^RX offloads:/ { print $2 }' <<<"$info_out")
if [[ $VIRTIO_OFFLOADS == on ]]; then
    [[ " $tx " == *" TCP_CKSUM "* && " $tx " == *" TCP_TSO "* ]] || fail "TX offloads '$tx' lack TCP_CKSUM/TCP_TSO"
    [[ " $rx " == *" TCP_CKSUM "* ]] || fail "RX offloads '$rx' lack TCP_CKSUM"
else
    [[ " $tx $rx " != *" TCP_CKSUM "* && " $tx " != *" TCP_TSO "* ]] || fail "offloads on with VIRTIO_OFFLOADS=off: TX '$tx', RX '$rx'"
fi

# 5 (start). The peer's capture of portmux's port-80 segments.
CAP="$PMX_TMP/peer.pcapng"
# Not through peer(): $! must be the capture itself (a function in the
# background is a subshell; killing it would leave dumpcap running).
ip netns exec "$PEER_NS" timeout 120 dumpcap -q -i "$PEER_IF" -f "tcp src port 80" -w "$CAP" \
    2>"$PMX_TMP/dumpcap.log" &
CAP_PID=$!
for _ in $(seq 50); do [[ -s $CAP ]] && break; sleep 0.1; done
[[ -s $CAP ]] || fail "dumpcap did not start: $(cat "$PMX_TMP/dumpcap.log")"

# 2. Bodies and an upload.
"$PMX_PYTHON" -c 'import sys; n = int(sys.argv[1]); sys.stdout.buffer.write(bytes(97 + i % 26 for i in range(n)))' \
    "$SIZE" >"$PMX_TMP/expected"
for url in "http://$DUT_IP" "http://[$DUT_IP6]"; do
    out=$(peer timeout 60 curl -sS --noproxy '*' --max-time 50 -o "$PMX_TMP/got" -w '%{http_code} %{size_download}' \
        "$url/bytes/$SIZE") || fail "curl $url/bytes/$SIZE failed ($out)"
    [[ $out == "200 $SIZE" ]] || fail "GET $url/bytes/$SIZE: '$out'"
    cmp -s "$PMX_TMP/expected" "$PMX_TMP/got" || fail "the body from $url differs from the pattern"
    info "GET $url/bytes/$SIZE: right"
done
head -c "$SIZE" /dev/urandom >"$PMX_TMP/upload"
out=$(peer timeout 60 curl -sS --noproxy '*' --max-time 50 -H 'Expect:' --data-binary "@$PMX_TMP/upload" \
    -w ' %{http_code}' "http://$DUT_IP/upload") || fail "curl POST failed ($out)"
[[ $out == "received $SIZE bytes"$'\n'" 200" ]] || fail "POST of $SIZE bytes answered '$out'"
info "POST of $SIZE bytes: answered 200"

# 3. Echo, both ways at once.
peer timeout 120 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/hostile_clients.py" echo "$DUT_IP" --mib 16 ||
    fail "echo of 16 MiB failed"
info "echo: 16 MiB each way, SHA-256 equal"

# 4. Which path ran.
tso=$(tcp_counter tcp_tso_sends) tso_bytes=$(tcp_counter tcp_tso_bytes)
txo=$(tcp_counter tcp_tx_csum_offload) txs=$(tcp_counter tcp_tx_csum_software)
rxo=$(tcp_counter tcp_rx_csum_offload) rxs=$(tcp_counter tcp_rx_csum_software)
info "TSO sends $tso ($tso_bytes bytes); TX checksums offloaded $txo, software $txs; RX offloaded $rxo, software $rxs"
if [[ $VIRTIO_OFFLOADS == on ]]; then
    ((tso > 0 && tso_bytes > tso)) || fail "no TSO segment sent with TSO on"
    ((txo > 0 && txs == 0)) || fail "TX checksums: $txo offloaded, $txs in software, with offloads on"
    ((rxo > 0)) || fail "no received checksum taken from the device's flag"
else
    ((tso == 0 && txo == 0 && rxo == 0)) || fail "offload counters moved with offloads off ($tso, $txo, $rxo)"
fi

# 5. What reached the peer, as its kernel saw it.
sleep 0.5
kill -TERM "$CAP_PID" 2>/dev/null || true
wait "$CAP_PID" 2>/dev/null || true
CAP_PID=""
read -r frames data bad biggest < <(tshark -r "$CAP" -o tcp.check_checksum:TRUE -T fields \
    -e tcp.len -e tcp.checksum.status 2>/dev/null |
    awk '{ n++; if ($1 > 0) d++; if ($2 == 0) b++; if ($1 > m) m = $1 } END { print n + 0, d + 0, b + 0, m + 0 }')
info "capture: $frames segments from port 80, $data with data, $bad bad checksums, largest $biggest bytes"
((frames > 1000 && data > 1000)) || fail "the capture has $frames segments ($data with data)"
((bad == 0)) || fail "$bad segments with a bad TCP checksum reached the peer"
((biggest <= 1460)) || fail "a $biggest-byte segment reached the peer (TSO not cut?)"

# 6. Clean exits, and what the bridge did.
pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
virtio_down || fail "pmx-vhost-bridge did not exit cleanly"
info "bridge: $(cat "$VIRTIO_STATS")"
[[ $(virtio_stat dropped_bad) == 0 ]] || fail "the bridge dropped frames as bad: $(cat "$VIRTIO_STATS")"
if [[ $VIRTIO_OFFLOADS == on ]]; then
    (($(virtio_stat tso_cuts) > $(virtio_stat tso_frames))) || fail "the bridge cut no TSO frame"
else
    [[ $(virtio_stat tso_frames) == 0 ]] || fail "TSO frames with offloads off"
fi
info "virtio with offloads $VIRTIO_OFFLOADS: PASS"
