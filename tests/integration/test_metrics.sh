#!/usr/bin/env bash
# Integration test: the Prometheus endpoint (--metrics) scraped by curl,
# promtool and a real Prometheus server while wrk loads the http service.
#
# portmux runs with --metrics 127.0.0.1:9464 (the dut namespace's loopback),
# --listen 0.0.0.0:80=http and --msl-ms 500 (wrk's "Connection: close" load
# leaves TIME_WAIT on our side).
#
# Checks:
#  1. GET /metrics: 200, and `promtool check metrics` on it prints nothing
#     and exits 0; GET /nope: 404; POST /metrics: 405; the families the
#     issue lists are present (portmux_build_info, per-port, per-lcore TCP,
#     drops by reason, connections by state, flow table, listeners, busy
#     ratio, mbuf pool); one curl over IPv4 and one over IPv6 (curl -6)
#     count one passive open under each `family` label, and none of
#     portmux_tcp_passive_opens_total's samples lacks the label; and
#     docs/metrics.md names every family and drop
#     reason of the scrape; a malformed request and a client that hangs up
#     before reading do not stop the endpoint; a 65th concurrent connection
#     is closed unanswered, and scrapes work once the 64 idle ones close;
#  2. a Prometheus server (config and storage in a temporary directory,
#     127.0.0.1:9090, scrape interval 1 s) scrapes it while
#     wrk -c20 -d12s -H 'Connection: close' runs: during the load a scrape
#     is promtool-clean too and the largest portmux_lcore_busy_ratio is in
#     (0, 1],
#     sum(rate(portmux_tcp_passive_opens_total[5s])) > 0, and
#     sum(portmux_tcp_passive_opens_total) never exceeds what
#     'show tcp stats' said just after the query; after the load it equals
#     the CLI's tcp_passive_opens within 10 s (a few scrape intervals);
#  3. 1000 scrapes in a tight loop while wrk -c50 -d15s (keep-alive) runs:
#     every one is HTTP 200 and parses as the text format (no timing
#     assertion here; scripts/bench-scrape.sh measures the effect);
#  4. portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"
# shellcheck source=tests/integration/metrics_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/metrics_lib.sh"

require_root
for tool in curl wrk promtool prometheus; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
metrics_cleanup() {
    local s=$?
    prom_stop >/dev/null 2>&1 || true
    (exit "$s")
    pmx_cleanup
}
pmx_traps
trap metrics_cleanup EXIT
topo6_up
dut_lo_up
pmx_start6 --listen 0.0.0.0:80=http --listen '[::]:80=http' --msl-ms 500 \
    --metrics "127.0.0.1:$METRICS_PORT"
URL="http://$DUT_IP/"

