#!/usr/bin/env bash
# Integration test: the http service against curl and wrk on the Linux peer.
#
# portmux runs with --listen 0.0.0.0:80=http (GET / answers 64 bytes,
# GET /bytes/N answers N bytes; body byte i is 'a' + i % 26) and --msl-ms 2000
# (TIME_WAIT = 4 s).
#
# Checks:
#  1. one curl command fetches /bytes/1000000 five times; curl opens exactly
#     one connection (sum of %{num_connects} == 1, and its verbose log says
#     "Re-using existing connection" four times); every answer is 200 and
#     every body equals the expected 1000000 bytes (cmp against a file python
#     generates); GET / gives the 64 default bytes;
#  1b. uploads of a 1000003-byte random file in one curl command (--next
#     keeps the connection): a POST with Content-Length (no Expect), a POST
#     with 'Transfer-Encoding: chunked', a PUT with 'Expect: 100-continue',
#     then a GET /bytes/1000: each upload is answered 200 with the body
#     "received 1000003 bytes\n", curl sees "HTTP/1.1 100 Continue" once,
#     the GET body is right, curl opens one connection and re-uses it 3
#     times, and the http refusal counters stay 0; then a POST announcing
#     2000000000 bytes is answered 413 at once (before its body) and
#     http_body_too_large counts 1;
#  2. wrk -t1 -c100 -d10s http://198.18.0.1/: requests > 0, no socket errors
#     (no "Socket errors" line, or all its figures 0), no "Non-2xx or 3xx"
#     line; Requests/sec is logged. Afterwards every connection row is gone
#     within 5 s (wrk closes first) and the flow table is empty;
#  3. curl with "Connection: close" gets /bytes/1000 right; the server closes
#     first, so 'show connections' has exactly one TIME_WAIT row, ours
#     (198.18.0.1:80 <-> 198.18.0.2:<curl's local port>); it disappears
#     between 0.9 * 2 MSL and 2 MSL + 3 s later; then 'show connections' has
#     no connection row, the flow table is empty and tcp_timewait_expired
#     rose by exactly 1;
#  4. portmux exits cleanly on SIGTERM.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

MSL_MS=2000
BIG=1000000
FETCHES=5
SMALL=1000

require_root
pmx_traps
topo_up
pmx_start --listen 0.0.0.0:80=http --msl-ms "$MSL_MS"

for tool in curl wrk; do
    command -v "$tool" >/dev/null || fail "$tool not installed (scripts/install-deps.sh)"
done

URL="http://$DUT_IP"
peer() { ip netns exec "$PEER_NS" "$@"; }

# expected_body N FILE: the http service's N-byte body.
expected_body() {
    "$PMX_PYTHON" "$PMX_LIB_DIR/peers/pattern_http.py" body "$1" >"$2" \
        || fail "cannot generate the expected $1-byte body"
}

# conn_rows: 'show connections' rows other than LISTEN.
conn_rows() {
    local out
    out=$(ctl show connections) || return 1
    awk '$1 == "tcp" && $6 != "LISTEN"' <<<"$out"
}

# wait_no_conns SECONDS: fail unless every connection row is gone in time.
wait_no_conns() {
    local limit=$1 t0=$SECONDS left
    while :; do
        left=$(conn_rows) || fail "'show connections' failed"
        [[ -z $left ]] && break
        ((SECONDS - t0 < limit)) || fail "connection rows still present after $limit s: $(tr '\n' ' ' <<<"$left" | head -c 600)"
        sleep 0.1
    done
}

# 1. Five 1 MB fetches over one keep-alive connection.
expected_body "$BIG" "$PMX_TMP/expected_big"
expected_body "$SMALL" "$PMX_TMP/expected_small"
expected_body 64 "$PMX_TMP/expected_root"

