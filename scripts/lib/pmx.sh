# shellcheck shell=bash
# Shell helpers shared by the integration tests (tests/integration/lib.sh,
# which scripts/run.sh uses too), the bench (scripts/bench.sh and its
# portmux pair, scripts/bench/portmux.sh) and test_gen_memif.sh: processes
# stopped by PID, network namespaces and veth pairs, hugepages, starting a
# portmux and waiting for its CLI. Source it, do not execute it.
#
# It defines functions and a few variables only. Functions return non-zero
# on failure and never exit (the caller decides: lib.sh's fail, the bench's
# return 1); their messages go to stderr (the bench's stdout carries its
# RESULT lines).

PMX_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
PORTMUX=${PORTMUX:-$PMX_ROOT/build/app/portmux}
PORTMUX_CTL=${PORTMUX_CTL:-$PMX_ROOT/build/app/portmux-ctl}
PMX_CTL_TIMEOUT=${PMX_CTL_TIMEOUT:-10}  # seconds per portmux-ctl call

pmx_note() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }

# ---------------------------------------------------------------- processes --

# pmx_pid_alive PID: the process exists and is not a zombie (kill -0
# succeeds on zombies).
pmx_pid_alive() {
    local state
    [[ -n $1 && -r /proc/$1/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# pmx_stop_pid PID TIMEOUT NAME: SIGTERM to a child of this shell, wait up
# to TIMEOUT s, then SIGKILL; reap it. Sets STOP_RC (its exit status) and
# STOP_KILLED (1 if SIGKILL was needed). Only the PID given is signalled.
pmx_stop_pid() {
    local pid=$1 timeout=$2 name=$3
    STOP_RC=0 STOP_KILLED=0
    if pmx_pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + timeout))
        while pmx_pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
        if pmx_pid_alive "$pid"; then
            pmx_note "$name pid $pid still alive $timeout s after SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            # shellcheck disable=SC2034  # read by the callers
            STOP_KILLED=1
        fi
    fi
    wait "$pid" 2>/dev/null || STOP_RC=$?
    pmx_note "$name pid $pid exited with status $STOP_RC"
}

# pmx_spawn NS LOG COMMAND...: COMMAND in network namespace NS, in the
# background, stdin from /dev/null, stdout and stderr to LOG. PMX_STARTED is
# its PID: `ip netns exec` execs the command, so that is COMMAND itself, a
# child of this shell (pmx_stop_pid can reap it).
pmx_spawn() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
    # shellcheck disable=SC2034  # read by the callers
    PMX_STARTED=$!
}

# ------------------------------------------------------- namespaces, links --
# Every name carries the caller's tag and $$; every address is in
# 198.18.0.0/15 (RFC 2544 benchmarking space).

# pmx_netns_add NAME...: new network namespaces (an existing one is an error).
pmx_netns_add() {
    local ns
    for ns; do ip netns add "$ns" || return 1; done
}

# pmx_netns_del NAME...: deletes those that exist; idempotent. Deleting a
# namespace destroys the veth end inside it, and with it the pair.
pmx_netns_del() {
    local ns
    for ns; do
        if [[ -n $ns && -e /run/netns/$ns ]]; then ip netns del "$ns" 2>/dev/null || true; fi
    done
    return 0
}

# pmx_sysctl NS KEY VALUE: a sysctl inside namespace NS.
pmx_sysctl() {
    ip netns exec "$1" sysctl -q -w "$2=$3"
}

# pmx_veth NS_A IF_A NS_B IF_B: a veth pair, each end created directly in
# its namespace (nothing ever appears in the root namespace), IPv6 off on
# both before they come up (no router or neighbour solicitation, MLD or
# DAD probe leaves). The links stay down.
pmx_veth() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
    pmx_sysctl "$1" "net.ipv6.conf.$2.disable_ipv6" 1 && pmx_sysctl "$3" "net.ipv6.conf.$4.disable_ipv6" 1
}

# pmx_tx_csum_off NS IF: the kernel's veth TX leaves checksums partial
# otherwise, and portmux on the other end would drop them.
pmx_tx_csum_off() {
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
}

