# shellcheck shell=bash
# Two-port topology for the test_dut_*.sh tests (source instead of lib.sh):
# one portmux with two net_af_packet ports, the generator on port 0, the
# listeners on port 1, and a Linux namespace between them as the device
# under test (router, NAT, firewall; docs/dut-testing.md).
#
#   netns dutp$$ (portmux)                  netns dutr$$ (the DUT: Linux)
#   +------------------------------+        +-----------------------------+
#   | port 0: dut0a$$ (no IP)      |<-veth->| dut0b$$ 198.18.10.254/24    |
#   |   198.18.10.1-16/24          |        |   2001:2:10::fe/64          |
#   |   clients 198.18.80.0-       |        |   routes: 198.18.64.0/18    |
#   |     198.18.95.255/18 (4,096) |        |     via 198.18.10.1,        |
#   |   2001:2:11::1-1000/64       |        |     2001:2:11::/64          |
#   |   gateway 198.18.10.254      |        |     via 2001:2:10::1        |
#   |   generator runs here        |        |   ip_forward=1 rp_filter=0  |
#   | port 1: dut1a$$ (no IP)      |<-veth->| dut1b$$ 198.18.20.254/24    |
#   |   servers 198.18.20.1-16/24  |        |   2001:2:20::fe/64          |
#   |   gateway 198.18.20.254      |        |   (tx checksum off on both) |
#   |   --listen 0.0.0.0:80=http   |        +-----------------------------+
#   +------------------------------+
#
# The client range is off the router's subnets: the router reaches it by a
# route through portmux's first address, so it holds one neighbour for the
# 4,096 clients, not 4,096 (the neighbour table's gc_thresh3 is the host's,
# 1,024 by default, shared by every namespace: it cannot be raised for the
# DUT's namespace alone).
#
#   source dut_lib.sh; require_root; pmx_traps; dut_topo_up [v6]; dut_start ARGS...

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=tests/integration/vlan_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/vlan_lib.sh"

# lib.sh's, plus the VLAN switch's bridges and namespace when there is one.
topo_down() {
    vlan_down
    pmx_netns_del "$DUT_NS" "$PEER_NS"
}

DUT_NS="dutp$$"  # lib.sh's names: portmux's namespace, the first port's interface
PEER_NS="dutr$$" # and the DUT's namespace (topo_down deletes both)
DUT_IF="dut0a$$"
PEER_IF="dut0b$$"
DUT_IF1="dut1a$$"
PEER_IF1="dut1b$$"
PMX_FILE_PREFIX="dut$$"
DUT_IP=198.18.10.1
PREFIX_LEN=24
CLIENT_NET=198.18.10
SERVER_NET=198.18.20
ROUTER0=198.18.10.254
ROUTER1=198.18.20.254
CLIENT_NET6=2001:2:10:
SERVER_NET6=2001:2:20:
ROUTER0_6=2001:2:10::fe
ROUTER1_6=2001:2:20::fe
# DUT_VLAN=1: portmux's addresses on VLAN DUT_VLAN0 of port 0 and DUT_VLAN1
# of port 1 (dut_vlan_links); DUT_IFC0/1 name those interfaces.
DUT_VLAN0=100
DUT_VLAN1=200
DUT_IFC0=0
DUT_IFC1=1
if [[ ${DUT_VLAN:-0} == 1 ]]; then
    DUT_IFC0="0.$DUT_VLAN0"
    DUT_IFC1="1.$DUT_VLAN1"
fi
DUT_ADDRS=${DUT_ADDRS:-16} # addresses per port (198.18.10.1-16 on 0, servers on 1)
# The generator's source range on port 0 (both families): 4,096 addresses,
# routed by the DUT to portmux's first address.
CLIENT_PREFIX=198.18.64.0/18
CLIENT_RANGE=198.18.80.0-198.18.95.255
# shellcheck disable=SC2034  # the tests read it
CLIENT_COUNT=4096
CLIENT_PREFIX6=2001:2:11::/64
CLIENT_RANGE6=2001:2:11::1-2001:2:11::1000

# dut_link NS_PMX IF_PMX NS_DUT IF_DUT: one veth between portmux and the DUT.
dut_link() {
    pmx_veth "$1" "$2" "$3" "$4" || fail "veth $2/$4"
    # Linux would hand portmux frames with partial checksums otherwise.
    pmx_tx_csum_off "$3" "$4" || fail "ethtool tx off on $4"
    pmx_sysctl "$3" "net.ipv4.conf.$4.rp_filter" 0 || fail "rp_filter=0 on $4"
    ip -n "$1" link set "$2" up || fail "link up $2"
    ip -n "$3" link set "$4" up || fail "link up $4"
    pmx_wait_carrier "$3" "$4" 5 || fail "no carrier on $4"
}

