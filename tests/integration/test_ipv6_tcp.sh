#!/usr/bin/env bash
# Integration test: TCP over IPv6 against Linux clients (ipv6_lib.sh's
# dual-stack topology).
#
# portmux runs with --addr 0=198.18.0.1/24 --addr 0=2001:2::1/64
# --listen [::]:12000=echo --listen 0.0.0.0:80=http --listen [::]:80=http
# --msl-ms 1000 (a [::] listener takes IPv6 only, a 0.0.0.0 one IPv4 only).
#
# Checks:
#  1. the seeds' experiment over IPv6: three echo clients (one python
#     process, peers/seeds_clients.py) to [2001:2::1]:12000 check every echo;
#     while they are open 'show connections' has exactly one LISTEN row for
#     port 12000, [::]:12000, and three ESTABLISHED tcp6 rows
#     [2001:2::1]:12000 <-> [2001:2::2]:<the clients' ports>; the clients
#     close first and every row is gone within 5 s;
#  2. curl -6 fetches http://[2001:2::1]/bytes/1000000 twice in one command
#     over one keep-alive connection (num_connects sums to 1), both bodies
#     equal the expected bytes;
#  3. wrk -t1 -c100 -d10s http://[2001:2::1]/: requests > 0, no socket
#     errors, no non-2xx answers;
#  4. both families on port 80 at once: wrk -c20 -d5s against
#     http://198.18.0.1/ and http://[2001:2::1]/ in parallel, each with
#     requests > 0 and no errors, and 'show connections' during the run has
#     both tcp and tcp6 rows on port 80;
#  5. no connection row is left; portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"

PORT=12000
CLIENTS=3
BIG=1000000
URL6="http://[$DUT_IP6]"
URL4="http://$DUT_IP"

CLIENT_PID="" WRK4_PID="" WRK6_PID=""
tcp6_cleanup() {
    local status=$? p
    for p in "$CLIENT_PID" "$WRK4_PID" "$WRK6_PID"; do
        [[ -n $p ]] && { kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; }
    done
    (exit "$status")
    pmx_cleanup
}

require_root
pmx_traps
trap tcp6_cleanup EXIT
for tool in curl wrk; do
    command -v "$tool" >/dev/null || fail "$tool not installed (scripts/install-deps.sh)"
done
topo6_up
pmx_start6 --listen "[::]:$PORT=echo" --listen 0.0.0.0:80=http --listen "[::]:80=http" --msl-ms 1000
peer() { ip netns exec "$PEER_NS" "$@"; }

# conn_rows: 'show connections' rows other than LISTEN.
conn_rows() {
    local out
    out=$(ctl show connections) || return 1
    awk '($1 == "tcp" || $1 == "tcp6") && $6 != "LISTEN"' <<<"$out"
}
wait_no_conns() {
    local limit=$1 t0=$SECONDS left
    while :; do
        left=$(conn_rows) || fail "'show connections' failed"
        [[ -z $left ]] && return 0
        ((SECONDS - t0 < limit)) || fail "connection rows still present after $limit s: $(tr '\n' ' ' <<<"$left" | head -c 600)"
        sleep 0.1
    done
}
# wrk_check FILE WHAT: requests > 0, no socket errors, no non-2xx.
wrk_check() {
    local reqs sock_err nonzero
    reqs=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$1")
    [[ -n $reqs ]] || { cat "$1" >&2; fail "$2: no 'N requests in' line in wrk's output"; }
    ((reqs > 0)) || fail "$2: wrk completed $reqs requests"
    sock_err=$(grep 'Socket errors:' "$1" || true)
    if [[ -n $sock_err ]]; then
        nonzero=$(grep -oE '[a-z]+ [0-9]+' <<<"${sock_err#*:}" | awk '$2 != 0' || true)
        [[ -z $nonzero ]] || fail "$2: wrk: $sock_err"
    fi
    ! grep -q 'Non-2xx' "$1" || fail "$2: wrk: $(grep 'Non-2xx' "$1")"
    info "$2: $reqs requests, $(awk '$1 == "Requests/sec:" { print $2 }' "$1") requests/s, no errors"
}

# 1. Seeds over IPv6.
CLIENT_OUT="$PMX_TMP/seeds.out"
GO_FILE="$PMX_TMP/seeds_close"
peer timeout 60 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/seeds_clients.py" "$DUT_IP6" "$PORT" \
    --clients "$CLIENTS" --rounds 6 --go "$GO_FILE" >"$CLIENT_OUT" 2>&1 &
CLIENT_PID=$!
deadline=$((SECONDS + 20))
while ! grep -q '^PORTS ' "$CLIENT_OUT"; do
    pmx_pid_alive "$CLIENT_PID" || { cat "$CLIENT_OUT" >&2; fail "the echo clients exited before reporting their ports"; }
    ((SECONDS < deadline)) || { cat "$CLIENT_OUT" >&2; fail "the echo clients did not finish within 20 s"; }
    sleep 0.1
