#!/usr/bin/env bash
# Integration test (issue 11): idle keep-alive connections must not pin the
# appliance's memory.
#
# Real Linux clients (Python asyncio, tests/integration/peers/idle_clients.py) in
# the peer namespace open IDLE_CONNS (default 20,000) connections to
# portmux's http listener, each sends one keep-alive GET /, reads the whole
# answer and then sits idle. With the pool at its default 4,096 buffers,
# before buffers went back on draining the first 2,048 such clients held
# every buffer and a new client timed out.
#
# Checks:
#  1. every client got its 200 answer (none failed);
#  2. while they idle: tcp_curr_estab >= IDLE_CONNS and the buffers in use
#     ('show flowtable') are at most 64;
#  3. a fresh client's GET / (a new connection, whole response) and a fresh
#     echo of 64 bytes each complete within 100 ms;
#  4. no idle client was closed by the server during the test (the default
#     keep-alive idle timeout is 75 s), and portmux exits cleanly.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

N=${IDLE_CONNS:-20000}
FRESH_MS=100
MAX_BUFS=64

require_root
pmx_traps
topo_up
# One source address: 55,000 ephemeral ports cover the clients.
ip netns exec "$PEER_NS" sysctl -q -w net.ipv4.ip_local_port_range="10000 65000"
PMX_AF_FRAMES=4096
pmx_start --listen 0.0.0.0:80=http --listen 0.0.0.0:7=echo --max-flows 32768

CLIENTS=$PMX_LIB_DIR/peers/idle_clients.py
# The file descriptor hard limit may be 20,000 and root may not raise it:
# HOLDERS processes hold N / HOLDERS connections each.
HOLDERS=4
PER=$((N / HOLDERS))
((PER * HOLDERS == N)) || fail "IDLE_CONNS=$N: want a multiple of $HOLDERS"
RELEASE=$PMX_TMP/release
HOLD_PIDS=()
# Keeps the exit status for pmx_cleanup.
stop_hold() {
    local st=$? p
    for p in "${HOLD_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    return "$st"
}
trap 'stop_hold; pmx_cleanup' EXIT

for ((h = 0; h < HOLDERS; h++)); do
    ip netns exec "$PEER_NS" "$PMX_PYTHON" "$CLIENTS" hold "$DUT_IP" 80 "$PER" "$PMX_TMP/ready$h" \
        "$RELEASE" >"$PMX_TMP/hold$h.out" 2>&1 &
    HOLD_PIDS+=($!)
done
deadline=$((SECONDS + 240))
held=0 failed=0
for ((h = 0; h < HOLDERS; h++)); do
    while [[ ! -s $PMX_TMP/ready$h ]]; do
        pmx_pid_alive "${HOLD_PIDS[h]}" || { cat "$PMX_TMP/hold$h.out" >&2; fail "idle client process $h exited early"; }
        ((SECONDS < deadline)) || fail "the idle clients were not all answered after 240 s"
        sleep 0.5
    done
    read -r _ hh _ ff <"$PMX_TMP/ready$h"
    held=$((held + hh)) failed=$((failed + ff))
done
info "idle clients: held $held, failed $failed"
((held == N && failed == 0)) || { cat "$PMX_TMP"/hold*.out >&2; fail "held $held of $N (failed $failed)"; }

estab=$(counter tcp_curr_estab) || fail "no tcp_curr_estab"
ft=$(ctl show flowtable) || fail "show flowtable failed"
bufs=$(awk 'NR > 1 { split($6, a, "/"); s += a[1] } END { print s + 0 }' <<<"$ft")
info "while idle: tcp_curr_estab $estab, buffers in use $bufs"
echo "$ft"
((estab >= N)) || fail "tcp_curr_estab $estab < $N"
((bufs <= MAX_BUFS)) || fail "$bufs buffers in use by idle connections (want <= $MAX_BUFS)"

fresh=$(ip netns exec "$PEER_NS" "$PMX_PYTHON" "$CLIENTS" fresh "$DUT_IP" 80 7) ||
    fail "the fresh client failed"
info "fresh client with $N idle: $fresh"
read -r _ http_ms _ echo_ms _ status <<<"$fresh"
[[ $status == 200 ]] || fail "fresh GET / answered $status"
awk -v h="$http_ms" -v e="$echo_ms" -v m="$FRESH_MS" 'BEGIN { exit !(h < m && e < m) }' ||
    fail "fresh client too slow: http ${http_ms} ms, echo ${echo_ms} ms (want < $FRESH_MS)"

touch "$RELEASE"
closed=0
for ((h = 0; h < HOLDERS; h++)); do
    wait "${HOLD_PIDS[h]}" || fail "idle client process $h failed at the end: $(cat "$PMX_TMP/hold$h.out")"
    c=$(awk '$1 == "closed-by-server" { print $2 }' "$PMX_TMP/hold$h.out")
    closed=$((closed + ${c:-1}))
done
HOLD_PIDS=()
((closed == 0)) || fail "$closed idle clients were closed by the server during the test"
no_bufs=$(counter tcp_no_buffers) || fail "no tcp_no_buffers"
info "tcp_no_buffers $no_bufs, tcp_buffers_released $(counter tcp_buffers_released)"
pmx_stop || fail "portmux exited with status $PMX_EXIT"
info "PASS: $N idle keep-alive connections, $bufs buffers held, fresh client http ${http_ms} ms echo ${echo_ms} ms"
