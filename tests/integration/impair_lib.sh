# shellcheck shell=bash
# A hostile link between two endpoints for the integration tests (source, do
# not execute). Sources lib.sh (info, fail, pmx_pid_alive, PMX_TMP, pmx_cleanup)
# unless the caller already did.
#
#   netns NS_A          netns pmxm$$ ("mid")                        netns NS_B
#   +--------+          +-------------------------------------+     +--------+
#   |  IF_A  |<--veth-->| pmxm$$a  <- pmx-impair ->  pmxm$$b  |<--->|  IF_B  |
#   +--------+          +-------------------------------------+     +--------+
#
# pmx-impair (tests/impair) bridges the two mid interfaces and drops,
# duplicates, corrupts, delays and reorders IPv4 and IPv6 frames (not ARP or
# neighbour discovery, which are only delayed) per direction
# ("a_to_b" is IF_A -> IF_B). All four interfaces have IPv6 off and every
# offload off (ethtool -K tx rx tso gso gro lro off), so frames cross as real
# MTU-sized frames with complete checksums and the receiving kernel verifies
# them. No addresses are assigned: the caller adds them (only from
# 198.18.0.0/15), or runs portmux on IF_A or IF_B without one.
#
# Functions (call them from the main shell, not from inside $(...)):
#   impair_traps
#       Installs the EXIT/INT/TERM/HUP traps (impair_cleanup); use it instead
#       of pmx_traps.
#   impair_up NS_A IF_A NS_B IF_B "IMPAIR ARGS"
#       NS_A, NS_B: namespace of each endpoint. An existing namespace is used
#       as is and left alone on teardown (e.g. lib.sh's $DUT_NS for portmux);
#       a missing one is created (lo up) and deleted on teardown; "-" is the
#       root namespace. IF_A, IF_B: endpoint interfaces to create (must not
#       exist yet). IMPAIR ARGS: pmx-impair options, word-split, without
#       --if-a/--if-b/--stats (e.g. "--seed 1 --loss 0.03 --delay-ms 2").
#       Returns once pmx-impair is forwarding and both endpoints have carrier.
#   hostile_up SEED
#       The hostile tests' standard link between lib.sh's dut and peer
#       namespaces (see the function).
#   impair_down
#       SIGTERM to pmx-impair, bounded wait, SIGKILL fallback; it writes its
#       counters to $IMPAIR_STATS on the way out. Returns 0 iff it exited
#       with status 0 and the stats file exists. Idempotent.
#   impair_stat DIR NAME
#       Prints counter NAME (frames_in, forwarded, dropped, duplicated,
#       corrupted, reordered, delayed, oversize, truncated, overflow,
#       discarded, tx_errors, kernel_drops, queue_drops, bytes_forwarded,
#       vlan_filtered) of
#       direction DIR (a_to_b, b_to_a)
#       from $IMPAIR_STATS (after impair_down). Returns 1 if missing.
#   impair_teardown
#       impair_down, then deletes the mid namespace (which destroys both veth
#       pairs) and the endpoint namespaces impair_up created. Idempotent.
#   impair_cleanup
#       EXIT trap: runs the IMPAIR_ON_EXIT hooks, impair_teardown, prints
#       the pmx-impair log if the script failed, then pmx_cleanup (which
#       exits with the script's status). Add your own clean-up (stopping
#       background helpers you started) with IMPAIR_ON_EXIT+=(FUNCTION)
#       rather than wrapping this trap: a wrapper would hide the status.
#
# Variables set by impair_up: IMPAIR_NS (mid namespace), IMPAIR_MID_A,
# IMPAIR_MID_B (mid interfaces), IMPAIR_PID, IMPAIR_LOG, IMPAIR_STATS,
# IMPAIR_EXIT (pmx-impair's status after impair_down).
#
# Example (portmux on the A side, Linux on the B side):
#   source impair_lib.sh; require_root; impair_traps
#   ip netns add "$DUT_NS"
#   impair_up "$DUT_NS" "$DUT_IF" "$PEER_NS" "$PEER_IF" "--seed 7 --loss 0.01 --delay-ms 5"
#   ip -n "$PEER_NS" addr add "$PEER_IP/$PREFIX_LEN" dev "$PEER_IF"
#   pmx_start; ...; impair_down; dropped=$(impair_stat a_to_b dropped)

if ! declare -F pmx_cleanup >/dev/null; then
    # shellcheck source=tests/integration/lib.sh
    source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
fi