done
info "clients: $(tr '\n' ' ' <"$CLIENT_OUT")"
read -r -a ports <<<"$(sed -n 's/^PORTS //p' "$CLIENT_OUT")"
((${#ports[@]} == CLIENTS)) || fail "expected $CLIENTS client ports, got '${ports[*]}'"
conns=$(ctl show connections) || fail "'show connections' failed"
echo "$conns"
listen=$(awk -v p=":$PORT" '$6 == "LISTEN" && substr($4, length($4) - length(p) + 1) == p { print $1, $4 }' <<<"$conns")
[[ $listen == "tcp6 [::]:$PORT" ]] || fail "LISTEN rows for port $PORT: '${listen//$'\n'/; }', expected exactly 'tcp6 [::]:$PORT'"
est=$(awk -v a="[$DUT_IP6]:$PORT" '$6 == "ESTABLISHED" && $4 == a && $1 == "tcp6" { print $5 }' <<<"$conns" | sort)
want=$(for p in "${ports[@]}"; do echo "[$PEER_IP6]:$p"; done | sort)
[[ $est == "$want" ]] || fail "ESTABLISHED tcp6 rows to [$DUT_IP6]:$PORT: '${est//$'\n'/ }', expected '${want//$'\n'/ }'"
n_est=$(awk '$6 == "ESTABLISHED"' <<<"$conns" | wc -l)
((n_est == CLIENTS)) || fail "$n_est ESTABLISHED rows, expected $CLIENTS"
info "show connections: LISTEN tcp6 [::]:$PORT + $CLIENTS ESTABLISHED tcp6 rows to ${want//$'\n'/ }"
touch "$GO_FILE"
rc=0
wait "$CLIENT_PID" || rc=$?
CLIENT_PID=""
((rc == 0)) || { cat "$CLIENT_OUT" >&2; fail "the echo clients failed (exit $rc)"; }
grep -q '^CLOSED$' "$CLIENT_OUT" || fail "the echo clients did not report CLOSED"
wait_no_conns 5
info "seeds over IPv6: every echo right, every row gone after the clients' close"

# 2. curl -6: two 1 MB fetches on one keep-alive connection.
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/pattern_http.py" body "$BIG" >"$PMX_TMP/expected_big" \
    || fail "cannot generate the expected body"
rc=0
peer timeout 40 curl -6 -sS -v --noproxy '*' --max-time 30 -w '%{http_code} %{num_connects} %{size_download}\n' \
    -o "$PMX_TMP/big.1" "$URL6/bytes/$BIG" -o "$PMX_TMP/big.2" "$URL6/bytes/$BIG" \
    >"$PMX_TMP/curl.out" 2>"$PMX_TMP/curl.err" || rc=$?
((rc == 0)) || { tail -n 30 "$PMX_TMP/curl.err" >&2; fail "curl -6 exited $rc fetching $URL6/bytes/$BIG twice"; }
cat "$PMX_TMP/curl.out"
connects=0 n=0
while read -r code nconn size; do
    [[ $code == 200 && $size == "$BIG" ]] || fail "curl -6: '$code $nconn $size', expected 200 and $BIG bytes"
    connects=$((connects + nconn)) n=$((n + 1))
done <"$PMX_TMP/curl.out"
((n == 2)) || fail "curl -6 reported $n transfers, expected 2"
((connects == 1)) || fail "curl -6 opened $connects connections for two keep-alive fetches, expected 1"
cmp "$PMX_TMP/expected_big" "$PMX_TMP/big.1" || fail "body 1 of $URL6/bytes/$BIG differs"
cmp "$PMX_TMP/expected_big" "$PMX_TMP/big.2" || fail "body 2 of $URL6/bytes/$BIG differs"
info "curl -6: two $BIG-byte bodies right, one connection"

# 3. wrk over IPv6.
rc=0
peer timeout 40 wrk -t1 -c100 -d10s --timeout 5s "$URL6/" >"$PMX_TMP/wrk6.out" 2>&1 || rc=$?
cat "$PMX_TMP/wrk6.out"
((rc == 0)) || fail "wrk $URL6/ exited $rc"
wrk_check "$PMX_TMP/wrk6.out" "wrk -c100 $URL6/"
wait_no_conns 5

# 4. Both families at once on port 80.
peer timeout 30 wrk -t1 -c20 -d5s --timeout 5s "$URL4/" >"$PMX_TMP/wrk4b.out" 2>&1 &
WRK4_PID=$!
peer timeout 30 wrk -t1 -c20 -d5s --timeout 5s "$URL6/" >"$PMX_TMP/wrk6b.out" 2>&1 &
WRK6_PID=$!
sleep 2
conns=$(ctl show connections) || fail "'show connections' failed"
n4=$(awk -v a="$DUT_IP:80" '$1 == "tcp" && $4 == a && $6 != "LISTEN"' <<<"$conns" | wc -l)
n6=$(awk -v a="[$DUT_IP6]:80" '$1 == "tcp6" && $4 == a && $6 != "LISTEN"' <<<"$conns" | wc -l)
info "during the dual-stack run: $n4 tcp rows and $n6 tcp6 rows on port 80"
((n4 > 0 && n6 > 0)) || { echo "$conns" | head -30; fail "expected both tcp and tcp6 rows on port 80 while both run"; }
rc4=0 rc6=0
wait "$WRK4_PID" || rc4=$?
WRK4_PID=""
wait "$WRK6_PID" || rc6=$?
WRK6_PID=""
cat "$PMX_TMP/wrk4b.out" "$PMX_TMP/wrk6b.out"
((rc4 == 0 && rc6 == 0)) || fail "dual-stack wrk runs exited $rc4 (IPv4) and $rc6 (IPv6)"
wrk_check "$PMX_TMP/wrk4b.out" "dual-stack, wrk -c20 $URL4/"
wrk_check "$PMX_TMP/wrk6b.out" "dual-stack, wrk -c20 $URL6/"

# 5. Nothing left; clean stop.
wait_no_conns 5
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
