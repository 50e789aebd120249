# shellcheck shell=bash
# Shared helpers for the portmux integration tests (source, do not execute).
#
# Topology (all names unique per run through $$, all addresses in 198.18.0.0/15):
#
#   netns pmxd$$ ("dut")                    netns pmxp$$ ("peer")
#   +---------------------------+           +-------------------------------+
#   | portmux on net_af_packet0 |           | Linux stack, ping, scapy      |
#   |   iface pmxd$$a (no IP)   |<--veth--->|   iface pmxp$$b 198.18.0.2/24 |
#   |   appliance addr          |           |   tx csum off, IPv6 off,      |
#   |   198.18.0.1/24           |           |   arp_accept=1                |
#   +---------------------------+           +-------------------------------+
#
# The caller is expected to:
#   source lib.sh; require_root; trap pmx_cleanup EXIT; topo_up; pmx_start; ...
# Every helper either succeeds or calls fail (which exits 1 after printing the
# appliance log); the EXIT trap stops portmux and deletes the namespaces.
#
# What the bench and scripts/run.sh share with the tests (processes by PID,
# namespaces and veths, hugepages, starting portmux and waiting for its CLI)
# is in scripts/lib/pmx.sh, sourced here; this file adds the test topology,
# fail() and the readers of counters and CLI output.

PMX_LIB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
PMX_REPO_ROOT=$(cd -- "$PMX_LIB_DIR/../.." && pwd)
# shellcheck source=scripts/lib/pmx.sh
source "$PMX_REPO_ROOT/scripts/lib/pmx.sh"
# scapy is only installed for the system interpreter (python3 on PATH may be a
# pyenv build without it).
PMX_PYTHON=${PMX_PYTHON:-/usr/bin/python3}

DUT_NS="pmxd$$"
PEER_NS="pmxp$$"
DUT_IF="pmxd$$a"     # <= 12 chars even with a 7-digit pid
PEER_IF="pmxp$$b"
DUT_IP=198.18.0.1
PEER_IP=198.18.0.2
PREFIX_LEN=24

PMX_PID=""
PMX_TMP=""
PMX_SOCK=""
PMX_LOG=""
# shellcheck disable=SC2034  # read by the test scripts
PMX_EXIT=""           # exit status of portmux after pmx_stop

# Bounds (seconds).
PMX_START_TIMEOUT=${PMX_START_TIMEOUT:-20}
PMX_STOP_TIMEOUT=${PMX_STOP_TIMEOUT:-10}

info() { printf '[%s] %s\n' "${0##*/}" "$*"; }

# Skip (meson code 77) only when not root; anything else missing is a failure.
require_root() {
    if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
        info "SKIP: needs root (network namespaces, af_packet)"
        exit 77
    fi
}

pmx_print_log() {
    if [[ -n $PMX_LOG && -f $PMX_LOG ]]; then
        echo "----- portmux log ($PMX_LOG) -----" >&2
        cat -- "$PMX_LOG" >&2
        echo "----- end of portmux log -----" >&2
    else
        echo "(no portmux log)" >&2
    fi
}

# fail MSG...: print the message and the appliance log, exit 1.  Safe to call
# from the main shell only (not from inside $(...)); helpers meant to be used
# in command substitutions return non-zero instead.
fail() {
    echo "FAIL: $*" >&2
    # Stop first so that the log also holds the shutdown messages.
    pmx_stop >&2 || true
    pmx_print_log
    exit 1
}

_tmpdir() {
    if [[ -z $PMX_TMP ]]; then
        PMX_TMP=$(mktemp -d "/tmp/pmx.$$.XXXXXX") || fail "mktemp failed"
    fi
}

# ----------------------------------------------------------------- topology --

