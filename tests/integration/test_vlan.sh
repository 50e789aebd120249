#!/usr/bin/env bash
# Integration test (issue 14): 802.1Q VLAN interfaces against Linux hosts on
# VLAN access links (vlan_lib.sh: this kernel has no VLAN devices, so a
# trunk "switch" of pmx-impair --vlan-a instances tags and untags).
#
#   netns vland (portmux)          switch            netns vlanp (peer A)
#   port 0 (no untagged addr) <-trunk-> VLAN 100 <-> va  198.18.1.2/24, 2001:2:1::2/64
#     0.100 198.18.1.1/24,          |    VLAN 300 <-> vc  198.18.3.2/24 (not ours)
#           2001:2:1::1/64          |                     netns vlanq (peer B)
#     0.200 198.18.1.1/24           +--- VLAN 200 <-> vb  198.18.1.2/24
#   (the switch namespace's kernel sends untagged frames on the trunk)
#
# The same address is ours on two VLANs and the peers on both are
# 198.18.1.2: only the interface tells their flows apart.
#  1. ping (IPv4 from A and B, IPv6 from A) 0 % loss; show neigh has
#     198.18.1.2 on 0.100 and on 0.200;
#  2. two connections with the same 4-tuple at once (A and B both bind
#     source port 40000 and connect to 198.18.1.1:7): both established in
#     show connections, each echoes its own bytes;
#  3. HTTP over each VLAN (curl from A and from B, bodies checked);
#  4. frames for VLAN 300 (ours on no interface) count in vlan_unknown, and
#     untagged frames on this VLAN-only port in vlan_untagged; neither
#     answered;
#  5. --route 2001:2:9::/64=2001:2:1::2 belongs to 0.100 (show routes);
#  6. show interfaces lists 0 (untagged dropped), 0.100 and 0.200 with
#     their addresses and frames; the Prometheus endpoint has
#     portmux_interface_rx_frames_total{interface="0.100"}.
# PMX_VLAN_OFFLOAD=1 runs the same with a profile asking for VLAN_INSERT
# and VLAN_STRIP (net_af_packet has both): the tags then go through the
# mbuf, not the frame (test_vlan_offload.sh).
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/vlan_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/vlan_lib.sh"
# shellcheck disable=SC2034  # lib.sh's names, read there
DUT_NS="vland$$"
PEER_NS="vlanp$$"
PEER_B_NS="vlanq$$"
# shellcheck disable=SC2034
DUT_IF="vd$$"
# shellcheck disable=SC2034
PMX_FILE_PREFIX="vlan$$"
PMX_NO_ADDR=1
OURS=198.18.1.1
PEER=198.18.1.2
OURS6=2001:2:1::1
PEER6=2001:2:1::2
ECHO_PORT=7
METRICS_PORT=9464

vlan_cleanup() {
    local st=$?
    vlan_down
    pmx_netns_del "$PEER_B_NS"
    return "$st"
}

require_root
trap 'vlan_cleanup; pmx_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_tmpdir
pmx_netns_add "$DUT_NS" "$PEER_NS" "$PEER_B_NS" || fail "ip netns add"
ip -n "$DUT_NS" link set lo up || fail "lo up in $DUT_NS"
vlan_trunk_up "$DUT_NS" "$DUT_IF"
vlan_access 100 "$PEER_NS" va
vlan_access 300 "$PEER_NS" vc
vlan_access 200 "$PEER_B_NS" vb
ip -n "$PEER_NS" addr add "$PEER/24" dev va || fail "addr on va"
ip -n "$PEER_NS" addr add 198.18.3.2/24 dev vc || fail "addr on vc"
ip -n "$PEER_B_NS" addr add "$PEER/24" dev vb || fail "addr on vb"
pmx_sysctl "$PEER_NS" net.ipv6.conf.va.accept_dad 0 || fail "accept_dad=0 on va"
pmx_sysctl "$PEER_NS" net.ipv6.conf.va.disable_ipv6 0 || fail "IPv6 on va"
ip -n "$PEER_NS" -6 addr add "$PEER6/64" dev va nodad || fail "IPv6 addr on va"
# Untagged frames: the switch namespace's own kernel on the trunk.
ip -n "$VLAN_SW_NS" addr add 198.18.0.2/24 dev "$VLAN_SW_TRUNK" || fail "addr on the trunk"
peer() { ip netns exec "$PEER_NS" "$@"; }
peer_b() { ip netns exec "$PEER_B_NS" "$@"; }