curl_args=(-sS -v --noproxy '*' --max-time 60 -w '%{http_code} %{num_connects} %{size_download} %{local_port}\n')
for ((i = 1; i <= FETCHES; i++)); do
    curl_args+=(-o "$PMX_TMP/big.$i" "$URL/bytes/$BIG")
done
info "curl: $FETCHES x GET /bytes/$BIG in one command"
t_start=$EPOCHREALTIME
rc=0
peer timeout 90 curl "${curl_args[@]}" >"$PMX_TMP/curl.out" 2>"$PMX_TMP/curl.err" || rc=$?
t_end=$EPOCHREALTIME
if ((rc != 0)); then
    tail -n 30 "$PMX_TMP/curl.err" >&2
    fail "curl exited $rc fetching /bytes/$BIG x $FETCHES"
fi
cat "$PMX_TMP/curl.out"
info "curl took $(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.2f", b - a }') s for $((FETCHES * BIG)) bytes"
mapfile -t lines <"$PMX_TMP/curl.out"
((${#lines[@]} == FETCHES)) || fail "curl reported ${#lines[@]} transfers, expected $FETCHES"
connects=0
for l in "${lines[@]}"; do
    read -r code nconn size _ <<<"$l"
    [[ $code == 200 ]] || fail "curl: HTTP status $code, expected 200 ($l)"
    [[ $size == "$BIG" ]] || fail "curl: downloaded $size bytes, expected $BIG ($l)"
    connects=$((connects + nconn))
done
reused=$(grep -c 'Re-using existing connection' "$PMX_TMP/curl.err" || true)
info "curl: $connects connection(s) opened, 'Re-using existing connection' $reused time(s)"
((connects == 1)) || fail "curl opened $connects connections for $FETCHES keep-alive fetches, expected 1"
((reused == FETCHES - 1)) || fail "curl re-used the connection $reused times, expected $((FETCHES - 1))"
for ((i = 1; i <= FETCHES; i++)); do
    cmp "$PMX_TMP/expected_big" "$PMX_TMP/big.$i" || fail "body $i of /bytes/$BIG differs from the expected bytes"
done
info "all $FETCHES bodies equal the expected $BIG bytes"

out=$(peer timeout 20 curl -sS --noproxy '*' --max-time 10 -o "$PMX_TMP/root" -w '%{http_code} %{size_download}' "$URL/") \
    || fail "curl GET / failed"
[[ $out == "200 64" ]] || fail "GET /: '$out', expected '200 64'"
cmp "$PMX_TMP/expected_root" "$PMX_TMP/root" || fail "GET / body differs from the expected 64 bytes"
info "GET /: 200, 64 expected bytes"
wait_no_conns 5

# 1b. Uploads, then a GET, on one keep-alive connection.
UP=1000003
"$PMX_PYTHON" -c 'import os, sys; sys.stdout.buffer.write(os.urandom(int(sys.argv[1])))' "$UP" \
    >"$PMX_TMP/upload" || fail "cannot generate the upload file"
printf 'received %d bytes\n' "$UP" >"$PMX_TMP/expected_upload"
each=(-sS -v --noproxy '*' --max-time 60 -w '%{http_code} %{num_connects} %{size_upload} %{size_download}\n')
up_args=("${each[@]}" -H 'Expect:' --data-binary "@$PMX_TMP/upload" -o "$PMX_TMP/up.1" "$URL/upload"
    --next "${each[@]}" -H 'Expect:' -H 'Transfer-Encoding: chunked' --data-binary "@$PMX_TMP/upload"
    -o "$PMX_TMP/up.2" "$URL/upload"
    --next "${each[@]}" -H 'Expect: 100-continue' -T "$PMX_TMP/upload" -o "$PMX_TMP/up.3" "$URL/put"
    --next "${each[@]}" -o "$PMX_TMP/after_upload" "$URL/bytes/$SMALL")
info "curl: POST (Content-Length), POST (chunked), PUT (Expect: 100-continue) of $UP bytes, then GET, in one command"
rc=0
peer timeout 90 curl "${up_args[@]}" >"$PMX_TMP/up.out" 2>"$PMX_TMP/up.err" || rc=$?
if ((rc != 0)); then
    tail -n 30 "$PMX_TMP/up.err" >&2
    fail "curl exited $rc uploading"
fi
cat "$PMX_TMP/up.out"
mapfile -t lines <"$PMX_TMP/up.out"
((${#lines[@]} == 4)) || fail "curl reported ${#lines[@]} transfers, expected 4"
connects=0
for i in 0 1 2 3; do
    read -r code nconn sent size <<<"${lines[i]}"
    [[ $code == 200 ]] || fail "transfer $((i + 1)): HTTP status $code, expected 200 (${lines[i]})"
    # size_upload counts the chunked framing too.
    ((i == 3 || (i == 1 && sent > UP) || sent == UP)) || fail "transfer $((i + 1)): curl sent $sent bytes, expected $UP"
    connects=$((connects + nconn))
done
for i in 1 2 3; do
    cmp "$PMX_TMP/expected_upload" "$PMX_TMP/up.$i" \
        || fail "upload $i answered '$(head -c 100 "$PMX_TMP/up.$i")', expected 'received $UP bytes'"
done
cmp "$PMX_TMP/expected_small" "$PMX_TMP/after_upload" || fail "GET after the uploads: body differs"
grep -q '^> Transfer-Encoding: chunked' "$PMX_TMP/up.err" || fail "curl did not send a chunked upload"
continues=$(grep -c '^< HTTP/1.1 100 Continue' "$PMX_TMP/up.err" || true)
reused=$(grep -c 'Re-using existing connection' "$PMX_TMP/up.err" || true)
info "uploads: 3 x 'received $UP bytes', 100 Continue $continues time(s), $connects connection(s), re-used $reused time(s)"
((continues == 1)) || fail "curl saw 100 Continue $continues times, expected 1 (the PUT)"
((connects == 1)) || fail "curl opened $connects connections for 4 keep-alive transfers, expected 1"
((reused == 3)) || fail "curl re-used the connection $reused times, expected 3"
for c in http_bad_content_length http_body_too_large http_ambiguous_framing http_bad_transfer_coding http_bad_chunk; do
    v=$(counter "$c") || fail "cannot read $c"
    ((v == 0)) || fail "$c is $v after well-formed uploads"
done
# Over the 1 GiB bound: refused from the head alone. curl sends one byte of
# the announced body and may complain about the rest; only the answer counts.
out=$(peer timeout 20 curl -sS --noproxy '*' --max-time 10 -H 'Expect:' -H 'Content-Length: 2000000000' \
    --data-binary x -o /dev/null -w '%{http_code}' "$URL/upload" 2>/dev/null) || true
[[ $out == 413 ]] || fail "POST of 2000000000 bytes answered '$out', expected 413"
v=$(counter http_body_too_large) || fail "cannot read http_body_too_large"
((v == 1)) || fail "http_body_too_large is $v after one oversize POST, expected 1"
info "oversize POST: 413, http_body_too_large 1"
wait_no_conns 5

# 2. wrk.
popen0=$(tcp_counter tcp_passive_opens) || fail "cannot read tcp_passive_opens"
info "wrk -t1 -c100 -d10s $URL/"
rc=0
peer timeout 60 wrk -t1 -c100 -d10s --timeout 5s "$URL/" >"$PMX_TMP/wrk.out" 2>&1 || rc=$?
cat "$PMX_TMP/wrk.out"
((rc == 0)) || fail "wrk exited $rc"
rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$PMX_TMP/wrk.out")
reqs=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$PMX_TMP/wrk.out")
[[ -n $rps && -n $reqs ]] || fail "no 'Requests/sec:' or 'N requests in' line in wrk's output"
((reqs > 0)) || fail "wrk completed $reqs requests"
sock_err=$(grep 'Socket errors:' "$PMX_TMP/wrk.out" || true)
if [[ -n $sock_err ]]; then
    nonzero=$(grep -oE '[a-z]+ [0-9]+' <<<"${sock_err#*:}" | awk '$2 != 0' || true)
    [[ -z $nonzero ]] || fail "wrk: $sock_err"
fi
! grep -q 'Non-2xx' "$PMX_TMP/wrk.out" || fail "wrk: $(grep 'Non-2xx' "$PMX_TMP/wrk.out")"
popen=$(tcp_counter tcp_passive_opens) || fail "cannot read tcp_passive_opens"
retr=$(tcp_counter tcp_retrans_segs) || fail "cannot read tcp_retrans_segs"
info "wrk: $reqs requests, Requests/sec $rps, no socket errors, no non-2xx; passive opens +$((popen - popen0)), tcp_retrans_segs $retr"
wait_no_conns 5
entries=$(flow_entries) || fail "cannot read the flow table"
((entries == 0)) || fail "flow table holds $entries entries after wrk closed its connections"

# 3. Connection: close: the server closes first and holds TIME_WAIT for 2 MSL.
tw0=$(tcp_counter tcp_timewait_expired) || fail "cannot read tcp_timewait_expired"
out=$(peer timeout 20 curl -sS --noproxy '*' --max-time 10 -H 'Connection: close' -o "$PMX_TMP/small" \
    -w '%{http_code} %{size_download} %{local_port}' "$URL/bytes/$SMALL") || fail "curl with Connection: close failed"
t_closed=$EPOCHREALTIME
read -r code size lport <<<"$out"
[[ $code == 200 && $size == "$SMALL" ]] || fail "Connection: close fetch: '$out', expected 200 and $SMALL bytes"
cmp "$PMX_TMP/expected_small" "$PMX_TMP/small" || fail "Connection: close body differs from the expected $SMALL bytes"
info "Connection: close: 200, $SMALL expected bytes, curl's port $lport"

conns=$(ctl show connections) || fail "'show connections' failed"
echo "$conns"
rows=$(awk '$1 == "tcp" && $6 != "LISTEN"' <<<"$conns")
want="$DUT_IP:80 $PEER_IP:$lport TIME_WAIT"
got=$(awk '{ print $4, $5, $6 }' <<<"$rows")
[[ $got == "$want" ]] || fail "after a server-side close expected exactly one row '$want', got '${got//$'\n'/ }'"

limit_ms=$((2 * MSL_MS + 3000))
while :; do
    rows=$(conn_rows) || fail "'show connections' failed"
    now=$EPOCHREALTIME
    el_ms=$(awk -v a="$t_closed" -v b="$now" 'BEGIN { printf "%d", (b - a) * 1000 }')
    [[ -z $rows ]] && break
    ((el_ms < limit_ms)) || fail "TIME_WAIT row still there ${el_ms} ms after the close (2 MSL = $((2 * MSL_MS)) ms): $rows"
    sleep 0.05
done
info "TIME_WAIT gone ${el_ms} ms after the close (2 MSL = $((2 * MSL_MS)) ms)"
((el_ms * 10 >= 2 * MSL_MS * 9)) || fail "TIME_WAIT lasted only ${el_ms} ms, expected about 2 MSL = $((2 * MSL_MS)) ms"
entries=$(flow_entries) || fail "cannot read the flow table"
tw=$(tcp_counter tcp_timewait_expired) || fail "cannot read tcp_timewait_expired"
info "flow table entries=$entries, tcp_timewait_expired $tw0 -> $tw"
((entries == 0)) || fail "flow table holds $entries entries after TIME_WAIT expired"
((tw == tw0 + 1)) || fail "tcp_timewait_expired went $tw0 -> $tw, expected +1"

# 4. Clean shutdown.
pmx_stop || fail "portmux did not stop cleanly on SIGTERM (status $PMX_EXIT)"
info "PASS"