# pmx_wait_carrier NS IF SECONDS: waits (bounded) for carrier on IF in
# namespace NS ("" for this one).
pmx_wait_carrier() {
    local i
    local -a in_ns=()
    [[ -z $1 ]] || in_ns=(ip netns exec "$1")
    for ((i = 0; i < $3 * 10; i++)); do
        [[ $("${in_ns[@]}" cat "/sys/class/net/$2/carrier" 2>/dev/null) == 1 ]] && return 0
        sleep 0.1
    done
    pmx_note "no carrier on $2 after $3 s"
    return 1
}

# ---------------------------------------------------------------- hugepages --

# Kept if this file is sourced again (bench.sh, then scripts/bench/portmux.sh).
PMX_OLD_HUGEPAGES=${PMX_OLD_HUGEPAGES:-}

# pmx_hugepages_reserve N: at least N 2 MiB hugepages reserved (through
# scripts/hugepages.sh); the count before the first call is kept for
# pmx_hugepages_restore.
pmx_hugepages_reserve() {
    if [[ -z $PMX_OLD_HUGEPAGES ]]; then
        PMX_OLD_HUGEPAGES=$(cat /proc/sys/vm/nr_hugepages) || return 1
    fi
    "$PMX_ROOT/scripts/hugepages.sh" reserve "$1" >&2
}

# pmx_hugepages_restore: the reservation back to what it was; idempotent.
pmx_hugepages_restore() {
    [[ -n $PMX_OLD_HUGEPAGES ]] || return 0
    echo "$PMX_OLD_HUGEPAGES" >/proc/sys/vm/nr_hugepages || true
    PMX_OLD_HUGEPAGES=""
}

# ------------------------------------------------------------------ portmux --

# pmx_ctl_sock SOCK WORDS...: one CLI command to the portmux on SOCK
# (bounded by PMX_CTL_TIMEOUT).
pmx_ctl_sock() {
    timeout "$PMX_CTL_TIMEOUT" "$PORTMUX_CTL" -s "$1" "${@:2}"
}

# pmx_wait_cli NS SOCK PID SECONDS [TEXT]: waits until the portmux PID
# answers `show port info 0` on its CLI socket SOCK (the answer containing
# TEXT if given, e.g. "Link up"). NS: the namespace to run portmux-ctl in
# ("" for this one). Returns 1 with a message if portmux exits first or the
# time runs out.
pmx_wait_cli() {
    local ns=$1 sock=$2 pid=$3 secs=$4 text=${5:-} out deadline=$((SECONDS + $4))
    local -a in_ns=()
    [[ -z $ns ]] || in_ns=(ip netns exec "$ns")
    while :; do
        if [[ -S $sock ]] &&
            out=$(timeout 5 "${in_ns[@]}" "$PORTMUX_CTL" -s "$sock" show port info 0 2>/dev/null) &&
            [[ $out == *"$text"* ]]; then
            return 0
        fi
        pmx_pid_alive "$pid" || { pmx_note "portmux pid $pid exited (CLI $sock)"; return 1; }
        if ((SECONDS >= deadline)); then
            pmx_note "no answer${text:+ with \"$text\"} to \"show port info 0\" on $sock after $secs s"
            return 1
        fi
        sleep 0.1
    done
}

# Extra EAL words for pmx_memif_start (e.g. --log-level='*:warning').
PMX_MEMIF_EAL=()

# pmx_memif_start NS NAME LCORES ROLE MEMIF_SOCK CLI_SOCK LOG APP-ARGS...:
# a portmux on net_memif (role server or client, socket MEMIF_SOCK) in
# namespace NS, in memory (no shared files), file prefix NAME (unique with
# the caller's tag and $$), CLI on CLI_SOCK, output to LOG. Sets
# PMX_STARTED (pmx_spawn); wait for it with pmx_wait_cli ... "Link up".
pmx_memif_start() {
    local ns=$1 name=$2 lcores=$3 role=$4 memif=$5 sock=$6 log=$7
    shift 7
    pmx_spawn "$ns" "$log" "$PORTMUX" --in-memory --no-pci --file-prefix "$name" --lcores "$lcores" \
        "${PMX_MEMIF_EAL[@]}" "--vdev=net_memif0,role=$role,socket=$memif,socket-abstract=no" \
        -- --cli-socket "$sock" "$@"
}