PMX_IMPAIR=${PMX_IMPAIR:-$PMX_REPO_ROOT/build/tests/impair/pmx-impair}
IMPAIR_READY_TIMEOUT=${IMPAIR_READY_TIMEOUT:-10}
IMPAIR_STOP_TIMEOUT=${IMPAIR_STOP_TIMEOUT:-10}

IMPAIR_NS="pmxm$$"
IMPAIR_MID_A="pmxm$$a"
IMPAIR_MID_B="pmxm$$b"
IMPAIR_PID=""
IMPAIR_LOG=""
IMPAIR_STATS=""
IMPAIR_EXIT=""
IMPAIR_OWNED_NS=()   # endpoint namespaces impair_up created
IMPAIR_ON_EXIT=()    # functions impair_cleanup runs first (caller's helpers)

# _impair_in NS CMD...: run CMD in namespace NS ("-": the root namespace).
_impair_in() {
    local ns=$1
    shift
    if [[ $ns == - ]]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# _impair_ns_ensure NS: create NS unless it exists (or is the root, "-").
_impair_ns_ensure() {
    [[ $1 == - || -e /run/netns/$1 ]] && return 0
    ip netns add "$1" || fail "ip netns add $1"
    IMPAIR_OWNED_NS+=("$1")
    ip -n "$1" link set lo up || fail "lo up in $1"
}

# _impair_veth NS IF MID_IF: veth pair IF (in NS) <-> MID_IF (in the mid ns),
# both ends created in place.
_impair_veth() {
    local -a where=()
    [[ $1 == - ]] || where=(netns "$1")
    ip link add "$2" "${where[@]}" type veth peer name "$3" netns "$IMPAIR_NS" \
        || fail "ip link add veth $2 ($1) <-> $3 ($IMPAIR_NS)"
}

# _impair_if_prep NS IF: IPv6 off (before link up: not even a DAD probe),
# all offloads off, link up.
_impair_if_prep() {
    _impair_in "$1" sysctl -q -w "net.ipv6.conf.$2.disable_ipv6=1" || fail "disable IPv6 on $2"
    _impair_in "$1" ethtool -K "$2" tx off rx off tso off gso off gro off lro off >/dev/null \
        || fail "ethtool -K $2 (offloads off)"
    _impair_in "$1" ip link set "$2" up || fail "link up $2"
}

# _impair_wait_carrier NS IF: bounded wait (5 s) for carrier on IF.
_impair_wait_carrier() {
    pmx_wait_carrier "${1#-}" "$2" 5 || fail "no carrier on $2 ($1) after 5 s"
}

# _impair_wait_ready PID LOG NAME: until pmx-impair PID logs that it is
# ready (bounded: IMPAIR_READY_TIMEOUT); fails naming NAME if it exits first.
_impair_wait_ready() {
    local deadline=$((SECONDS + IMPAIR_READY_TIMEOUT))
    until grep -q '^pmx-impair: ready' "$2" 2>/dev/null; do
        pmx_pid_alive "$1" || fail "$3 exited early: $(cat -- "$2")"
        ((SECONDS < deadline)) || fail "$3 not ready after ${IMPAIR_READY_TIMEOUT} s"
        sleep 0.05
    done
}

# _impair_start ARGS...: start pmx-impair in the mid namespace and wait for
# its "ready" line (its sockets are bound and promiscuous from then on).
_impair_start() {
    [[ -x $PMX_IMPAIR ]] || fail "pmx-impair not found or not executable: $PMX_IMPAIR (set PMX_IMPAIR)"
    IMPAIR_LOG="$PMX_TMP/impair.log"
    IMPAIR_STATS="$PMX_TMP/impair-stats.json"
    rm -f -- "$IMPAIR_STATS"
    local -a cmd=("$PMX_IMPAIR" --if-a "$IMPAIR_MID_A" --if-b "$IMPAIR_MID_B"
        --stats "$IMPAIR_STATS" "$@")
    info "starting: ip netns exec $IMPAIR_NS ${cmd[*]}"
    # ip netns exec execs the command, so $! is pmx-impair itself.
    ip netns exec "$IMPAIR_NS" "${cmd[@]}" </dev/null >"$IMPAIR_LOG" 2>&1 &
    IMPAIR_PID=$!
    _impair_wait_ready "$IMPAIR_PID" "$IMPAIR_LOG" pmx-impair
    info "pmx-impair pid $IMPAIR_PID is forwarding, log $IMPAIR_LOG"
}

# hostile_up SEED: lib.sh's dut and peer namespaces joined through pmx-impair
# with the hostile tests' link (loss 3%, reorder 10%, dup 1%, delay 2 ms,
# corrupt 0.1% both ways, seeded), the peer's address on it; portmux's
# af_packet ring 4096 frames deep (PMX_AF_FRAMES): the PMD's default 512
# overflows under bursts, and DPDK 22.11's net_af_packet never counts the
# kernel's drops (RX-missed stays 0), which would upset the tests' exact
# corrupted-frame counts (test_gen_hostile measured 3-8% lost with 512).
hostile_up() {
    _tmpdir
    pmx_netns_add "$DUT_NS" "$PEER_NS" || fail "ip netns add $DUT_NS $PEER_NS"
    ip -n "$PEER_NS" link set lo up
    impair_up "$DUT_NS" "$DUT_IF" "$PEER_NS" "$PEER_IF" \
        "--seed $1 --loss 0.03 --reorder 0.10 --dup 0.01 --delay-ms 2 --corrupt 0.001"
    ip -n "$PEER_NS" addr add "$PEER_IP/$PREFIX_LEN" dev "$PEER_IF" || fail "addr on $PEER_IF"
    pmx_sysctl "$PEER_NS" "net.ipv4.conf.$PEER_IF.arp_accept" 1 || true
    PMX_AF_FRAMES=4096
}

impair_up() {
    (($# == 5)) || fail "usage: impair_up NS_A IF_A NS_B IF_B \"IMPAIR ARGS\""
    local ns_a=$1 if_a=$2 ns_b=$3 if_b=$4
    local -a args
    read -r -a args <<<"$5"
    [[ -z $IMPAIR_PID ]] || fail "impair_up: pmx-impair already running (pid $IMPAIR_PID)"
    _tmpdir
    ip netns add "$IMPAIR_NS" || fail "ip netns add $IMPAIR_NS"
    ip -n "$IMPAIR_NS" link set lo up || fail "lo up in $IMPAIR_NS"
    _impair_ns_ensure "$ns_a"
    _impair_ns_ensure "$ns_b"
    _impair_veth "$ns_a" "$if_a" "$IMPAIR_MID_A"
    _impair_veth "$ns_b" "$if_b" "$IMPAIR_MID_B"
    _impair_if_prep "$IMPAIR_NS" "$IMPAIR_MID_A"
    _impair_if_prep "$IMPAIR_NS" "$IMPAIR_MID_B"
    _impair_if_prep "$ns_a" "$if_a"
    _impair_if_prep "$ns_b" "$if_b"
    _impair_start "${args[@]}"
    _impair_wait_carrier "$ns_a" "$if_a"
    _impair_wait_carrier "$ns_b" "$if_b"
    info "impaired link up: $ns_a/$if_a <-> [$IMPAIR_NS: pmx-impair ${args[*]}] <-> $ns_b/$if_b"
}

impair_down() {
    [[ -n $IMPAIR_PID ]] || return 0
    local pid=$IMPAIR_PID
    IMPAIR_PID=""
    pmx_stop_pid "$pid" "$IMPAIR_STOP_TIMEOUT" pmx-impair
    # shellcheck disable=SC2034  # read by the test scripts
    IMPAIR_EXIT=$STOP_RC
    ((STOP_KILLED == 0 && STOP_RC == 0)) && [[ -s $IMPAIR_STATS ]]
}

impair_stat() {
    [[ -s $IMPAIR_STATS ]] || { echo "impair_stat: no stats file (impair_down first)" >&2; return 1; }
    "$PMX_PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' "$IMPAIR_STATS" "$1" "$2" \
        || { echo "impair_stat: no counter $1.$2 in $IMPAIR_STATS" >&2; return 1; }
}

impair_teardown() {
    impair_down >/dev/null 2>&1 || true
    pmx_netns_del "$IMPAIR_NS" "${IMPAIR_OWNED_NS[@]}"
    IMPAIR_OWNED_NS=()
}

impair_cleanup() {
    local status=$?
    trap - EXIT
    set +e   # we are exiting anyway; errexit would cut the cleanup short
    local hook
    for hook in "${IMPAIR_ON_EXIT[@]}"; do "$hook"; done
    # Tear down before printing anything: a broken stdout/stderr pipe must
    # not leave namespaces behind.
    impair_teardown
    if ((status != 0)) && [[ -n $IMPAIR_LOG && -f $IMPAIR_LOG ]]; then
        echo "----- pmx-impair log ($IMPAIR_LOG) -----" >&2
        cat -- "$IMPAIR_LOG" >&2
        echo "----- end of pmx-impair log -----" >&2
    fi
    # pmx_cleanup exits with $?: restore the script's status first.
    (exit "$status")
    pmx_cleanup
}

impair_traps() {
    trap impair_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}
