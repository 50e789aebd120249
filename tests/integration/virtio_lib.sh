# shellcheck shell=bash
# portmux on the virtio PMD for the integration tests (source, do not
# execute; lib.sh does when PMX_PMD=virtio). docs/hardware.md, "The virtio
# harness":
#
#   netns $DUT_NS                                                 netns $PEER_NS
#   portmux (net_virtio_user) <-vhost-user-> pmx-vhost-bridge
#                             (net_vhost <-> net_af_packet on $DUT_IF) <-veth-> $PEER_IF
#
# pmx-vhost-bridge (tests/vhost) is the host: it cuts portmux's TSO frames
# and finishes its partial checksums in software. VIRTIO_OFFLOADS:
#   on   drivers_cfg/virtio.ini as shipped (TX TCP checksum and TSO, RX TCP
#        checksum); the bridge offers TSO (tso=1) and sends TCP frames up
#        with partial checksums it verified (--rx-partial), as a Linux host
#        does for its own traffic
#   off  a copy of virtio.ini asking for no offload; the bridge offers no
#        TSO: portmux computes every checksum and cuts every segment
# lib.sh's pmx_start() calls virtio_up before portmux starts (once; the
# bridge outlives portmux restarts) and pmx_cleanup() calls virtio_down.
# Hugepages: portmux's memory must be shared with the bridge (vhost-user
# maps it), so portmux runs --in-memory on hugepages reserved here
# (VIRTIO_HUGEPAGES, default 512) and given back by virtio_down.

VIRTIO_OFFLOADS=${VIRTIO_OFFLOADS:-on}
VIRTIO_HUGEPAGES=${VIRTIO_HUGEPAGES:-512}
VIRTIO_BRIDGE_PID=""
VIRTIO_SOCK="" VIRTIO_STATS=""
# shellcheck disable=SC2034  # read by lib.sh's pmx_cmd
PMX_EAL_MEM="--in-memory --single-file-segments -m 512"
PMX_APP_EXTRA=()

# virtio_vdev: portmux's --vdev.
virtio_vdev() { echo "--vdev=net_virtio_user0,path=$VIRTIO_SOCK,queue_size=256"; }

virtio_up() {
    [[ -z $VIRTIO_BRIDGE_PID ]] || return 0
    [[ -x ${PMX_VHOST_BRIDGE:-} ]] || fail "PMX_VHOST_BRIDGE is not set to pmx-vhost-bridge"
    _tmpdir
    local tso=1
    local -a extra=(--rx-partial)
    case $VIRTIO_OFFLOADS in
        on) ;;
        off)
            tso=0 extra=()
            # The same profile without an offload: the PMD then negotiates none.
            sed -e 's/^rx_offloads = .*/rx_offloads =/' -e 's/^tx_offloads = .*/tx_offloads = MULTI_SEGS/' \
                "$PMX_REPO_ROOT/drivers_cfg/virtio.ini" >"$PMX_TMP/virtio-off.ini"
            # shellcheck disable=SC2034  # read by lib.sh's pmx_cmd
            PMX_APP_EXTRA=(--port-profile "0=$PMX_TMP/virtio-off.ini")
            ;;
        *) fail "VIRTIO_OFFLOADS='$VIRTIO_OFFLOADS': want on or off" ;;
    esac
    pmx_hugepages_reserve "$VIRTIO_HUGEPAGES" || fail "cannot reserve $VIRTIO_HUGEPAGES hugepages"
    VIRTIO_SOCK="$PMX_TMP/vhost.sock" VIRTIO_STATS="$PMX_TMP/bridge.json"
    rm -f -- "$VIRTIO_SOCK" "$VIRTIO_STATS"
    # shellcheck disable=SC2054  # the commas belong to the EAL arguments
    pmx_spawn "$DUT_NS" "$PMX_TMP/bridge.log" "$PMX_VHOST_BRIDGE" --no-huge --no-shconf --no-pci \
        --file-prefix "vb$$" -l 0 -m 256 "--vdev=net_vhost0,iface=$VIRTIO_SOCK,tso=$tso" \
        "--vdev=net_af_packet0,iface=$DUT_IF" -- --stats "$VIRTIO_STATS" "${extra[@]}"
    VIRTIO_BRIDGE_PID=$PMX_STARTED
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -S $VIRTIO_SOCK ]] && break
        pmx_pid_alive "$VIRTIO_BRIDGE_PID" || { cat "$PMX_TMP/bridge.log" >&2; fail "pmx-vhost-bridge exited"; }
        sleep 0.1
    done
    [[ -S $VIRTIO_SOCK ]] || fail "pmx-vhost-bridge made no socket $VIRTIO_SOCK"
    info "pmx-vhost-bridge pid $VIRTIO_BRIDGE_PID on $DUT_IF, offloads $VIRTIO_OFFLOADS (tso=$tso ${extra[*]})"
}

# virtio_down: stops the bridge (its counters land in $VIRTIO_STATS) and
# gives the hugepages back. Idempotent; returns 1 if the bridge did not
# exit cleanly.
virtio_down() {
    local rc=0
    if [[ -n $VIRTIO_BRIDGE_PID ]]; then
        pmx_stop_pid "$VIRTIO_BRIDGE_PID" 10 pmx-vhost-bridge
        ((STOP_RC == 0)) || rc=1
        VIRTIO_BRIDGE_PID=""
    fi
    pmx_hugepages_restore
    return "$rc"
}

# virtio_stat NAME: a counter of the bridge's (after virtio_down).
virtio_stat() {
    "$PMX_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$VIRTIO_STATS" "$1"
}