EXTRA=()
if [[ ${PMX_VLAN_OFFLOAD:-0} == 1 ]]; then
    _tmpdir
    sed -e 's/^rx_offloads =.*/rx_offloads = VLAN_STRIP/' -e 's/^tx_offloads =.*/tx_offloads = MULTI_SEGS VLAN_INSERT/' \
        "$PMX_REPO_ROOT/drivers_cfg/$PMX_PMD.ini" >"$PMX_TMP/vlan.ini"
    EXTRA=(--port-profile "0=$PMX_TMP/vlan.ini")
fi
pmx_start "${EXTRA[@]}" --dad-ms 200 --metrics "127.0.0.1:$METRICS_PORT" \
    --addr "0.100=$OURS/24" --addr "0.100=$OURS6/64" --addr "0.200=$OURS/24" \
    --listen "0.0.0.0:$ECHO_PORT=echo" --listen 0.0.0.0:80=http --msl-ms 1000 \
    --route 2001:2:9::/64=2001:2:1::2
if [[ ${PMX_VLAN_OFFLOAD:-0} == 1 ]]; then
    offl=$(ctl show port info 0) || fail "show port info 0"
    grep -q "RX offloads:.*VLAN_STRIP" <<<"$offl" || fail "VLAN_STRIP not granted: $offl"
    grep -q "TX offloads:.*VLAN_INSERT" <<<"$offl" || fail "VLAN_INSERT not granted: $offl"
    info "offloads: VLAN_STRIP and VLAN_INSERT granted"
fi

# 1. Reachability on both VLANs, one address.
for who in peer peer_b; do
    out=$("$who" ping -n -c 20 -i 0.01 -W 1 "$OURS" 2>&1) || fail "$who: ping $OURS: $out"
    grep -q " 0% packet loss" <<<"$out" || fail "$who: ping $OURS lost packets: $out"
done
out=$(peer ping -6 -n -c 20 -i 0.01 -W 1 "$OURS6" 2>&1) || fail "ping -6 $OURS6 over VLAN 100: $out"
grep -q " 0% packet loss" <<<"$out" || fail "ping -6 lost packets: $out"
info "ping: 20/20 on VLAN 100 and on VLAN 200 to one address; ping -6 20/20 on VLAN 100"
neigh=$(ctl show neigh) || fail "show neigh"
printf '%s\n' "$neigh"
for ifc in 0.100 0.200; do
    awk -v i="$ifc" -v a="$PEER" '$2 == i && $3 == a' <<<"$neigh" | grep -q . ||
        fail "show neigh has no $PEER on $ifc: $neigh"
done

# 2. One 4-tuple on two VLANs at once. Each peer connects from port 40000,
# waits for the other (a file each), sends its own line, reads it back.
_tmpdir
client() { # NAME: connect, mark connected, wait for go, echo a line
    cat >"$PMX_TMP/$1.py" <<PY
import os, socket, sys, time
s = socket.create_connection(("$OURS", $ECHO_PORT), timeout=5, source_address=("$PEER", 40000))
open("$PMX_TMP/$1.up", "w").close()
for _ in range(100):
    if os.path.exists("$PMX_TMP/go"): break
    time.sleep(0.05)
msg = b"hello from $1 " * 100
s.sendall(msg)
got = b""
while len(got) < len(msg):
    d = s.recv(65536)
    if not d: break
    got += d
s.close()
sys.exit(0 if got == msg else 1)
PY
}
client a
client b
peer python3 "$PMX_TMP/a.py" &
pa=$!
peer_b python3 "$PMX_TMP/b.py" &
pb=$!
for _ in $(seq 50); do [[ -e $PMX_TMP/a.up && -e $PMX_TMP/b.up ]] && break; sleep 0.1; done
conns=$(ctl show connections) || fail "show connections"
n=$(awk -v t="$OURS:$ECHO_PORT" -v r="$PEER:40000" '$4 == t && $5 == r && $6 == "ESTABLISHED"' <<<"$conns" | wc -l)
touch "$PMX_TMP/go"
wait "$pa" || fail "the VLAN 100 client's echo failed"
wait "$pb" || fail "the VLAN 200 client's echo failed"
((n == 2)) || fail "$n ESTABLISHED rows for $PEER:40000 -> $OURS:$ECHO_PORT, expected 2: $conns"
info "one 4-tuple twice: 2 ESTABLISHED rows ($PEER:40000 -> $OURS:$ECHO_PORT), each echoed its own bytes"

