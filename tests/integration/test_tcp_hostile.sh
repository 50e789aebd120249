#!/usr/bin/env bash
# Integration test: TCP through a hostile link. portmux (net_af_packet, side
# A) and a Linux peer (side B) talk through pmx-impair at loss 3%, reorder
# 10%, duplicate 1%, delay 2 ms, corrupt 0.1% in both directions (seed
# $IMPAIR_SEED, default 1, so a failure can be replayed). Checks:
#  1. echo: 64 MiB of random bytes sent and echoed back concurrently; the
#     SHA-256 of what came back equals that of what was sent (both ways);
#  2. discard: 64 MiB from Linux; portmux delivered exactly 64 MiB in order
#     to the service (tcp_rx_bytes delta);
#  3. http: 64 MiB from portmux (GET /bytes/67108864, Connection: close); the
#     body's SHA-256 equals that of the deterministic pattern;
#  4. every frame the impairer corrupted toward portmux was caught (by the
#     TCP checksum, or by the data-offset check when the flipped bit lands
#     there: tcp_bad_checksum + tcp_bad_offset == b_to_a corrupted, less any
#     frames the port missed), and the peer's kernel caught the ones toward
#     it (TcpInCsumErrors <= a_to_b corrupted, and InErrs within 5% of it:
#     Linux does not count a segment whose data offset was corrupted past
#     its end);
#  5. afterwards no connection is left in any state but TIME_WAIT, and after
#     2*MSL the flow table is empty;
#  6. retransmissions happened (the link really was lossy) and no connection
#     was reset or timed out.
set -euo pipefail

# shellcheck source=tests/integration/impair_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/impair_lib.sh"

SEED=${IMPAIR_SEED:-1}
MIB=${HOSTILE_MIB:-64}
MSL_MS=1000

require_root
impair_traps
hostile_up "$SEED"

pmx_start --listen 0.0.0.0:7=echo --listen 0.0.0.0:9=discard --listen 0.0.0.0:80=http \
    --msl-ms "$MSL_MS"

# A client that fails (a stalled connection times out) prints the connection
# as Linux and portmux see it, before it closes (stall_diag.py).
CLIENTS=$PMX_LIB_DIR/peers/hostile_clients.py
ctl_cmd=$(printf '%q ' timeout 10 "$PORTMUX_CTL" -s "$PMX_SOCK")
export PMX_DIAG="$ctl_cmd show connections; $ctl_cmd show tcp stats"

snap() { { ctl show tcp stats; } >"$1" || fail "show tcp stats failed"; }
delta() { echo $(($(stat_from "$SNAP_AFTER" "$1") - $(stat_from "$SNAP_BEFORE" "$1"))); }
SNAP_BEFORE="$PMX_TMP/before" SNAP_AFTER="$PMX_TMP/after"
peer_mib() { ip netns exec "$PEER_NS" nstat -az "$1" | awk -v n="$1" '$1 == n { print $2 }'; }
csum_before=$(peer_mib TcpInCsumErrors) inerrs_before=$(peer_mib TcpInErrs)
snap "$SNAP_BEFORE"
missed_before=$(port_stat RX-missed) || fail "show port stats failed"

info "discard: $MIB MiB from Linux"
t0=$SECONDS
ip netns exec "$PEER_NS" timeout 300 "$PMX_PYTHON" "$CLIENTS" discard "$DUT_IP" --mib "$MIB" \
    || fail "discard client failed"
snap "$SNAP_AFTER"
rx=$(delta tcp_rx_bytes)
((rx == MIB * 1048576)) || fail "discard: portmux delivered $rx bytes in order, want $((MIB * 1048576))"
info "discard: $rx bytes delivered in order in $((SECONDS - t0)) s"

info "echo: $MIB MiB each way, concurrently"
t0=$SECONDS
ip netns exec "$PEER_NS" timeout 600 "$PMX_PYTHON" "$CLIENTS" echo "$DUT_IP" --mib "$MIB" \
    || fail "echo client failed"
info "echo: done in $((SECONDS - t0)) s"

info "http: $MIB MiB from portmux"
t0=$SECONDS
ip netns exec "$PEER_NS" timeout 300 "$PMX_PYTHON" "$CLIENTS" http "$DUT_IP" --mib "$MIB" \
    || fail "http client failed"
info "http: done in $((SECONDS - t0)) s"

# Close-out: nothing but TIME_WAIT (from http's active close) may remain.
expect_only_time_wait_then_empty "$MSL_MS"

snap "$SNAP_AFTER"
impair_down || fail "pmx-impair did not stop cleanly"
csum_after=$(peer_mib TcpInCsumErrors) inerrs_after=$(peer_mib TcpInErrs)
# A flipped bit lands in the data offset now and then: both stacks reject
# that before the checksum (ours counts tcp_bad_offset, Linux only InErrs).
bad=$(($(delta tcp_bad_checksum) + $(delta tcp_bad_offset)))
to_us=$(impair_stat b_to_a corrupted)
to_peer=$(impair_stat a_to_b corrupted)
info "impairer a->b (portmux->Linux): $(impair_stat a_to_b frames_in) frames, dropped $(impair_stat a_to_b dropped), dup $(impair_stat a_to_b duplicated), reordered $(impair_stat a_to_b reordered), corrupted $to_peer"
info "impairer b->a (Linux->portmux): $(impair_stat b_to_a frames_in) frames, dropped $(impair_stat b_to_a dropped), dup $(impair_stat b_to_a duplicated), reordered $(impair_stat b_to_a reordered), corrupted $to_us"
# Exact on our side, unless the kernel dropped frames before portmux saw
# them (RX-missed: af_packet ring full), which might include corrupted ones.
missed=$(($(port_stat RX-missed) - missed_before))
((bad <= to_us && bad >= to_us - missed)) ||
    fail "portmux counted $bad bad TCP checksums/offsets; the impairer corrupted $to_us frames toward it ($missed missed by the port)"
# Linux counts a checksum failure in TcpInCsumErrors (and InErrs), but
# discards without counting a segment whose flipped bit made the data offset
# exceed its length (tcp_v4_rcv: pskb_may_pull fails before any MIB update):
# allow a few of those (each pure ACK has 4 data-offset bits out of 160).
peer_bad=$((csum_after - csum_before)) peer_inerrs=$((inerrs_after - inerrs_before))
((peer_bad <= to_peer && to_peer - peer_inerrs <= to_peer / 20 + 1)) ||
    fail "the peer counted $peer_bad checksum errors and $peer_inerrs input errors; the impairer corrupted $to_peer toward it"
for c in tcp_in_segs tcp_out_segs tcp_retrans_segs tcp_fast_retransmits tcp_spurious_recoveries tcp_lost_retransmits tcp_tail_loss_probes tcp_ooo_queue_full tcp_bad_checksum tcp_bad_offset tcp_ooo_segments tcp_rto_expirations tcp_sack_retransmits tcp_estab_resets tcp_timeouts; do
    info "  $c +$(delta "$c")"
done
(($(delta tcp_retrans_segs) > 0)) || fail "no retransmissions through a 3% loss link?"
(($(delta tcp_estab_resets) == 0)) || fail "connections were reset"
(($(delta tcp_timeouts) == 0)) || fail "connections timed out"
info "PASS: ${MIB} MiB through echo (both ways), discard and http over a hostile link; corrupted frames caught ($bad to us, $peer_bad to the peer); tables empty after 2*MSL"
