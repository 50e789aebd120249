#!/usr/bin/env bash
# Integration test: the seeds' experiment. Three concurrent Linux TCP clients
# against one wildcard echo listener.
#
# portmux runs with --listen 0.0.0.0:12000=echo (default MSL, so a TIME_WAIT
# of ours would linger for a minute and be seen). One python process in the
# peer namespace opens three sockets to 198.18.0.1:12000 and, interleaving
# them, sends several messages of different sizes on each (some larger than
# one segment) and checks every echo byte for byte.
#
# Checks, while all three connections are still open:
#  1. 'show connections' has exactly one LISTEN row, 0.0.0.0:12000, and
#     exactly three ESTABLISHED rows, each with local address
#     198.18.0.1:12000 and foreign address 198.18.0.2:<port>, the three ports
#     being the ones the clients' getsockname() reports; no other row;
#  2. tcp_demux_listen_wildcard == 3 (one per SYN), tcp_passive_opens == 3,
#     tcp_demux_conn > 0, tcp_demux_none == 0.
# Then the clients shut down their sending side; each must read the server's
# FIN (recv() == b'') after its last echo, and close:
#  3. within 5 s every connection row is gone (the peer closed first, so our
#     side goes CLOSE_WAIT -> LAST_ACK -> CLOSED, never TIME_WAIT), the flow
#     table is empty, tcp_timewait_expired is 0 and tcp_curr_estab is 0;
#  4. portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

PORT=12000
CLIENTS=3
ROUNDS=6

CLIENT_PID=""
seeds_cleanup() {
    local status=$?
    if [[ -n $CLIENT_PID ]]; then
        kill -TERM "$CLIENT_PID" 2>/dev/null || true
        wait "$CLIENT_PID" 2>/dev/null || true
        CLIENT_PID=""
    fi
    (exit "$status")
    pmx_cleanup
}

require_root
pmx_traps
trap seeds_cleanup EXIT
topo_up
pmx_start --listen "0.0.0.0:$PORT=echo"

CLIENT_PY="$PMX_LIB_DIR/peers/seeds_clients.py"
CLIENT_OUT="$PMX_TMP/seeds_client.out"
GO_FILE="$PMX_TMP/seeds_close"

wild0=$(tcp_counter tcp_demux_listen_wildcard) || fail "cannot read tcp_demux_listen_wildcard"
((wild0 == 0)) || fail "tcp_demux_listen_wildcard = $wild0 before any client"

info "starting $CLIENTS concurrent clients (one python process) against $DUT_IP:$PORT, $ROUNDS rounds each"
ip netns exec "$PEER_NS" timeout 90 "$PMX_PYTHON" "$CLIENT_PY" "$DUT_IP" "$PORT" \
    --clients "$CLIENTS" --rounds "$ROUNDS" --go "$GO_FILE" \
    >"$CLIENT_OUT" 2>&1 &
CLIENT_PID=$!

# Wait (bounded) for the clients to finish their exchange and report their ports.
deadline=$((SECONDS + 30))
while ! grep -q '^PORTS ' "$CLIENT_OUT"; do
    if ! pmx_pid_alive "$CLIENT_PID"; then
        cat "$CLIENT_OUT" >&2
        fail "the clients exited before reporting their ports (see above)"
    fi
    ((SECONDS < deadline)) || { cat "$CLIENT_OUT" >&2; fail "the clients did not finish their echo exchange within 30 s"; }
    sleep 0.1