topo_up() {
    _tmpdir
    pmx_netns_add "$DUT_NS" "$PEER_NS" || fail "ip netns add $DUT_NS $PEER_NS"
    pmx_veth "$DUT_NS" "$DUT_IF" "$PEER_NS" "$PEER_IF" || fail "veth $DUT_IF/$PEER_IF (IPv6 off)"
    # Let the peer learn our MAC from the gratuitous ARP (RFC 5227 announcement).
    pmx_sysctl "$PEER_NS" "net.ipv4.conf.$PEER_IF.arp_accept" 1 || fail "arp_accept on $PEER_IF"
    pmx_tx_csum_off "$PEER_NS" "$PEER_IF" || fail "ethtool tx off on $PEER_IF"

    ip -n "$PEER_NS" addr add "$PEER_IP/$PREFIX_LEN" dev "$PEER_IF" || fail "addr on $PEER_IF"
    ip -n "$PEER_NS" link set lo up || fail "lo up in $PEER_NS"
    ip -n "$DUT_NS" link set "$DUT_IF" up || fail "link up $DUT_IF"
    ip -n "$PEER_NS" link set "$PEER_IF" up || fail "link up $PEER_IF"
    pmx_wait_carrier "$PEER_NS" "$PEER_IF" 5 || fail "no carrier on $PEER_IF after 5 s"
    info "topology up: $DUT_NS/$DUT_IF (no IP) <-> $PEER_NS/$PEER_IF $PEER_IP/$PREFIX_LEN"
}

# Idempotent.
topo_down() {
    pmx_netns_del "$DUT_NS" "$PEER_NS"
}

# --------------------------------------------------------------- appliance --

_check_binaries() {
    [[ -x $PORTMUX ]] || fail "portmux binary not found or not executable: $PORTMUX (set PORTMUX)"
    [[ -x $PORTMUX_CTL ]] || fail "portmux-ctl binary not found or not executable: $PORTMUX_CTL (set PORTMUX_CTL)"
}

# The DPDK port on the dut interface. PMX_PMD=af_packet (default) or pcap.
# DPDK 22.11's net_af_packet joins a PACKET_FANOUT group with
# PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles (or holds) IP
# fragments before the appliance sees them; net_pcap's libpcap socket does
# not, which is how the fragment case reaches the appliance.
PMX_PMD=${PMX_PMD:-af_packet}
# EAL memory arguments. Tests that need multi-process (dpdk-dumpcap, a
# secondary) set hugepages up (hugepages_up) and override this.
PMX_EAL_MEM=${PMX_EAL_MEM:---no-huge --no-shconf}
# Words run before portmux inside the dut namespace (a wrapper that execs its
# arguments, so $! stays portmux), e.g. with_hugetlbfs.sh DIR.
PMX_WRAP=()
# More EAL words after the dut port's --vdev (e.g. a second port's --vdev).
PMX_EAL_EXTRA=()
# More application words before the caller's (virtio_lib.sh: a profile).
PMX_APP_EXTRA=()
# PMX_PMD=virtio: portmux on net_virtio_user behind pmx-vhost-bridge.
if [[ $PMX_PMD == virtio ]]; then
    # shellcheck source=tests/integration/virtio_lib.sh
    source "$PMX_LIB_DIR/virtio_lib.sh"
fi
# pmx_lcores: EAL lcore arguments for PMX_WORKERS workers (default 1) plus
# the main lcore. With more workers than spare CPUs, workers share CPUs
# (--lcores N@CPU): slow, but every multi-worker path runs.
pmx_lcores() {
    local w=${PMX_WORKERS:-1} ncpu i spec="0@0"
    ncpu=$(nproc)
    if ((w + 1 <= ncpu)); then
        echo "-l 0-$w"
        return
    fi
    for ((i = 1; i <= w; i++)); do spec+=",$i@$(((i - 1) % (ncpu - 1) + 1))"; done
    echo "--lcores $spec"
}

# PMX_AF_FRAMES: af_packet ring frames (framecnt=); unset, portmux takes the
# af_packet profile's vdev_defaults (drivers_cfg/af_packet.ini).
pmx_vdev() {
    case $PMX_PMD in
        af_packet) echo "--vdev=net_af_packet0,iface=$DUT_IF,qpairs=${PMX_WORKERS:-1}${PMX_AF_FRAMES:+,framecnt=$PMX_AF_FRAMES}" ;;
        pcap) echo "--vdev=net_pcap0,iface=$DUT_IF" ;;
        virtio) virtio_vdev ;;
        *) fail "PMX_PMD='$PMX_PMD': want af_packet, pcap or virtio" ;;
    esac
}

