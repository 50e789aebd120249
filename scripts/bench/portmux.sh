# shellcheck shell=bash
# The portmux side of the end-to-end comparisons (sourced by scripts/bench.sh).
#
# Two portmux processes joined by net_memif inside a namespace of their own
# (memif needs no network; the namespace only keeps anything from leaking):
#   server: one worker on CPU 1 (its control thread on CPU 0, asleep in
#           poll()), address 198.18.1.1/24, listeners http :80, echo :7;
#   client: one worker on CPU 0 (control thread on CPU 1), the generator,
#           16 source addresses 198.18.1.16-31, ephemeral ports 1024-65535.
# One server core and one client core, as the Linux side (nginx worker on
# CPU 1, wrk on CPU 0). Every function is one round: it starts the pair,
# runs one generator run, reads the run's JSON report (`show gen json`),
# stops the pair, and prints `RESULT <key> <value>` lines on stdout;
# everything else goes to stderr. Needs: BENCH_BUILD (a meson build dir),
# BENCH_SECS (seconds per timed run), root, hugepages reserved by the caller.

: "${BENCH_SECS:=10}"
PMXB_SERVER=198.18.1.1
PMXB_SRC="198.18.1.16-198.18.1.31"
# The IPv6 rounds (pmx_cps6, pmx_rps6): the same pair with these addresses
# (2001:2::/48, RFC 5180) added, the server's listener [::]:80.
PMXB_SERVER6=2001:2:1::1
PMXB_SRC6="2001:2:1::10-2001:2:1::1f"
PMXB_DST=$PMXB_SERVER  # the generator's destination (pmxb_gen)
PMXB_NS="" PMXB_TMP="" PMXB_SPID="" PMXB_CPID=""

# Processes, namespaces, starting a portmux on memif: scripts/lib/pmx.sh.
PORTMUX=$BENCH_BUILD/app/portmux
PORTMUX_CTL=$BENCH_BUILD/app/portmux-ctl
# shellcheck source=scripts/lib/pmx.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/pmx.sh"
PMX_MEMIF_EAL=(--log-level='*:warning')

pmxb_log() { echo "[bench] $*" >&2; }

# pmxb_stop_pid PID: SIGTERM, then SIGKILL after 20 s; reaps it.
pmxb_stop_pid() {
    [[ -z $1 ]] || pmx_stop_pid "$1" 20 portmux
}

pmxb_down() {
    # Both sides stop polling before either closes its port (memif's peer
    # disconnect unmaps rings under a polling worker: test_gen_memif.sh).
    # An older binary without 'port pause' just skips this.
    local side
    for side in s c; do
        if [[ -n $PMXB_TMP && -S $PMXB_TMP/$side.sock ]]; then
            pmxb_ctl "$side" port pause 0 >/dev/null 2>&1 || true
        fi
    done
    pmxb_stop_pid "$PMXB_CPID"
    pmxb_stop_pid "$PMXB_SPID"
    PMXB_CPID="" PMXB_SPID=""
    pmx_netns_del "$PMXB_NS"
    [[ -n $PMXB_TMP ]] && rm -rf -- "$PMXB_TMP"
    PMXB_NS="" PMXB_TMP=""
}

pmxb_ctl() { PMX_CTL_TIMEOUT=30 pmx_ctl_sock "$PMXB_TMP/$1.sock" "${@:2}"; }

# pmxb_start NAME LCORES ROLE APP-ARGS...: sets PMX_STARTED (the PID).
pmxb_start() {
    local name=$1 lcores=$2 role=$3
    shift 3
    pmx_memif_start "$PMXB_NS" "pmxb$name$$" "$lcores" "$role" "$PMXB_TMP/memif.sock" \
        "$PMXB_TMP/$name.sock" "$PMXB_TMP/$name.log" "$@"
}

pmxb_wait_link() {  # NAME PID
    pmx_wait_cli "" "$PMXB_TMP/$1.sock" "$2" 30 "Link up" && return 0
    pmxb_log "$1: no memif link; its log:"
    cat "$PMXB_TMP/$1.log" >&2
    return 1
}

# pmxb_up "SERVER-ARGS" "CLIENT-ARGS": the pair, memif link up on both.
pmxb_up() {
    PMXB_NS="pmxb$$" PMXB_TMP=$(mktemp -d /tmp/pmxb.XXXXXX)
    pmx_netns_add "$PMXB_NS" || return 1
    # shellcheck disable=SC2086  # word splitting of the argument strings is wanted
    pmxb_start s "0@0,1@1" server --addr "0=$PMXB_SERVER/24" \
        --listen 0.0.0.0:80=http --listen 0.0.0.0:7=echo $1
    PMXB_SPID=$PMX_STARTED
    sleep 0.3
    local a addrs=()
    for a in $(seq 16 31); do addrs+=(--addr "0=198.18.1.$a/24"); done
    # shellcheck disable=SC2086
    pmxb_start c "0@1,1@0" client "${addrs[@]}" --ephemeral-ports 1024-65535 $2
    PMXB_CPID=$PMX_STARTED
    pmxb_wait_link s "$PMXB_SPID" && pmxb_wait_link c "$PMXB_CPID"
}

