#!/usr/bin/env bash
# Integration test: portmux's generator against a portmux server, two
# processes joined by net_memif (shared memory; hugepages reserved here and
# given back at the end). No NIC and no kernel network stack in between.
#
#   server: --listen 0.0.0.0:80=http, address 198.18.1.1/24
#   client: addresses 198.18.1.2/24 and 198.18.1.3/24 (the source pool)
#   both:   --msl-ms 1000 (TIME_WAIT 2 s)
#
# Part 1, one worker on each side (server worker on CPU 1, client's on 0):
#  1. 100,000 short connections, one GET /bytes/64 each, at up to 20,000
#     per second: zero errors, 100,000 completed; the client's active opens,
#     the server's passive opens and its listener's accepted count are all
#     100,000; the bytes the client sent/read equal the bytes the server
#     read/sent (tcp_rx_bytes/tcp_tx_bytes).
#  2. A 10-second keep-alive run (100 connections, requests until the end):
#     zero errors, every connection completed, > 0 responses, byte counters
#     agree again.
#  2b. method post: 50 connections x 20 POSTs of 65536 body bytes: zero
#     errors, 50 more completed, 1000 more responses, at least 1000 x 65536
#     more request bytes, byte counters agree, none of the server's http
#     refusal counters moved.
#  3. Once TIME_WAIT has expired both flow tables are empty.
# Part 2, two workers on each side (memif pairs queue i with queue i):
#  4. 4,000 connections: zero errors, both client workers opened some and
#     both server workers accepted some, and tcp_handoffs is 0 on both
#     (memif pairs queues: every segment reaches its owner).
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

MSL_MS=1000
HUGEPAGES=512
SERVER_IP=198.18.1.1
require_root
_check_binaries
_tmpdir

NS="pmxm$$"
S_PID="" C_PID=""
memif_cleanup() {
    local st=$?
    set +e
    [[ -n $C_PID ]] && pmx_stop_pid "$C_PID" 10 portmux-client
    [[ -n $S_PID ]] && pmx_stop_pid "$S_PID" 10 portmux-server
    pmx_netns_del "$NS"
    pmx_hugepages_restore
    (exit "$st")
    pmx_cleanup
}
pmx_traps
trap memif_cleanup EXIT

# The two processes run in a namespace of their own: nothing of theirs can
# reach any other network (memif needs none).
pmx_netns_add "$NS" || fail "ip netns add $NS"
pmx_hugepages_reserve "$HUGEPAGES" || fail "cannot reserve $HUGEPAGES hugepages"

MEMIF_SOCK="$PMX_TMP/memif.sock"
S_SOCK="$PMX_TMP/server.sock" C_SOCK="$PMX_TMP/client.sock"
S_LOG="$PMX_TMP/server.log" C_LOG="$PMX_TMP/client.log"
PMX_LOG=$C_LOG  # fail() prints this one
sctl() { pmx_ctl_sock "$S_SOCK" "$@"; }
ctl() { pmx_ctl_sock "$C_SOCK" "$@"; }
PMX_SOCK=$C_SOCK  # lib.sh's counter/gen_wait_done/flow_entries use ctl

