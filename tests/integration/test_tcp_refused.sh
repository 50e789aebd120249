#!/usr/bin/env bash
# Integration test: connection refused, listeners added and removed at run
# time, and the listen CLI's input checks.
#
# portmux runs with --listen 0.0.0.0:7=echo only; 8080 has no listener.
#
# Checks:
#  1. a Linux connect() to 198.18.0.1:8080 raises ConnectionRefusedError in
#     under 0.5 s (portmux answers the SYN with RST at once);
#     tcp_closed_answered and tcp_rst_sent_no_listener rose by exactly 1;
#  2. 'ctl listen 0.0.0.0 8080 echo' exits 0; 'show listeners' and 'show
#     connections' list 0.0.0.0:8080; an echo exchange on 8080 works;
#  3. with one echo connection on 8080 still open, 'ctl unlisten 0.0.0.0 8080'
#     exits 0; a new connect() to 8080 is refused again in under 0.5 s (the
#     two counters rose by exactly 1 more); the connection already
#     established keeps echoing and closes normally (docs/tcp.md: unlisten
#     resets SYN_RECV connections only);
#  4. bad CLI input exits non-zero (not a timeout) with exactly one line of
#     output naming the bad value, and changes no listener:
#       listen 0.0.0.0 99999 echo        -> names 99999
#       listen 1.2.3 80 http             -> names 1.2.3
#       listen 0.0.0.0 80 http size x    -> names x
#  5. portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

PORT=8080
REFUSE_LIMIT_MS=500

HOLD_PID=""
refused_cleanup() {
    local status=$?
    if [[ -n $HOLD_PID ]]; then
        kill -TERM "$HOLD_PID" 2>/dev/null || true
        wait "$HOLD_PID" 2>/dev/null || true
        HOLD_PID=""
    fi
    (exit "$status")
    pmx_cleanup
}

require_root
pmx_traps
trap refused_cleanup EXIT
topo_up
pmx_start --listen 0.0.0.0:7=echo

PY="$PMX_LIB_DIR/peers/refused_client.py"

peer_py() { ip netns exec "$PEER_NS" timeout 20 "$PMX_PYTHON" "$PY" "$@"; }

# expect_refused: connect() to $PORT must be refused in < REFUSE_LIMIT_MS,
# answered by exactly one no-listener RST.
expect_refused() {
    local ca0 rs0 ca rs out ms
    ca0=$(tcp_counter tcp_closed_answered) || fail "cannot read tcp_closed_answered"
    rs0=$(tcp_counter tcp_rst_sent_no_listener) || fail "cannot read tcp_rst_sent_no_listener"
    out=$(peer_py refused "$DUT_IP" "$PORT") || fail "connect to $DUT_IP:$PORT: $out"
    ms=$(sed -n 's/^REFUSED //p' <<<"$out")
    [[ -n $ms ]] || fail "connect to $DUT_IP:$PORT: unexpected client output '$out'"
    awk -v m="$ms" -v l="$REFUSE_LIMIT_MS" 'BEGIN { exit !(m < l) }' \
        || fail "ConnectionRefusedError after $ms ms, expected < $REFUSE_LIMIT_MS ms"
    ca=$(tcp_counter tcp_closed_answered) || fail "cannot read tcp_closed_answered"
    rs=$(tcp_counter tcp_rst_sent_no_listener) || fail "cannot read tcp_rst_sent_no_listener"
    info "connect to $DUT_IP:$PORT refused in $ms ms; tcp_closed_answered $ca0 -> $ca, tcp_rst_sent_no_listener $rs0 -> $rs"
    ((ca == ca0 + 1)) || fail "tcp_closed_answered went $ca0 -> $ca, expected +1"
    ((rs == rs0 + 1)) || fail "tcp_rst_sent_no_listener went $rs0 -> $rs, expected +1"
}

# 1. No listener on 8080.
expect_refused

