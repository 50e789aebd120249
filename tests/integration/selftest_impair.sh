#!/usr/bin/env bash
# Self-test of the link impairer (no portmux needed): two Linux TCP stacks,
# A (198.18.5.1) and B (198.18.5.2), talk through pmx-impair with 3% loss,
# 10% reordering, 1% duplication, 2 ms delay and 0.1% corruption. A sends
# 16 MiB of random data; B must receive it intact (same SHA-256), and the
# impairer's counters must show every impairment at a plausible rate, with
# B's kernel counting the corrupted segments as TCP checksum errors.
# Then the bottleneck: the same two stacks through a 20 Mbit/s link with a
# 10-frame queue and 5 ms delay each way; A sends 8 MiB, B must receive it
# intact, the bytes forwarded from A to B over the transfer's time must make
# 20 Mbit/s (-10 %..+1 %), and the queue must have overflowed (counted as
# queue_drops, in the accounting).
set -euo pipefail

# shellcheck source=tests/integration/impair_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/impair_lib.sh"

require_root
impair_traps

A_NS="pmxia$$" A_IF="pmxia$$" A_IP=198.18.5.1
B_NS="pmxib$$" B_IF="pmxib$$" B_IP=198.18.5.2
PORT=5001
IMPAIR_ARGS="--seed 1 --loss 0.03 --reorder 0.10 --dup 0.01 --delay-ms 2 --corrupt 0.001"
NECK_MBIT=20
NECK_ARGS="--seed 1 --rate-mbit $NECK_MBIT --queue-frames 10 --delay-ms 5"
TRANSFER_TIMEOUT=120
RECV_PID=""

# B accepts one connection and writes all it carries to a file; A sends
# the file, then waits for B to close (peers/bulk_file.py).
BULK=$PMX_LIB_DIR/peers/bulk_file.py

stop_receiver() {
    if [[ -n $RECV_PID ]]; then
        pmx_pid_alive "$RECV_PID" && kill -TERM "$RECV_PID" 2>/dev/null
        wait "$RECV_PID" 2>/dev/null || true
        RECV_PID=""
    fi
}
IMPAIR_ON_EXIT+=(stop_receiver)

in_csum_errors() {   # ns
    ip netns exec "$1" nstat -asz TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2; f = 1 } END { if (!f) print 0 }'
}

# link_up ARGS: the A <-> B link through pmx-impair ARGS, addressed.
link_up() {
    impair_up "$A_NS" "$A_IF" "$B_NS" "$B_IF" "$1"
    ip -n "$A_NS" addr add "$A_IP/24" dev "$A_IF" || fail "addr on $A_IF"
    ip -n "$B_NS" addr add "$B_IP/24" dev "$B_IF" || fail "addr on $B_IF"
}

# transfer MIB: A sends MIB MiB of random data to B, which must receive it
# intact; sets XFER_S to the time from A's connect to B's close.
transfer() {
    head -c "$1M" /dev/urandom >"$PMX_TMP/send.bin" || fail "making the test data"
    rm -f -- "$PMX_TMP/ready" "$PMX_TMP/recv.bin"
    ip netns exec "$B_NS" timeout $((TRANSFER_TIMEOUT + 30)) "$PMX_PYTHON" "$BULK" receive \
        "$B_IP" "$PORT" --out "$PMX_TMP/recv.bin" --ready "$PMX_TMP/ready" </dev/null >"$PMX_TMP/recv.log" 2>&1 &
    RECV_PID=$!
    local deadline=$((SECONDS + 10))
    until [[ -e $PMX_TMP/ready ]]; do
        pmx_pid_alive "$RECV_PID" || { cat "$PMX_TMP/recv.log" >&2; fail "receiver exited early"; }
        ((SECONDS < deadline)) || fail "receiver not listening after 10 s"
        sleep 0.05
    done

    info "sending $1 MiB $A_IP -> $B_IP:$PORT through the impaired link"
    local out
    out=$(ip netns exec "$A_NS" timeout "$TRANSFER_TIMEOUT" "$PMX_PYTHON" "$BULK" send \
        "$B_IP" "$PORT" --file "$PMX_TMP/send.bin") || fail "transfer failed or exceeded ${TRANSFER_TIMEOUT} s"
    wait "$RECV_PID" || { cat "$PMX_TMP/recv.log" >&2; fail "receiver failed"; }
    RECV_PID=""
    XFER_S=$(awk '$1 == "SENT" { print $3 }' <<<"$out")
    [[ -n $XFER_S ]] || fail "sender printed no SENT line: $out"
    info "transfer took $XFER_S s"

    local sum_a sum_b
    sum_a=$(sha256sum <"$PMX_TMP/send.bin" | cut -d' ' -f1)
    sum_b=$(sha256sum <"$PMX_TMP/recv.bin" | cut -d' ' -f1)
    info "sha256 sent $sum_a, received $sum_b"
    [[ $sum_a == "$sum_b" ]] || fail "received data differs from sent data"
}

link_up "$IMPAIR_ARGS"
transfer 16

csum_b=$(in_csum_errors "$B_NS")
csum_a=$(in_csum_errors "$A_NS")
impair_down || fail "pmx-impair did not stop cleanly (status $IMPAIR_EXIT)"
info "stats: $(cat -- "$IMPAIR_STATS")"
info "TcpInCsumErrors: B $csum_b, A $csum_a"

# Checks every direction's counters: accounting, no lost-by-accident frames,
# and the impairment rates. Prints one line per problem, exits 1 if any.
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/check_impair_stats.py" "$IMPAIR_STATS" --csum-errors-b "$csum_b" \
    || fail "impairer counters implausible"
impair_teardown

link_up "$NECK_ARGS"
transfer 8
impair_down || fail "pmx-impair did not stop cleanly (status $IMPAIR_EXIT)"
info "stats: $(cat -- "$IMPAIR_STATS")"
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/check_impair_stats.py" "$IMPAIR_STATS" \
    --rate-mbit "$NECK_MBIT" --seconds "$XFER_S" || fail "bottleneck counters implausible"

info "PASS"