# start_one NAME LCORES ROLE SOCK LOG APP-ARGS...: sets PMX_STARTED (a child
# of this shell, so that pmx_stop_pid can reap it).
start_one() {
    local name=$1 cores=$2 role=$3 sock=$4 log=$5
    shift 5
    pmx_memif_start "$NS" "pmx$name$$" "$cores" "$role" "$MEMIF_SOCK" "$sock" "$log" \
        --msl-ms "$MSL_MS" --tcp-buffers 16384 --tcp-buffer-kb 16 "$@"
}
wait_cli() {  # SOCK PID LOG
    pmx_wait_cli "" "$1" "$2" 30 "Link up" || { cat "$3" >&2; fail "no link up on $1: $3"; }
}
start_pair() {  # SERVER-LCORES CLIENT-LCORES
    start_one s "$1" server "$S_SOCK" "$S_LOG" --addr "0=$SERVER_IP/24" --listen 0.0.0.0:80=http
    S_PID=$PMX_STARTED
    sleep 0.5
    start_one c "$2" client "$C_SOCK" "$C_LOG" --addr 0=198.18.1.2/24 --addr 0=198.18.1.3/24
    C_PID=$PMX_STARTED
    wait_cli "$S_SOCK" "$S_PID" "$S_LOG"
    wait_cli "$C_SOCK" "$C_PID" "$C_LOG"
    info "server pid $S_PID ($1), client pid $C_PID ($2): memif link up"
}
stop_pair() {
    # Both sides stop polling before either closes its port: DPDK 22.11's
    # memif unmaps the shared rings on its control thread when the peer
    # disconnects, with nothing holding back a worker inside rx_burst (a
    # server crashed there, SIGSEGV in eth_memif_rx, about 1 run in 10).
    sctl port pause 0 >/dev/null || fail "server: port pause refused"
    ctl port pause 0 >/dev/null || fail "client: port pause refused"
    grep -q "Port state: started, paused" <<<"$(sctl show port info 0)" || fail "server port 0 not paused"
    pmx_stop_pid "$C_PID" 10 portmux-client; C_PID=""
    ((STOP_RC == 0 || STOP_RC == 143)) || fail "client exited with $STOP_RC"
    pmx_stop_pid "$S_PID" 10 portmux-server; S_PID=""
    ((STOP_RC == 0 || STOP_RC == 143)) || fail "server exited with $STOP_RC"
}

# scounter NAME: a server counter (total over its workers).
scounter() {
    { sctl show ip stats; sctl show tcp stats; } |
        awk -v n="$1" '$1 == n && $2 ~ /^[0-9]+$/ { print $2; f = 1; exit } END { exit !f }'
}
accepted() { sctl show listeners | awk '$1 == "0.0.0.0:80" { print $5 }'; }
same() {  # WHAT A B
    [[ $2 == "$3" ]] || fail "$1: client $2, server $3"
    info "$1: client $2 = server $3"
}
bytes_agree() {
    same "request bytes (client gen_tx_bytes, server tcp_rx_bytes)" "$(counter gen_tx_bytes)" "$(scounter tcp_rx_bytes)"
    same "response bytes (client gen_rx_bytes, server tcp_tx_bytes)" "$(counter gen_rx_bytes)" "$(scounter tcp_tx_bytes)"
}

# ---------------------------------------------------------------- part 1 --
start_pair "0@0,1@1" "0@1,1@0"

ctl gen start "$SERVER_IP" 80 mode http conns 100000 reqs 1 rate 20000 src 198.18.1.2-198.18.1.3 \
    || fail "gen start refused"
gen_wait_done 180 || fail "100k run did not finish"
[[ $(gen_errors_total) == 0 ]] || fail "errors in the 100k run: $(ctl show gen stats)"
[[ $(counter gen_completed) == 100000 ]] || fail "completed $(counter gen_completed), expected 100000"
same "connections (client tcp_active_opens, server tcp_passive_opens)" "$(counter tcp_active_opens)" "$(scounter tcp_passive_opens)"
same "connections (client gen_completed, server listener accepted)" "$(counter gen_completed)" "$(accepted)"
bytes_agree

ctl gen start "$SERVER_IP" 80 mode http conns 100 reqs 1000000000 duration 10 || fail "gen start (keep-alive) refused"
gen_wait_done 60 || fail "keep-alive run did not finish"
[[ $(gen_errors_total) == 0 ]] || fail "errors in the keep-alive run: $(ctl show gen stats)"
[[ $(counter gen_completed) == 100100 ]] || fail "completed $(counter gen_completed), expected 100100"
same "connections (client gen_completed, server listener accepted)" "$(counter gen_completed)" "$(accepted)"
responses=$(counter gen_responses)
((responses > 100000 + 100)) || fail "keep-alive run: only $((responses - 100000)) responses"
info "keep-alive: $((responses - 100000)) requests on 100 connections in 10 s"
bytes_agree