# pmx_cmd [extra application args...]: sets PMX_CMD to the command line of
# portmux on the dut port: its own file prefix (pmx$$), the dut address
# (PMX_NO_ADDR=1: none, e.g. a port whose interfaces are all VLANs).
pmx_cmd() {
    local -a PMX_DEFAULT_ADDR=(--addr "0=$DUT_IP/$PREFIX_LEN")
    [[ -z ${PMX_NO_ADDR:-} ]] || PMX_DEFAULT_ADDR=()
    local -a lcores mem
    read -ra lcores <<<"$(pmx_lcores)"
    read -ra mem <<<"$PMX_EAL_MEM"
    # shellcheck disable=SC2054  # the commas belong to the EAL arguments
    PMX_CMD=(
        "$PORTMUX" "${mem[@]}" --no-pci --file-prefix "${PMX_FILE_PREFIX:-pmx$$}" "${lcores[@]}"
        "$(pmx_vdev)" "${PMX_EAL_EXTRA[@]}"
        --
        "${PMX_DEFAULT_ADDR[@]}"
        "${PMX_APP_EXTRA[@]}"
        "$@"
    )
}

# pmx_start [extra application args...]
# Starts portmux inside the dut namespace and waits until its CLI answers.
# shellcheck disable=SC2120  # extra arguments are optional
pmx_start() {
    _check_binaries
    _tmpdir
    [[ -z $PMX_PID ]] || fail "pmx_start: portmux already running (pid $PMX_PID)"
    PMX_SOCK="$PMX_TMP/cli.sock"
    PMX_LOG="$PMX_TMP/portmux.log"
    rm -f -- "$PMX_SOCK"
    PMX_EXIT=""
    [[ $PMX_PMD != virtio ]] || virtio_up

    pmx_cmd --cli-socket "$PMX_SOCK" "$@"
    info "starting: ip netns exec $DUT_NS ${PMX_CMD[*]}"
    pmx_spawn "$DUT_NS" "$PMX_LOG" "${PMX_WRAP[@]}" "${PMX_CMD[@]}"
    PMX_PID=$PMX_STARTED
    info "portmux pid $PMX_PID, log $PMX_LOG"
    # The socket may be bound slightly before the server accepts: this polls
    # a harmless command until it answers.
    pmx_wait_cli "$DUT_NS" "$PMX_SOCK" "$PMX_PID" "$PMX_START_TIMEOUT" ||
        fail "portmux did not answer on $PMX_SOCK"
    info "portmux is up (CLI answers on $PMX_SOCK)"
}

# pmx_stop: SIGTERM, bounded wait, SIGKILL fallback.  Returns 0 if portmux
# exited by itself with status 0 or 143 (default SIGTERM action), 1 otherwise
# (crash on shutdown, needed SIGKILL, ...).  Idempotent.
pmx_stop() {
    [[ -n $PMX_PID ]] || return 0
    local pid=$PMX_PID
    PMX_PID=""
    pmx_stop_pid "$pid" "$PMX_STOP_TIMEOUT" portmux
    # shellcheck disable=SC2034  # read by the test scripts
    PMX_EXIT=$STOP_RC
    if ((STOP_KILLED)) || { ((STOP_RC != 0)) && ((STOP_RC != 143)); }; then
        return 1
    fi
    return 0
}

# Cleanup for trap EXIT: never fails, keeps the script's exit status.
pmx_cleanup() {
    local status=$?
    trap - EXIT
    pmx_stop >/dev/null 2>&1 || true
    [[ $PMX_PMD != virtio ]] || virtio_down >/dev/null 2>&1 || true
    topo_down
    if [[ -n $PMX_TMP && -d $PMX_TMP ]]; then
        rm -rf -- "$PMX_TMP"
    fi
    exit "$status"
}