# 2. Listener added at run time.
out=$(ctl listen 0.0.0.0 "$PORT" echo 2>&1) || fail "'listen 0.0.0.0 $PORT echo' failed: $out"
info "ctl listen 0.0.0.0 $PORT echo: $out"
lis=$(ctl show listeners) || fail "'show listeners' failed"
echo "$lis"
awk -v a="0.0.0.0:$PORT" '$1 == a && $2 == "echo"' <<<"$lis" | grep -q . \
    || fail "'show listeners' has no '0.0.0.0:$PORT echo' row"
conns=$(ctl show connections) || fail "'show connections' failed"
awk -v a="0.0.0.0:$PORT" '$1 == "tcp" && $4 == a && $6 == "LISTEN"' <<<"$conns" | grep -q . \
    || fail "'show connections' has no LISTEN row for 0.0.0.0:$PORT"
out=$(peer_py echo "$DUT_IP" "$PORT") || fail "echo on the run-time listener: $out"
info "run-time listener: $out"

# 3. Unlisten with one connection established.
GO_FILE="$PMX_TMP/hold_go"
HOLD_OUT="$PMX_TMP/hold.out"
ip netns exec "$PEER_NS" timeout 90 "$PMX_PYTHON" "$PY" hold "$DUT_IP" "$PORT" --go "$GO_FILE" >"$HOLD_OUT" 2>&1 &
HOLD_PID=$!
deadline=$((SECONDS + 15))
until grep -q '^READY$' "$HOLD_OUT"; do
    pmx_pid_alive "$HOLD_PID" || fail "the held connection's client exited early: $(cat "$HOLD_OUT")"
    ((SECONDS < deadline)) || fail "the held connection's client not ready within 15 s: $(cat "$HOLD_OUT")"
    sleep 0.05
done
out=$(ctl unlisten 0.0.0.0 "$PORT" 2>&1) || fail "'unlisten 0.0.0.0 $PORT' failed: $out"
info "ctl unlisten 0.0.0.0 $PORT: $out"
lis=$(ctl show listeners) || fail "'show listeners' failed"
! awk '{ print $1 }' <<<"$lis" | grep -qx "0.0.0.0:$PORT" || fail "'show listeners' still lists 0.0.0.0:$PORT after unlisten"
conns=$(ctl show connections) || fail "'show connections' failed"
echo "$conns"
awk -v a="0.0.0.0:$PORT" '$1 == "tcp" && $4 == a' <<<"$conns" | grep -q . \
    && fail "'show connections' still has a LISTEN row for 0.0.0.0:$PORT after unlisten"
awk -v a="$DUT_IP:$PORT" '$1 == "tcp" && $4 == a && $6 == "ESTABLISHED"' <<<"$conns" | grep -q . \
    || fail "the connection established before unlisten is not ESTABLISHED any more"
expect_refused
touch "$GO_FILE"
rc=0
wait "$HOLD_PID" || rc=$?
HOLD_PID=""
if ((rc != 0)) || ! grep -q '^DONE$' "$HOLD_OUT"; then
    fail "the connection established before unlisten failed after it (exit $rc): $(cat "$HOLD_OUT")"
fi
info "the connection established before unlisten kept echoing and closed normally"

# 4. Bad CLI input.
lis0=$(ctl show listeners) || fail "'show listeners' failed"
bad_cli() {   # BAD-VALUE WORDS...
    local bad=$1 rc=0 out n
    shift
    out=$(ctl "$@" 2>&1) || rc=$?
    n=$(grep -c . <<<"$out" || true)
    info "ctl $* -> exit $rc: $out"
    ((rc != 0)) || fail "'$*' was accepted (exit 0)"
    ((rc != 124)) || fail "'$*' timed out"
    ((n == 1)) || fail "'$*' printed $n lines, expected one error line: $out"
    grep -qF -- "'$bad'" <<<"$out" || fail "the error for '$*' does not name the bad value '$bad': $out"
}
bad_cli 99999 listen 0.0.0.0 99999 echo
bad_cli 1.2.3 listen 1.2.3 80 http
bad_cli x listen 0.0.0.0 80 http size x
lis=$(ctl show listeners) || fail "'show listeners' failed"
[[ $lis == "$lis0" ]] || fail "bad listen commands changed the listeners: $lis"

# 5. Clean shutdown.
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