# pmxb_gen LIMIT-S WORDS...: one generator run from the client; waits (at
# most LIMIT-S) until it is done and leaves its JSON in $PMXB_TMP/report.json.
pmxb_gen() {
    local limit=$1 t0=$SECONDS
    shift
    pmxb_ctl c gen start "$PMXB_DST" "$@" >&2 || return 1
    until pmxb_ctl c show gen stats | head -1 | grep -q '^gen done'; do
        ((SECONDS - t0 < limit)) || { pmxb_log "run not done after $limit s"; return 1; }
        sleep 0.2
    done
    pmxb_ctl c show gen json >"$PMXB_TMP/report.json"
    pmxb_ctl c show gen stats | sed -n '1,/^  errors:/p' >&2
}

# pmxb_json EXPR: a value from the report (Python expression over `r`).
pmxb_json() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
        "$PMXB_TMP/report.json" "$1"
}

pmxb_errors() { echo "RESULT $1_errors $(pmxb_json 'r["errors"]["total"]')"; }

# pmxb_run "SERVER-ARGS" "CLIENT-ARGS" LIMIT-S WORDS...: the pair up and one
# generator run (pmxb_gen); the pair is left up for reading the report and
# taken down on failure.
pmxb_run() {
    if ! { pmxb_up "$1" "$2" && pmxb_gen "${@:3}"; }; then
        pmxb_down
        return 1
    fi
}

# Short connections: 100 at a time, one GET /bytes/64 each, for BENCH_SECS.
pmx_cps() {
    pmxb_run "" "--max-flows 1100000" $((BENCH_SECS + 60)) 80 mode http conns 100 reqs 1 \
        resp-size 64 duration "$BENCH_SECS" src "$PMXB_SRC" || return 1
    echo "RESULT pmx_cps $(pmxb_json 'round(r["connections"]["completed"] / r["elapsed_s"])')"
    pmxb_errors pmx_cps
    pmxb_down
}

# Keep-alive: 100 connections, GET /bytes/64 one after the other on each.
pmx_rps() {
    pmxb_run "" "" $((BENCH_SECS + 60)) 80 mode http conns 100 reqs 1000000000 resp-size 64 \
        duration "$BENCH_SECS" src "$PMXB_SRC" || return 1
    echo "RESULT pmx_rps $(pmxb_json 'round(r["requests"]["answered"] / r["elapsed_s"])')"
    echo "RESULT pmx_rps_p50_us $(pmxb_json 'r["latency_us"]["request"]["p50"]')"
    echo "RESULT pmx_rps_p99_us $(pmxb_json 'r["latency_us"]["request"]["p99"]')"
    pmxb_errors pmx_rps
    pmxb_down
}

# pmxb_v6_args: SERVER_ARGS and CLIENT_ARGS for the IPv6 rounds.
pmxb_v6_args() {
    local i
    SERVER_ARGS="--addr 0=$PMXB_SERVER6/64 --listen [::]:80=http" CLIENT_ARGS=""
    for ((i = 16; i < 32; i++)); do CLIENT_ARGS+=" --addr 0=2001:2:1::$(printf '%x' "$i")/64"; done
}

# Short connections and keep-alive over IPv6, as pmx_cps and pmx_rps.
pmx_cps6() {
    local SERVER_ARGS CLIENT_ARGS PMXB_DST=$PMXB_SERVER6
    pmxb_v6_args
    pmxb_run "$SERVER_ARGS" "--max-flows 1100000 $CLIENT_ARGS" $((BENCH_SECS + 60)) 80 mode http conns 100 \
        reqs 1 resp-size 64 duration "$BENCH_SECS" src "$PMXB_SRC6" || return 1
    echo "RESULT pmx_cps6 $(pmxb_json 'round(r["connections"]["completed"] / r["elapsed_s"])')"
    pmxb_errors pmx_cps6
    pmxb_down
}

pmx_rps6() {
    local SERVER_ARGS CLIENT_ARGS PMXB_DST=$PMXB_SERVER6
    pmxb_v6_args
    pmxb_run "$SERVER_ARGS" "$CLIENT_ARGS" $((BENCH_SECS + 60)) 80 mode http conns 100 reqs 1000000000 \
        resp-size 64 duration "$BENCH_SECS" src "$PMXB_SRC6" || return 1
    echo "RESULT pmx_rps6 $(pmxb_json 'round(r["requests"]["answered"] / r["elapsed_s"])')"
    echo "RESULT pmx_rps6_p50_us $(pmxb_json 'r["latency_us"]["request"]["p50"]')"
    echo "RESULT pmx_rps6_p99_us $(pmxb_json 'r["latency_us"]["request"]["p99"]')"
    pmxb_errors pmx_rps6
    pmxb_down
}