# 3. HTTP on each VLAN.
for who in peer peer_b; do
    body=$("$who" curl -sS --max-time 5 "http://$OURS/bytes/100000" | wc -c) || fail "$who: curl"
    ((body == 100000)) || fail "$who: curl got $body bytes, expected 100000"
done
info "curl: 100000 bytes over VLAN 100 and over VLAN 200"

# 4. VLAN 300 and untagged frames: counted, not answered. Static neighbour
# entries for our MAC, so that each ping is one frame (no ARP retries to
# count): 5 ICMP echoes over VLAN 300, 5 untagged from the switch's kernel.
mac=$(ctl show interfaces | awk '$1 == "0.100" { print $4 }')
[[ $mac =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] || fail "no MAC for 0.100 in show interfaces"
ip -n "$PEER_NS" neigh replace 198.18.3.1 lladdr "$mac" dev vc nud permanent || fail "neigh on vc"
ip -n "$VLAN_SW_NS" neigh replace 198.18.0.1 lladdr "$mac" dev "$VLAN_SW_TRUNK" nud permanent ||
    fail "neigh on the trunk"
unk0=$(counter vlan_unknown) || fail "vlan_unknown"
unt0=$(counter vlan_untagged) || fail "vlan_untagged"
peer ping -n -c 5 -i 0.05 -W 1 198.18.3.1 >/dev/null 2>&1 && fail "a ping over VLAN 300 was answered"
ip netns exec "$VLAN_SW_NS" ping -n -c 5 -i 0.05 -W 1 198.18.0.1 >/dev/null 2>&1 &&
    fail "an untagged ping was answered"
unk=$(($(counter vlan_unknown) - unk0))
unt=$(($(counter vlan_untagged) - unt0))
((unk >= 5)) || fail "vlan_unknown +$unk after 5 pings over VLAN 300"
((unt >= 5)) || fail "vlan_untagged +$unt after 5 untagged pings"
info "VLAN 300: vlan_unknown +$unk; untagged: vlan_untagged +$unt; none answered"

# 5. A route belongs to the interface with its gateway on-link: 0.100.
routes=$(ctl show routes) || fail "show routes"
awk '$1 == "0.100" && $2 == "2001:2:9::/64" && $3 == "2001:2:1::2" && $4 == "route"' <<<"$routes" |
    grep -q . || fail "show routes has no 0.100 row for 2001:2:9::/64 via 2001:2:1::2: $routes"
info "show routes: 2001:2:9::/64 via 2001:2:1::2 on 0.100"

# 6. show interfaces and the interface label.
ifs=$(ctl show interfaces) || fail "show interfaces"
printf '%s\n' "$ifs"
ctl show port info 0 | sed -n '/^RSS/,$p'
ctl show tcp stats | sed -n '/^Per port/,/^$/p'
grep -qE "^0 .*untagged frames dropped" <<<"$ifs" || fail "show interfaces: 0 is not marked VLAN-only"
for ifc in 0.100 0.200; do
    rx=$(awk -v i="$ifc" '$1 == i { print $5 }' <<<"$ifs")
    [[ $rx =~ ^[0-9]+$ ]] || fail "show interfaces: $ifc RX-frames '$rx'"
    ((rx > 20)) || fail "show interfaces: $ifc RX-frames $rx"
done
grep -qE "^0\.100 .*$OURS/24 $OURS6/64" <<<"$ifs" ||
    fail "show interfaces: 0.100 does not list $OURS/24 and $OURS6/64"
metrics=$(ip netns exec "$DUT_NS" curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics") ||
    fail "GET /metrics"
m=$(awk '/^portmux_interface_rx_frames_total\{.*interface="0.100"/ { print $NF }' <<<"$metrics")
[[ $m =~ ^[0-9]+$ ]] || fail "no portmux_interface_rx_frames_total for 0.100 ('$m')"
((m > 20)) || fail "portmux_interface_rx_frames_total for 0.100 is $m"
info "show interfaces and portmux_interface_rx_frames_total{interface=\"0.100\"} $m"

pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"
info "PASS"