# dut_topo_up [v6]: the namespaces, both links, the router's addresses and
# forwarding (IPv6 too with "v6"). The NAT and firewall tests add their
# nftables rules afterwards. DUT_VLAN=1: the links are VLAN access links of
# two trunks instead (dut_vlan_links).
# shellcheck disable=SC2120  # "v6" is optional
dut_topo_up() {
    _tmpdir
    pmx_netns_add "$DUT_NS" "$PEER_NS" || fail "ip netns add $DUT_NS $PEER_NS"
    pmx_sysctl "$PEER_NS" net.ipv4.conf.all.rp_filter 0 || fail "rp_filter=0 in $PEER_NS"
    pmx_sysctl "$PEER_NS" net.ipv4.conf.default.rp_filter 0 || fail "rp_filter=0 in $PEER_NS"
    if [[ ${DUT_VLAN:-0} == 1 ]]; then
        dut_vlan_links
    else
        dut_link "$DUT_NS" "$DUT_IF" "$PEER_NS" "$PEER_IF"
        dut_link "$DUT_NS" "$DUT_IF1" "$PEER_NS" "$PEER_IF1"
    fi
    ip -n "$PEER_NS" link set lo up || fail "lo up in $PEER_NS"
    ip -n "$PEER_NS" addr add "$ROUTER0/24" dev "$PEER_IF" || fail "addr on $PEER_IF"
    ip -n "$PEER_NS" addr add "$ROUTER1/24" dev "$PEER_IF1" || fail "addr on $PEER_IF1"
    pmx_sysctl "$PEER_NS" net.ipv4.ip_forward 1 || fail "ip_forward in $PEER_NS"
    ip -n "$PEER_NS" route add "$CLIENT_PREFIX" via "$DUT_IP" dev "$PEER_IF" || fail "route $CLIENT_PREFIX"
    if [[ ${1:-} == v6 ]]; then
        local i
        for i in "$PEER_IF" "$PEER_IF1"; do
            pmx_sysctl "$PEER_NS" "net.ipv6.conf.$i.accept_dad" 0 || fail "accept_dad=0 on $i"
            pmx_sysctl "$PEER_NS" "net.ipv6.conf.$i.disable_ipv6" 0 || fail "IPv6 on $i"
        done
        pmx_sysctl "$PEER_NS" net.ipv6.conf.all.forwarding 1 || fail "IPv6 forwarding in $PEER_NS"
        ip -n "$PEER_NS" -6 addr add "$ROUTER0_6/64" dev "$PEER_IF" nodad || fail "IPv6 addr on $PEER_IF"
        ip -n "$PEER_NS" -6 addr add "$ROUTER1_6/64" dev "$PEER_IF1" nodad || fail "IPv6 addr on $PEER_IF1"
        ip -n "$PEER_NS" -6 route add "$CLIENT_PREFIX6" via "${CLIENT_NET6}:1" dev "$PEER_IF" ||
            fail "route $CLIENT_PREFIX6"
    fi
    info "topology up: $DUT_NS ports $DUT_IF/$DUT_IF1 <-> DUT $PEER_NS ($PEER_IF $ROUTER0, $PEER_IF1 $ROUTER1)"
}

# dut_vlan_links: portmux's ports are 802.1Q trunks, the clients' side on
# VLAN DUT_VLAN0 (100) of port 0, the servers' on VLAN DUT_VLAN1 (200) of
# port 1; the router's two interfaces are untagged access links of those
# VLANs. This kernel has no 802.1Q devices, so the router cannot tag: the
# switch of vlan_lib.sh (pmx-impair --vlan-a) does. dut_start then puts
# portmux's addresses on 0.DUT_VLAN0 and 1.DUT_VLAN1, nothing untagged.
dut_vlan_links() {
    vlan_trunk_up "$DUT_NS" "$DUT_IF" "vswt$$a"
    vlan_trunk_up "$DUT_NS" "$DUT_IF1" "vswt$$b"
    vlan_access "$DUT_VLAN0" "$PEER_NS" "$PEER_IF" "vswt$$a"
    vlan_access "$DUT_VLAN1" "$PEER_NS" "$PEER_IF1" "vswt$$b"
    local i
    for i in "$PEER_IF" "$PEER_IF1"; do
        pmx_sysctl "$PEER_NS" "net.ipv4.conf.$i.rp_filter" 0 || fail "rp_filter=0 on $i"
    done
}

