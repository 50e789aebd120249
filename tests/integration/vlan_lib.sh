# shellcheck shell=bash
# An 802.1Q trunk for the VLAN tests. This kernel has no VLAN devices
# (CONFIG_VLAN_8021Q is off, and the bridge has no VLAN filtering), so the
# "switch" is a namespace of pmx-impair instances (tests/impair, --vlan-a):
# one trunk veth to portmux's port, and per VLAN one access veth to a Linux
# namespace, whose frames go onto the trunk tagged with that VLAN and come
# back untagged (frames of other VLANs stay on the trunk). The Linux peers
# and devices are untagged hosts on their access links.
#
#   portmux port <-veth-> VLAN_SW_TRUNK [netns VLAN_SW_NS] --vlan-a VID-- access veth <-> NS IF
#
#   source vlan_lib.sh (after lib.sh or dut_lib.sh)
#   vlan_trunk_up NS_PMX IF_PMX [TRUNK]; vlan_access VID NS IF [TRUNK]; ...;
#   vlan_down (in the EXIT trap). TRUNK: the trunk's name in the switch
#   namespace, for a second trunk (default VLAN_SW_TRUNK).

# shellcheck source=tests/integration/impair_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/impair_lib.sh"

VLAN_SW_NS="vsw$$"
VLAN_SW_TRUNK="vswt$$"
VLAN_PIDS=()

# vlan_trunk_up NS_PMX IF_PMX [TRUNK]: the switch namespace (the first
# call) and a trunk to portmux's interface IF_PMX in NS_PMX (IPv6 and
# offloads off on both ends).
vlan_trunk_up() {
    local trunk=${3:-$VLAN_SW_TRUNK}
    _tmpdir
    ip netns list | grep -qw "$VLAN_SW_NS" || pmx_netns_add "$VLAN_SW_NS" || fail "ip netns add $VLAN_SW_NS"
    ip link add "$2" netns "$1" type veth peer name "$trunk" netns "$VLAN_SW_NS" ||
        fail "veth $2 ($1) <-> $trunk ($VLAN_SW_NS)"
    _impair_if_prep "$VLAN_SW_NS" "$trunk"
    _impair_if_prep "$1" "$2" # no IPv6: the kernel's own MLD/RS would be untagged trunk frames
}

# vlan_access VID NS IF [TRUNK]: an access port of VLAN VID: IF in NS
# (untagged, tx checksum off for portmux, IPv6 left to the caller) bridged
# onto the trunk by a pmx-impair --vlan-a VID.
vlan_access() {
    local vid=$1 ns=$2 ifc=$3 sw="vsw$$v$1" trunk=${4:-$VLAN_SW_TRUNK}
    ip link add "$ifc" netns "$ns" type veth peer name "$sw" netns "$VLAN_SW_NS" ||
        fail "veth $ifc ($ns) <-> $sw ($VLAN_SW_NS)"
    _impair_if_prep "$VLAN_SW_NS" "$sw"
    pmx_tx_csum_off "$ns" "$ifc" || fail "ethtool tx off on $ifc"
    ip -n "$ns" link set "$ifc" up || fail "link up $ifc"
    local log="$PMX_TMP/vlan$vid.log"
    ip netns exec "$VLAN_SW_NS" "$PMX_IMPAIR" --if-a "$trunk" --if-b "$sw" --vlan-a "$vid" \
        --stats "$PMX_TMP/vlan$vid.json" </dev/null >"$log" 2>&1 &
    VLAN_PIDS+=("$!")
    _impair_wait_ready "${VLAN_PIDS[-1]}" "$log" "pmx-impair (VLAN $vid)"
    pmx_wait_carrier "$ns" "$ifc" 5 || fail "no carrier on $ifc"
    info "VLAN $vid: $ns/$ifc <-> [$VLAN_SW_NS: pmx-impair --vlan-a $vid] <-> trunk $trunk"
}

# vlan_down: stops the bridges (by PID) and deletes the switch namespace.
# Idempotent; never fails.
vlan_down() {
    local pid
    for pid in "${VLAN_PIDS[@]}"; do pmx_stop_pid "$pid" "$IMPAIR_STOP_TIMEOUT" pmx-impair || true; done
    VLAN_PIDS=()
    pmx_netns_del "$VLAN_SW_NS"
}