# Ping-pong: one connection, 64 bytes to the echo service and back, again.
pmx_pingpong() {
    pmxb_run "" "" $((BENCH_SECS + 60)) 7 mode echo conns 1 reqs 1000000000 req-size 64 \
        duration "$BENCH_SECS" src "$PMXB_SRC" || return 1
    echo "RESULT pmx_pingpong_p50_us $(pmxb_json 'r["latency_us"]["request"]["p50"]')"
    echo "RESULT pmx_pingpong_p99_us $(pmxb_json 'r["latency_us"]["request"]["p99"]')"
    echo "RESULT pmx_pingpong_count $(pmxb_json 'r["requests"]["answered"]')"
    pmxb_errors pmx_pingpong
    pmxb_down
}

# Bulk: one connection downloads 1 GiB (GET /bytes/1073741824), MTU 1500.
pmx_bulk() {
    local size=${1:-1073741824}
    pmxb_run "" "" 600 80 mode http conns 1 reqs 1 resp-size "$size" src "$PMXB_SRC" || return 1
    # Body bits over the request's time (first byte queued to last byte in).
    echo "RESULT pmx_bulk_gbps $(pmxb_json "round($size * 8 / r['latency_us']['request']['max'] / 1e3, 3)")"
    pmxb_errors pmx_bulk
    pmxb_down
}

# pmxb_footprint PID: bytes the process holds: resident memory (VmRSS) plus
# the hugepages it maps (DPDK's heap: the rte_hash flow table lives there).
pmxb_footprint() {
    awk '/^Rss:/ { kb += $2 } /^(Shared|Private)_Hugetlb:/ { kb += $2 } END { print kb * 1024 }' \
        "/proc/$1/smaps"
}

pmxb_established() {
    pmxb_ctl s show tcp stats | awk '$1 == "CurrEstab" || $1 == "tcpCurrEstab" { print $2; exit }'
}

# Concurrency: N idle established connections (default 1,000,000) held by
# one server core, opened by the generator (reqs 0: no request, no buffer)
# at 100,000 per second from 16 source addresses. Memory per connection is
# the server's footprint while it holds them, minus the footprint of the
# same server started with room for 1,024 connections, over N: everything
# that grows with the connection count (connection pool, flow table, timer
# wheel, pending list), the fixed buffer pool excluded (it is the same in
# both). The run ends by closing every connection with FIN.
pmx_idle() {
    local n=${1:-1000000} base held est i flows
    flows=$((n + n / 16 + 1024))
    pmxb_up "--max-flows 1024" "" || { pmxb_down; return 1; }
    base=$(pmxb_footprint "$PMXB_SPID")
    pmxb_down
    # The listener's SYN backlog as the Linux side's (listen(65535) with
    # somaxconn 65535): the default 1024 overflows whenever a loaded machine
    # delays the client's ACKs by 10 ms (counted; the SYN is retransmitted).
    pmxb_up "--max-flows $flows --listen 0.0.0.0:5001=discard,backlog=65535" "--max-flows $flows" \
        || { pmxb_down; return 1; }
    local secs=$((n / 50000 + 10))  # opening takes n / 100000 s
    pmxb_ctl c gen start "$PMXB_SERVER" 5001 mode raw conns "$n" rate 100000 reqs 0 \
        duration "$secs" src "$PMXB_SRC" >&2 || { pmxb_down; return 1; }
    for ((i = 0; i < (secs - 5) * 5; i++)); do
        est=$(pmxb_established)
        ((est >= n)) && break
        sleep 0.2
    done
    held=$(pmxb_footprint "$PMXB_SPID")
    pmxb_log "server holds $est established connections; footprint $held B (baseline $base B)"
    pmxb_ctl s show flowtable >&2
    # The run closes them all at its end.
    for ((i = 0; i < secs * 5 + 600; i++)); do
        pmxb_ctl c show gen stats | head -1 | grep -q '^gen done' && break
        sleep 0.2
    done
    pmxb_ctl c show gen json >"$PMXB_TMP/report.json"
    pmxb_ctl c show gen stats | sed -n '1,/^  errors:/p' >&2
    echo "RESULT pmx_idle_conns $est"
    echo "RESULT pmx_idle_bytes_per_conn $(((held - base) / n))"
    echo "RESULT pmx_idle_completed $(pmxb_json 'r["connections"]["completed"]')"
    pmxb_errors pmx_idle
    pmxb_down
}