# 1. One scrape, promtool, error paths, families.
peer timeout 10 curl -sS --noproxy '*' -o /dev/null "$URL" || fail "curl $URL failed"
peer timeout 10 curl -6 -sS --noproxy '*' -o /dev/null "http://[$DUT_IP6]/" || fail "curl -6 failed"
scrape "$PMX_TMP/m1.txt"
lint=$(promtool check metrics <"$PMX_TMP/m1.txt" 2>&1) && rc=0 || rc=$?
[[ $rc == 0 && -z $lint ]] || fail "promtool check metrics (exit $rc): $lint"
info "promtool check metrics: clean ($(wc -l <"$PMX_TMP/m1.txt") lines)"
code=$(dut curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/nope")
[[ $code == 404 ]] || fail "GET /nope: HTTP $code, expected 404"
code=$(dut curl -s --noproxy '*' -X POST -o /dev/null -w '%{http_code}' "$METRICS_URL")
[[ $code == 405 ]] || fail "POST /metrics: HTTP $code, expected 405"
for family in portmux_build_info portmux_port_rx_packets_total portmux_port_xstats_total \
    portmux_tcp_passive_opens_total portmux_tcp_retrans_segs_total portmux_drops_total \
    portmux_tcp_connections portmux_flowtable_entries portmux_flowtable_capacity_entries \
    portmux_flowtable_insert_failures_total portmux_listener_backlog_overflows_total \
    portmux_lcore_busy_ratio portmux_mbuf_pool_in_use; do
    grep -q "^# TYPE $family " "$PMX_TMP/m1.txt" || fail "no family $family in the scrape"
done
grep -q '^portmux_drops_total{lcore="1",reason="tcp_bad_checksum"} ' "$PMX_TMP/m1.txt" \
    || fail "no portmux_drops_total{lcore=\"1\",reason=\"tcp_bad_checksum\"} sample"
# One passive open per family, and every sample carries the family label.
opens_of() {  # FAMILY: portmux_tcp_passive_opens_total summed over the lcores
    awk -v f="$1" '$1 ~ "^portmux_tcp_passive_opens_total\\{lcore=\"[0-9]+\",family=\"" f "\"\\}$" { s += $2 }
        END { print s + 0 }' "$PMX_TMP/m1.txt"
}
po4=$(opens_of ipv4) po6=$(opens_of ipv6)
((po4 == 1 && po6 == 1)) ||
    fail "portmux_tcp_passive_opens_total: family ipv4 $po4, ipv6 $po6 after one curl each, expected 1 and 1"
! grep -E '^portmux_tcp_passive_opens_total\{' "$PMX_TMP/m1.txt" | grep -qv 'family="' ||
    fail "a portmux_tcp_passive_opens_total sample without the family label"
info "portmux_tcp_passive_opens_total: family=\"ipv4\" $po4, family=\"ipv6\" $po6"
# A malformed request and a client that hangs up early do not stop it.
dut timeout 5 bash -c "printf 'GARBAGE\r\n\r\n' >/dev/tcp/127.0.0.1/$METRICS_PORT" || fail "cannot connect to the metrics port"
dut timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT; printf 'GET /metrics HTTP/1.1\r\n\r\n' >&3; exec 3>&-" \
    || fail "cannot connect to the metrics port"
scrape "$PMX_TMP/m2.txt"
# At most 64 connections at once: a 65th is closed at once; when the idle
# ones go, scrapes work again.
dut timeout 20 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/conn_limit_client.py" 127.0.0.1 "$METRICS_PORT" --idle 64 \
    || fail "the 65th concurrent connection was not refused"
scrape "$PMX_TMP/m3.txt"
info "404, 405, every listed family present; served on after a malformed request, a hang-up and 65 connections"
# docs/metrics.md names every family (drops by their reason label).
undocumented=$(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$PMX_TMP/m1.txt" | while read -r f; do
    grep -qF "\`$f\`" "$PMX_REPO_ROOT/docs/metrics.md" || echo "$f"; done)
reasons=$(grep -oE '^portmux_drops_total\{[^}]*reason="[a-z0-9_]+"' "$PMX_TMP/m1.txt" | sed -E 's/.*reason="//; s/"$//' | sort -u |
    while read -r r; do grep -qF "\`$r\`" "$PMX_REPO_ROOT/docs/metrics.md" || echo "reason=$r"; done)
[[ -z $undocumented && -z $reasons ]] || fail "not in docs/metrics.md: $(tr '\n' ' ' <<<"$undocumented $reasons")"
info "every family and drop reason is in docs/metrics.md"

# 2. Prometheus under load.
prom_start
info "wrk -t1 -c20 -d12s -H 'Connection: close' $URL (background)"
peer timeout 60 wrk -t1 -c20 -d12s --timeout 5s -H 'Connection: close' "$URL" >"$PMX_TMP/wrk1.out" 2>&1 &
WRK_PID=$!
sleep 7
scrape "$PMX_TMP/m-load.txt"
lint=$(promtool check metrics <"$PMX_TMP/m-load.txt" 2>&1) && rc=0 || rc=$?
[[ $rc == 0 && -z $lint ]] || fail "promtool check metrics under load (exit $rc): $lint"
# The busiest lcore's ratio is in (0, 1], and none is above 1.
busy=$(awk '$1 ~ /^portmux_lcore_busy_ratio\{/ { if ($2 > m) m = $2; if ($2 > 1) bad = 1 }
    END { print (bad ? "over-1" : m + 0) }' "$PMX_TMP/m-load.txt")
awk -v b="$busy" 'BEGIN { exit !(b > 0 && b <= 1) }' || fail "portmux_lcore_busy_ratio: largest $busy under load, expected in (0, 1]"
rate=$(prom_query 'sum(rate(portmux_tcp_passive_opens_total[5s]))') || fail "query rate() failed"
prom_v=$(prom_query 'sum(portmux_tcp_passive_opens_total)') || fail "query failed"
cli_v=$(tcp_counter tcp_passive_opens) || fail "cannot read tcp_passive_opens"
info "during load: rate(passive opens[5s]) = $rate/s, Prometheus $prom_v <= CLI $cli_v"
awk -v r="$rate" 'BEGIN { exit !(r != "none" && r + 0 > 0) }' || fail "rate(portmux_tcp_passive_opens_total[5s]) = $rate during load, expected > 0"
if [[ $prom_v == none ]] || ((prom_v > cli_v)); then
    fail "Prometheus says $prom_v passive opens, the CLI only $cli_v just after"
fi
wait "$WRK_PID" || fail "wrk exited $?"
cat "$PMX_TMP/wrk1.out"
cli_v=$(tcp_counter tcp_passive_opens) || fail "cannot read tcp_passive_opens"
deadline=$((SECONDS + 10))
while :; do
    prom_v=$(prom_query 'sum(portmux_tcp_passive_opens_total)') || fail "query failed"
    [[ $prom_v == "$cli_v" ]] && break
    ((SECONDS < deadline)) || fail "Prometheus has $prom_v passive opens 10 s after the load, 'show tcp stats' $cli_v"
    sleep 0.5
done
info "after load: Prometheus portmux_tcp_passive_opens_total = $prom_v = 'show tcp stats' tcp_passive_opens"
prom_stop

# 3. 1000 scrapes while wrk runs.
info "wrk -t1 -c50 -d15s $URL with 1000 scrapes in a tight loop"
peer timeout 60 wrk -t1 -c50 -d15s --timeout 5s "$URL" >"$PMX_TMP/wrk2.out" 2>&1 &
WRK_PID=$!
sleep 1
dut timeout 120 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/scrape_loop.py" "127.0.0.1" "$METRICS_PORT" 1000 \
    >"$PMX_TMP/scrapes.out" 2>&1 || { cat "$PMX_TMP/scrapes.out" >&2; fail "scrape loop failed"; }
cat "$PMX_TMP/scrapes.out"
wait "$WRK_PID" || fail "wrk exited $?"
cat "$PMX_TMP/wrk2.out"
grep -q '^1000 scrapes, 1000 ok' "$PMX_TMP/scrapes.out" || fail "not every scrape succeeded"

# 4. Clean shutdown.
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
