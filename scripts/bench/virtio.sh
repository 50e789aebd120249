# shellcheck shell=bash
# portmux on the virtio PMD, offloads on and off (sourced by scripts/bench.sh;
# --only virtio). The harness of docs/hardware.md section 10:
#
#   netns pmxv$$s: portmux (net_virtio_user, worker on CPU 1) <-vhost-user->
#                  pmx-vhost-bridge (net_vhost <-> net_af_packet, CPU 0)
#                  <-veth-> netns pmxv$$c: Linux client (curl / wrk, CPU 0)
#
# Offloads on: virtio.ini as shipped (TX TCP checksum and TSO, RX TCP
# checksum), the bridge offering TSO; off: a copy of the profile without
# offloads, the bridge without TSO. Each function is one round and prints
# `RESULT <key> <value>` lines: virtio_bulk MODE (one connection downloads
# BENCH_BULK_BYTES with curl; Gbit/s of body) and virtio_cps MODE (wrk, 50
# connections, `Connection: close`, BENCH_SECS; connections per second).
# The bridge copies every frame on the client's core, so these rows say what
# the offloads change on this path, not what a NIC would do. Needs
# BENCH_BUILD (with tests/vhost/pmx-vhost-bridge), hugepages reserved.

PMXV_NS_S="" PMXV_NS_C="" PMXV_TMP="" PMXV_BRIDGE="" PMXV_PMX=""

pmxv_down() {
    [[ -z $PMXV_PMX ]] || pmx_stop_pid "$PMXV_PMX" 20 portmux
    [[ -z $PMXV_BRIDGE ]] || pmx_stop_pid "$PMXV_BRIDGE" 20 pmx-vhost-bridge
    pmx_netns_del "$PMXV_NS_S" "$PMXV_NS_C"
    [[ -z $PMXV_TMP ]] || rm -rf -- "$PMXV_TMP"
    PMXV_PMX="" PMXV_BRIDGE="" PMXV_NS_S="" PMXV_NS_C="" PMXV_TMP=""
}

# pmxv_up MODE: the harness with offloads MODE (on|off), portmux answering.
pmxv_up() {
    local mode=$1 tso=1 i
    local -a profile=() extra=(--rx-partial)
    PMXV_NS_S="pmxv$$s" PMXV_NS_C="pmxv$$c" PMXV_TMP=$(mktemp -d /tmp/pmxv.XXXXXX)
    pmx_netns_add "$PMXV_NS_S" "$PMXV_NS_C" || return 1
    pmx_veth "$PMXV_NS_S" "pmxv$$a" "$PMXV_NS_C" "pmxv$$b" || return 1
    ip -n "$PMXV_NS_S" link set "pmxv$$a" up && ip -n "$PMXV_NS_C" link set "pmxv$$b" up || return 1
    ip -n "$PMXV_NS_C" addr add 198.18.2.2/24 dev "pmxv$$b" || return 1
    pmx_tx_csum_off "$PMXV_NS_C" "pmxv$$b" || return 1
    if [[ $mode == off ]]; then
        tso=0 extra=()
        sed -e 's/^rx_offloads = .*/rx_offloads =/' -e 's/^tx_offloads = .*/tx_offloads = MULTI_SEGS/' \
            "$PMX_ROOT/drivers_cfg/virtio.ini" >"$PMXV_TMP/virtio-off.ini"
        profile=(--port-profile "0=$PMXV_TMP/virtio-off.ini")
    fi
    # shellcheck disable=SC2054  # the commas belong to the EAL arguments
    pmx_spawn "$PMXV_NS_S" "$PMXV_TMP/bridge.log" taskset -c 0 "$BENCH_BUILD/tests/vhost/pmx-vhost-bridge" \
        --no-huge --no-shconf --no-pci --file-prefix "pmxvb$$" -l 0 -m 256 \
        "--vdev=net_vhost0,iface=$PMXV_TMP/vhost.sock,tso=$tso" "--vdev=net_af_packet0,iface=pmxv$$a" \
        -- "${extra[@]}"
    PMXV_BRIDGE=$PMX_STARTED
    for ((i = 0; i < 100; i++)); do [[ -S $PMXV_TMP/vhost.sock ]] && break; sleep 0.1; done
    pmx_spawn "$PMXV_NS_S" "$PMXV_TMP/portmux.log" "$PORTMUX" --in-memory --single-file-segments -m 512 \
        --no-pci --file-prefix "pmxvp$$" --lcores "0@0,1@1" --log-level='*:warning' \
        "--vdev=net_virtio_user0,path=$PMXV_TMP/vhost.sock,queue_size=256" -- \
        --addr 0=198.18.2.1/24 --listen 0.0.0.0:80=http --cli-socket "$PMXV_TMP/cli.sock" "${profile[@]}"
    PMXV_PMX=$PMX_STARTED
    pmx_wait_cli "" "$PMXV_TMP/cli.sock" "$PMXV_PMX" 30 "Link up" || {
        cat "$PMXV_TMP/portmux.log" "$PMXV_TMP/bridge.log" >&2
        return 1
    }
}

virtio_bulk() {
    local mode=$1 size=$2 bps
    pmxv_up "$mode" || { pmxv_down; return 1; }
    bps=$(ip netns exec "$PMXV_NS_C" taskset -c 0 timeout 300 curl -sS --noproxy '*' -o /dev/null \
        -w '%{speed_download}' "http://198.18.2.1/bytes/$size") || { pmxv_down; return 1; }
    echo "[bench] virtio offloads $mode: $size bytes at $bps B/s" >&2
    echo "RESULT virtio_${mode}_bulk_gbps $(awk -v b="$bps" 'BEGIN { printf "%.3f", b * 8 / 1e9 }')"
    pmxv_down
}

virtio_cps() {
    local mode=$1 out
    pmxv_up "$mode" || { pmxv_down; return 1; }
    out=$(ip netns exec "$PMXV_NS_C" taskset -c 0 timeout $((BENCH_SECS + 30)) wrk -t1 -c50 \
        -d "${BENCH_SECS}s" -H 'Connection: close' http://198.18.2.1/) || { pmxv_down; return 1; }
    echo "$out" >&2
    # Errors: every figure of "Socket errors: connect A, read B, write C,
    # timeout D" and the count of "Non-2xx or 3xx responses: N".
    awk -v m="$mode" '$1 == "Requests/sec:" { printf "RESULT virtio_%s_cps %.0f\n", m, $2 }
        /Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { e += $NF }
        END { printf "RESULT virtio_%s_cps_errors %d\n", m, e }' <<<"$out"
    pmxv_down
}