# Install the traps (EXIT plus the usual signals, which exit through EXIT).
pmx_traps() {
    trap pmx_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

# ctl WORDS...: run one CLI command through portmux-ctl (bounded in time).
# The client runs inside the dut namespace so that an abstract or path
# socket both work.
ctl() {
    [[ -n $PMX_SOCK ]] || { echo "ctl: portmux not started" >&2; return 1; }
    timeout "$PMX_CTL_TIMEOUT" ip netns exec "$DUT_NS" "$PORTMUX_CTL" -s "$PMX_SOCK" "$@"
}

# ip_stats_snapshot FILE: save the output of 'show ip stats'.
ip_stats_snapshot() {
    { ctl show ip stats && ctl show tcp stats; } >"$1"
}

# stat_from FILE NAME: total of counter NAME in a saved 'show ip stats'
# (second field of the line whose first field is NAME).
stat_from() {
    awk -v n="$2" '$1 == n && $2 ~ /^[0-9]+$/ { print $2; found = 1; exit } END { exit !found }' "$1"
}

# counter NAME: print the current total of a counter of 'show ip stats' or
# 'show tcp stats'.  Returns 1 (with a message on stderr) if a command fails
# or the counter is missing, so use it as   v=$(counter NAME) || fail "..."
counter() {
    local out
    out=$(ctl show ip stats && ctl show tcp stats && ctl show gen stats) ||
        { echo "counter: 'show ip/tcp/gen stats' failed" >&2; return 1; }
    awk -v n="$1" '$1 == n && $2 ~ /^[0-9]+$/ { print $2; found = 1; exit } END { exit !found }' <<<"$out" \
        || { echo "counter: no counter '$1' in 'show ip/tcp stats'" >&2; return 1; }
}

# port_stat FIELD: sum of FIELD (e.g. RX-packets, TX-packets) over all ports
# from 'show port stats all' (testpmd layout "RX-packets: N  RX-missed: N ...").
port_stat() {
    local out
    out=$(ctl show port stats all) || { echo "port_stat: 'show port stats all' failed" >&2; return 1; }
    awk -v f="$1:" '
        { for (i = 1; i < NF; i++) if ($i == f && $(i + 1) ~ /^[0-9]+$/) { s += $(i + 1); found = 1 } }
        END { if (!found) exit 1; print s }' <<<"$out" \
        || { echo "port_stat: no '$1:' in 'show port stats all'" >&2; return 1; }
}

# pmx_mac: our MAC from 'show port info 0', lowercase.
pmx_mac() {
    local out mac
    out=$(ctl show port info 0) || { echo "pmx_mac: 'show port info 0' failed" >&2; return 1; }
    mac=$(awk -F'MAC address:' 'NF > 1 { gsub(/[[:space:]]/, "", $2); print tolower($2); exit }' <<<"$out")
    if [[ ! $mac =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]]; then
        echo "pmx_mac: no 'MAC address: xx:xx:xx:xx:xx:xx' line in 'show port info 0':" >&2
        echo "$out" >&2
        return 1
    fi
    echo "$mac"
}

# peer_neigh: "lladdr state" of 198.18.0.1 in the peer's neighbour table, or
# nothing.
peer_neigh() {
    ip -n "$PEER_NS" neigh show "$DUT_IP" dev "$PEER_IF" 2>/dev/null | awk '
        { mac = ""; for (i = 1; i < NF; i++) if ($i == "lladdr") mac = tolower($(i + 1));
          print (mac == "" ? "-" : mac), $NF; exit }'
}

# peer_ping COUNT INTERVAL: ping 198.18.0.1 from the peer; prints ping's
# output; sets PING_TX, PING_RX, PING_LOSS (percent, as printed), PING_DUP.
peer_ping() {
    local count=$1 interval=$2 out summary
    # Bounded: count*interval plus reply wait, with a generous hard limit.
    out=$(timeout 120 ip netns exec "$PEER_NS" ping -n -c "$count" -i "$interval" -W 1 "$DUT_IP" 2>&1) || true
    summary=$(grep -E 'packets transmitted' <<<"$out" || true)
    echo "$out" | tail -n 3
    PING_TX=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' <<<"$summary")
    PING_RX=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$summary")
    PING_LOSS=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' <<<"$summary")
    PING_DUP=$(sed -nE 's/.*\+([0-9]+) duplicates.*/\1/p' <<<"$summary")
    PING_TX=${PING_TX:--1} PING_RX=${PING_RX:--1} PING_LOSS=${PING_LOSS:-100} PING_DUP=${PING_DUP:-0}
}

# expect_ping COUNT INTERVAL: ping and fail unless all COUNT echo requests
# were answered exactly once.
expect_ping() {
    local count=$1 interval=$2
    info "ping -c $count -i $interval -W 1 $DUT_IP from $PEER_NS"
    peer_ping "$count" "$interval"
    info "ping: transmitted $PING_TX, received $PING_RX, loss $PING_LOSS%, duplicates $PING_DUP"
    [[ $PING_TX == "$count" ]] || fail "ping transmitted $PING_TX, expected $count"
    [[ $PING_LOSS == 0 && $PING_RX == "$count" ]] || fail "ping: $PING_LOSS% packet loss ($PING_RX/$PING_TX received), expected 0%"
    [[ $PING_DUP == 0 ]] || fail "ping: $PING_DUP duplicate replies"
}

# tcp_counter NAME: print the current total of a TCP counter (a row
# '  NAME TOTAL PER-LCORE...' of 'show tcp stats', e.g. tcp_passive_opens).
# Returns 1 with a message on stderr if it is missing:
#   v=$(tcp_counter NAME) || fail "..."
tcp_counter() {
    local out
    out=$(ctl show tcp stats) || { echo "tcp_counter: 'show tcp stats' failed" >&2; return 1; }
    awk -v n="$1" '$1 == n && $2 ~ /^[0-9]+$/ { print $2; found = 1; exit } END { exit !found }' <<<"$out" \
        || { echo "tcp_counter: no counter '$1' in 'show tcp stats'" >&2; return 1; }
}

# gen_wait_done SECONDS: wait (bounded) until the generator's run has ended
# ('show gen stats' says "gen done"); prints the final report.
gen_wait_done() {
    local limit=$1 t0=$SECONDS out
    while :; do
        out=$(ctl show gen stats) || { echo "gen_wait_done: 'show gen stats' failed" >&2; return 1; }
        if [[ $out == "gen done:"* ]]; then
            sed -n '1,/^  errors:/p' <<<"$out"
            return 0
        fi
        ((SECONDS - t0 < limit)) || { echo "gen_wait_done: run not done after $limit s:" >&2; echo "$out" | head -8 >&2; return 1; }
        sleep 0.2
    done
}

# gen_errors_total: the generator's errors of every kind, summed.
gen_errors_total() {
    local n s=0 v
    for n in refused reset timeout bad_response ports_exhausted no_resources; do
        v=$(counter "gen_err_$n") || return 1
        s=$((s + v))
    done
    echo "$s"
}

# expect_only_time_wait_then_empty MSL_MS: after a run's last close, the
# appliance holds nothing but LISTEN and TIME_WAIT rows, and once 2*MSL (+1 s)
# has passed its flow tables are empty. Fails the test otherwise.
# expect_only_time_wait LIMIT: within LIMIT seconds the appliance holds no
# connection but LISTEN and TIME_WAIT rows. Polled: a last FIN or its ACK
# lost on a lossy link keeps a row in LAST_ACK or FIN_WAIT until the FIN's
# retransmission (RFC 9293 3.10.7.4), so one fixed sleep is a race.
expect_only_time_wait() {
    local limit=$1 t0=$SECONDS left
    while :; do
        left=$(ctl show connections | awk 'NR > 1 && $6 != "LISTEN" && $6 != "TIME_WAIT"') ||
            fail "show connections failed"
        [[ -n $left ]] || return 0
        ((SECONDS - t0 < limit)) || fail "connections left in other states than TIME_WAIT after $limit s:"$'\n'"$left"
        sleep 0.2
    done
}

expect_only_time_wait_then_empty() {
    local msl_ms=$1 entries
    expect_only_time_wait 5
    sleep $((2 * msl_ms / 1000 + 1))
    entries=$(flow_entries) || fail "show flowtable failed"
    ((entries == 0)) || fail "flow table still holds $entries entries after 2*MSL:"$'\n'"$(ctl show connections)"
}

# flow_entries: flow table entries summed over the workers ('show flowtable').
flow_entries() {
    local out
    out=$(ctl show flowtable) || { echo "flow_entries: 'show flowtable' failed" >&2; return 1; }
    awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { s += $2; found = 1 } END { if (!found) exit 1; print s }' <<<"$out" \
        || { echo "flow_entries: no lcore rows in 'show flowtable'" >&2; return 1; }
}