POST_CONNS=50 POST_REQS=20 POST_SIZE=65536
tx0=$(counter gen_tx_bytes)
ctl gen start "$SERVER_IP" 80 mode http method post conns "$POST_CONNS" reqs "$POST_REQS" req-size "$POST_SIZE" \
    || fail "gen start (post) refused"
gen_wait_done 60 || fail "post run did not finish"
[[ $(gen_errors_total) == 0 ]] || fail "errors in the post run: $(ctl show gen stats)"
[[ $(counter gen_completed) == $((100100 + POST_CONNS)) ]] || fail "completed $(counter gen_completed), expected $((100100 + POST_CONNS))"
[[ $(counter gen_responses) == $((responses + POST_CONNS * POST_REQS)) ]] \
    || fail "post run: $(($(counter gen_responses) - responses)) responses, expected $((POST_CONNS * POST_REQS))"
sent=$(($(counter gen_tx_bytes) - tx0))
((sent >= POST_CONNS * POST_REQS * POST_SIZE)) || fail "post run sent $sent bytes, expected at least $((POST_CONNS * POST_REQS * POST_SIZE))"
for c in http_bad_content_length http_body_too_large http_ambiguous_framing http_bad_transfer_coding http_bad_chunk; do
    [[ $(scounter "$c") == 0 ]] || fail "server $c = $(scounter "$c")"
done
info "post: $((POST_CONNS * POST_REQS)) POSTs of $POST_SIZE bytes answered, $sent request bytes"
bytes_agree

sleep $((2 * MSL_MS / 1000 + 1))
[[ $(flow_entries) == 0 ]] || fail "client flow table not empty after 2 MSL: $(ctl show flowtable)"
PMX_SOCK=$S_SOCK
[[ $(flow_entries) == 0 ]] || fail "server flow table not empty after 2 MSL: $(sctl show flowtable)"
PMX_SOCK=$C_SOCK
info "both flow tables empty after 2 MSL"
stop_pair

# ---------------------------------------------------------------- part 2 --
# Four busy workers on two CPUs: each CPU runs one of each side's.
start_pair "0@0,1@0,2@1" "0@1,1@1,2@0"
ctl gen start "$SERVER_IP" 80 mode http conns 4000 reqs 1 rate 4000 src 198.18.1.2-198.18.1.3 \
    || fail "gen start (2 workers) refused"
gen_wait_done 120 || fail "2-worker run did not finish"
[[ $(gen_errors_total) == 0 ]] || fail "errors in the 2-worker run: $(ctl show gen stats)"
# Per-lcore columns: both workers of each side carried connections.
per_lcore() {  # CTL-FN NAME -> the per-lcore values
    "$1" show "$3" stats | awk -v n="$2" '$1 == n { $1 = ""; $2 = ""; print; exit }'
}
read -ra c_opens <<<"$(per_lcore ctl tcp_active_opens tcp)"
read -ra s_opens <<<"$(per_lcore sctl tcp_passive_opens tcp)"
((${#c_opens[@]} == 2 && c_opens[0] > 0 && c_opens[1] > 0)) || fail "client workers' active opens: ${c_opens[*]}"
((${#s_opens[@]} == 2 && s_opens[0] > 0 && s_opens[1] > 0)) || fail "server workers' passive opens: ${s_opens[*]}"
[[ $(counter tcp_handoffs) == 0 ]] || fail "client tcp_handoffs = $(counter tcp_handoffs)"
[[ $(scounter tcp_handoffs) == 0 ]] || fail "server tcp_handoffs = $(scounter tcp_handoffs)"
# A segment of one worker's connection reaching the other would be handed
# over (counted above); one that reached its listener instead would be
# answered with RST. None of either.
[[ $(scounter tcp_listen_ack) == 0 ]] || fail "server got ACKs for connections it does not know"
same "connections (client tcp_active_opens, server tcp_passive_opens)" "$(counter tcp_active_opens)" "$(scounter tcp_passive_opens)"
info "2 workers each: client opens ${c_opens[*]}, server accepts ${s_opens[*]}, wrong-worker 0"
stop_pair
info "PASS"