done
info "clients: $(tr '\n' ' ' <"$CLIENT_OUT")"
read -r -a ports <<<"$(sed -n 's/^PORTS //p' "$CLIENT_OUT")"
((${#ports[@]} == CLIENTS)) || fail "expected $CLIENTS client ports, got '${ports[*]}'"

# 1. show connections while all three are open.
conns=$(ctl show connections) || fail "'show connections' failed"
echo "$conns"
mapfile -t rows < <(awk '$1 == "tcp"' <<<"$conns")
n_listen=$(awk '$1 == "tcp" && $6 == "LISTEN"' <<<"$conns" | wc -l)
n_listen_ok=$(awk -v a="0.0.0.0:$PORT" '$1 == "tcp" && $6 == "LISTEN" && $4 == a && $5 == "0.0.0.0:*"' <<<"$conns" | wc -l)
((n_listen == 1 && n_listen_ok == 1)) \
    || fail "expected exactly one LISTEN row '0.0.0.0:$PORT 0.0.0.0:* LISTEN', got $n_listen LISTEN rows ($n_listen_ok matching)"
mapfile -t est < <(awk '$1 == "tcp" && $6 == "ESTABLISHED"' <<<"$conns")
((${#est[@]} == CLIENTS)) || fail "expected $CLIENTS ESTABLISHED rows, got ${#est[@]}"
((${#rows[@]} == CLIENTS + 1)) || fail "expected $((CLIENTS + 1)) rows (1 LISTEN + $CLIENTS ESTABLISHED), got ${#rows[@]}"
bad_local=$(awk -v a="$DUT_IP:$PORT" '$1 == "tcp" && $6 == "ESTABLISHED" && $4 != a' <<<"$conns")
[[ -z $bad_local ]] || fail "ESTABLISHED rows with a local address other than $DUT_IP:$PORT: $bad_local"
got_foreign=$(awk '$1 == "tcp" && $6 == "ESTABLISHED" { print $5 }' <<<"$conns" | sort)
want_foreign=$(for p in "${ports[@]}"; do echo "$PEER_IP:$p"; done | sort)
[[ $got_foreign == "$want_foreign" ]] \
    || fail "ESTABLISHED foreign addresses '${got_foreign//$'\n'/ }' != the clients' getsockname() '${want_foreign//$'\n'/ }'"
info "show connections: 1 LISTEN 0.0.0.0:$PORT + $CLIENTS ESTABLISHED $DUT_IP:$PORT <-> ${want_foreign//$'\n'/ }"

# 2. Demultiplexing counters.
wild=$(tcp_counter tcp_demux_listen_wildcard) || fail "cannot read tcp_demux_listen_wildcard"
conn=$(tcp_counter tcp_demux_conn) || fail "cannot read tcp_demux_conn"
none=$(tcp_counter tcp_demux_none) || fail "cannot read tcp_demux_none"
popen=$(tcp_counter tcp_passive_opens) || fail "cannot read tcp_passive_opens"
estab=$(tcp_counter tcp_curr_estab) || fail "cannot read tcp_curr_estab"
info "tcp_demux_listen_wildcard=$wild tcp_demux_conn=$conn tcp_demux_none=$none tcp_passive_opens=$popen tcp_curr_estab=$estab"
((wild == CLIENTS)) || fail "tcp_demux_listen_wildcard = $wild, expected $CLIENTS (one per SYN)"
((popen == CLIENTS)) || fail "tcp_passive_opens = $popen, expected $CLIENTS"
((conn > 0)) || fail "tcp_demux_conn = $conn, expected > 0"
((none == 0)) || fail "tcp_demux_none = $none, expected 0"
((estab == CLIENTS)) || fail "tcp_curr_estab = $estab, expected $CLIENTS"

# 3. The clients close first.
touch "$GO_FILE"
rc=0
wait "$CLIENT_PID" || rc=$?
CLIENT_PID=""
info "clients: $(tail -n 1 "$CLIENT_OUT") (exit $rc)"
((rc == 0)) || { cat "$CLIENT_OUT" >&2; fail "the clients failed to close cleanly (exit $rc, see above)"; }
grep -q '^CLOSED$' "$CLIENT_OUT" || fail "the clients did not report CLOSED"

t0=$SECONDS
while :; do
    conns=$(ctl show connections) || fail "'show connections' failed"
    left=$(awk '$1 == "tcp" && $6 != "LISTEN"' <<<"$conns")
    [[ -z $left ]] && break
    if ((SECONDS - t0 >= 5)); then
        echo "$conns"
        fail "connection rows still present 5 s after the clients closed: ${left//$'\n'/ }"
    fi
    sleep 0.1
done
info "every connection row gone within $((SECONDS - t0)) s of the clients' close"
grep -q "0.0.0.0:$PORT .*LISTEN" <<<"$conns" || fail "the listener row disappeared"
entries=$(flow_entries) || fail "cannot read the flow table"
tw=$(tcp_counter tcp_timewait_expired) || fail "cannot read tcp_timewait_expired"
estab=$(tcp_counter tcp_curr_estab) || fail "cannot read tcp_curr_estab"
info "flow table entries=$entries tcp_timewait_expired=$tw tcp_curr_estab=$estab"
((entries == 0)) || fail "flow table holds $entries entries after every connection closed"
((tw == 0)) || fail "tcp_timewait_expired = $tw: our side went through TIME_WAIT on a passive close"
((estab == 0)) || fail "tcp_curr_estab = $estab after every connection closed"

# 4. Clean shutdown.
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
