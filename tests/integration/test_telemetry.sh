#!/usr/bin/env bash
# Integration test: DPDK telemetry commands under /portmux/, read with
# dpdk-telemetry.py (the client DPDK ships) from a running appliance.
#
# portmux runs with --listen 0.0.0.0:80=http; a Python client on the peer
# holds 5 keep-alive connections open (each did one GET), so the connection
# table is stable while it is read both ways.
#
# Checks:
#  1. /portmux/connections has the same rows as 'show connections' (columns
#     joined by one space; listeners included), and 6 of them (1 LISTEN +
#     5 ESTABLISHED);
#  2. /portmux/tcp/stats tcp_passive_opens equals 'show tcp stats';
#  3. /portmux/flowtable entries equal 'show flowtable' (5);
#  4. /portmux/listeners shows 0.0.0.0:80, service http, 5 accepted, and
#     /portmux/port/kernel_ring counts the af_packet port's frames;
#  5. dpdk-telemetry.py lists them next to /ethdev/stats in /;
#  6. portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

NCONN=5
TELEMETRY=${TELEMETRY:-/usr/bin/dpdk-telemetry.py}

require_root
[[ -x $TELEMETRY ]] || { echo "FAIL: $TELEMETRY not installed (package dpdk-dev)" >&2; exit 1; }
HOLDER_PID=""
tele_cleanup() {
    local s=$?
    if [[ -n $HOLDER_PID ]]; then
        kill "$HOLDER_PID" 2>/dev/null || true
        wait "$HOLDER_PID" 2>/dev/null || true
    fi
    (exit "$s")
    pmx_cleanup
}
pmx_traps
trap tele_cleanup EXIT
topo_up
pmx_start --listen 0.0.0.0:80=http

# tele CMD: the JSON reply of one telemetry command.
tele() {
    timeout 20 "$PMX_PYTHON" "$TELEMETRY" -f "pmx$$" <<<"$1" | tail -n 1
}

# Hold NCONN keep-alive connections until killed.
ip netns exec "$PEER_NS" timeout 120 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/http_hold.py" "$DUT_IP" \
    --conns "$NCONN" --seconds 110 >"$PMX_TMP/holder.out" 2>&1 &
HOLDER_PID=$!
deadline=$((SECONDS + 15))
until grep -q holding "$PMX_TMP/holder.out"; do
    pmx_pid_alive "$HOLDER_PID" || { cat "$PMX_TMP/holder.out" >&2; fail "connection holder exited"; }
    ((SECONDS < deadline)) || fail "connection holder not ready after 15 s"
    sleep 0.1
done

# 1. Connections: same rows both ways.
cli_rows=$(ctl show connections | awk '$1 == "tcp" { $1 = $1; print }' | sort) || fail "show connections failed"
json=$(tele /portmux/connections) || fail "telemetry /portmux/connections failed"
tele_rows=$("$PMX_PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])["/portmux/connections"]
assert r["total"] == len(r["rows"]), r
print("\n".join(r["rows"]))' "$json" | sort) || fail "bad /portmux/connections reply: $json"
echo "$tele_rows"
[[ $cli_rows == "$tele_rows" ]] || fail "telemetry rows differ from 'show connections':
--- CLI
$cli_rows
--- telemetry
$tele_rows"
n=$(grep -c . <<<"$tele_rows")
nest=$(grep -c ' ESTABLISHED ' <<<"$tele_rows" || true)
((n == NCONN + 1 && nest == NCONN)) || fail "expected 1 LISTEN and $NCONN ESTABLISHED rows, got $n rows ($nest ESTABLISHED)"
info "/portmux/connections: the same $n rows as 'show connections'"

# 2-4. Counters, flow table, listeners.
field() {   # JSON CMD PYTHON-EXPR on r
    "$PMX_PYTHON" -c 'import json, sys; r = json.loads(sys.argv[1])[sys.argv[2]]; print(eval(sys.argv[3]))' "$@"
}
json=$(tele /portmux/tcp/stats) || fail "telemetry /portmux/tcp/stats failed"
t_po=$(field "$json" /portmux/tcp/stats 'r["tcp_passive_opens"]') || fail "bad /portmux/tcp/stats: $json"
c_po=$(tcp_counter tcp_passive_opens) || fail "cannot read tcp_passive_opens"
[[ $t_po == "$c_po" ]] || fail "/portmux/tcp/stats tcp_passive_opens $t_po, 'show tcp stats' $c_po"
info "/portmux/tcp/stats: tcp_passive_opens $t_po as 'show tcp stats'"
json=$(tele /portmux/flowtable) || fail "telemetry /portmux/flowtable failed"
t_fe=$(field "$json" /portmux/flowtable 'sum(r["entries"])') || fail "bad /portmux/flowtable: $json"
c_fe=$(flow_entries) || fail "cannot read the flow table"
[[ $t_fe == "$c_fe" && $t_fe == "$NCONN" ]] || fail "/portmux/flowtable entries $t_fe, 'show flowtable' $c_fe, expected $NCONN"
info "/portmux/flowtable: $t_fe entries as 'show flowtable'"
json=$(tele /portmux/listeners) || fail "telemetry /portmux/listeners failed"
got=$(field "$json" /portmux/listeners 'r["address"][0] + " " + r["service"][0] + " " + str(r["accepted"][0])') \
    || fail "bad /portmux/listeners: $json"
[[ $got == "0.0.0.0:80 http $NCONN" ]] || fail "/portmux/listeners: '$got', expected '0.0.0.0:80 http $NCONN'"
info "/portmux/listeners: $got"
json=$(tele /portmux/port/kernel_ring) || fail "telemetry /portmux/port/kernel_ring failed"
kf=$(field "$json" /portmux/port/kernel_ring 'r["port0_rx_kernel_frames"]') \
    || fail "bad /portmux/port/kernel_ring: $json"
((kf > 0)) || fail "/portmux/port/kernel_ring: port0_rx_kernel_frames $kf after $NCONN connections"
info "/portmux/port/kernel_ring: port0_rx_kernel_frames $kf"

# 5. Listed next to /ethdev/stats.
json=$(tele /) || fail "telemetry / failed"
for c in /ethdev/stats /portmux/tcp/stats /portmux/connections /portmux/listeners /portmux/flowtable \
    /portmux/port/kernel_ring; do
    field "$json" / "sys.argv[4] in r" "$c" | grep -qx True || fail "$c not listed by /: $json"
done
info "/ lists the /portmux/ commands next to /ethdev/stats"

kill "$HOLDER_PID" 2>/dev/null || true
wait "$HOLDER_PID" 2>/dev/null || true
HOLDER_PID=""
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