# dut_start [v6] [extra application args...]: portmux on both ports with
# DUT_ADDRS addresses each (lib.sh adds the first, $DUT_IP; IPv6 too with
# "v6") and the client range on port 0, both gateways, an http listener on
# every address of either family, TIME_WAIT 2 s.
# shellcheck disable=SC2120  # "v6" and extra arguments are optional
dut_start() {
    local c0=$DUT_IFC0 c1=$DUT_IFC1 # "0" and "1", or "0.100" and "1.200" (DUT_VLAN=1)
    local -a args=(--gateway "$c0=$ROUTER0" --gateway "$c1=$ROUTER1"
        --listen 0.0.0.0:80=http --msl-ms 1000 --dad-ms 0)
    local i v6=0
    [[ ${1:-} == v6 ]] && { v6=1; shift; }
    if [[ $c0 != 0 ]]; then # lib.sh's first address goes on the VLAN too
        PMX_NO_ADDR=1
        args+=(--addr "$c0=$DUT_IP/$PREFIX_LEN")
    fi
    for ((i = 2; i <= DUT_ADDRS; i++)); do args+=(--addr "$c0=$CLIENT_NET.$i/24"); done
    args+=(--addr "$c0=$CLIENT_RANGE/${CLIENT_PREFIX#*/}")
    for ((i = 1; i <= DUT_ADDRS; i++)); do args+=(--addr "$c1=$SERVER_NET.$i/24"); done
    if ((v6)); then
        args+=(--gateway "$c0=$ROUTER0_6" --gateway "$c1=$ROUTER1_6" --listen "[::]:80=http")
        args+=(--addr "$c0=$CLIENT_RANGE6/${CLIENT_PREFIX6#*/}")
        for ((i = 1; i <= DUT_ADDRS; i++)); do
            args+=(--addr "$c0=$CLIENT_NET6:$(printf %x "$i")/64" --addr "$c1=$SERVER_NET6:$(printf %x "$i")/64")
        done
    fi
    # shellcheck disable=SC2054  # the commas belong to the EAL argument
    PMX_EAL_EXTRA=(--vdev="net_af_packet1,iface=$DUT_IF1,qpairs=1")
    PMX_WORKERS=1
    pmx_start "${args[@]}" "$@"
}

# dut_nft RULESET: load an nftables ruleset in the DUT's namespace.
dut_nft() {
    ip netns exec "$PEER_NS" nft -f - <<<"$1" || fail "nft ruleset refused: $1"
}

# dut_count_sources: the DUT records every source address it forwards from
# port 0's side (an nftables set per family, table inet dutsrc); dut_sources_seen 4|6 counts
# them. A table of its own: the NAT's and firewall's rulesets are apart.
dut_count_sources() {
    dut_nft "table inet dutsrc {
  set seen4 { type ipv4_addr; size 65536; flags dynamic; }
  set seen6 { type ipv6_addr; size 65536; flags dynamic; }
  chain sources {
    type filter hook forward priority filter - 10;
    iifname \"$PEER_IF\" meta nfproto ipv4 update @seen4 { ip saddr }
    iifname \"$PEER_IF\" meta nfproto ipv6 update @seen6 { ip6 saddr }
  }
}"
}
dut_sources_seen() {
    ip netns exec "$PEER_NS" nft -j list set inet dutsrc "seen$1" | "$PMX_PYTHON" -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    if "set" in o:
        print(len(o["set"].get("elem", [])))'
}

# gen_field NAME: a field of 'show gen json' by its path, e.g.
# connections.completed or errors.refused (an integer).
gen_field() {
    ctl show gen json | "$PMX_PYTHON" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# per_port ROW PORT: a row of the "Per port" table of 'show tcp stats'.
per_port() {
    ctl show tcp stats | awk -v r="$1" -v c=$(($2 + 2)) '
        /^Per port/ { t = 1; next } t && $1 == r { print $c; exit }'
}

# listener_accepted ADDR:PORT: the listener's handshakes completed, summed
# over workers ('show listeners').
listener_accepted() {
    ctl show listeners | awk -v a="$1" '$1 == a { print $5; found = 1 } END { exit !found }'
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [[ $2 == "$3" ]] || fail "$1 = $2, expected $3"
}
