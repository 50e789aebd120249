# shellcheck shell=bash
# shellcheck disable=SC2030,SC2031  # each round is a subshell on purpose: its state dies with it
# The Linux-kernel side of portmux's end-to-end comparisons: the same loads
# on the same two cores (server on BENCH_SERVER_CPU, client on
# BENCH_CLIENT_CPU), served by the kernel's TCP stack. Source this file
# (as root; `set -u` safe), then call one function per measurement round:
#
#   linux_cps        short connections: nginx-light, wrk, one request per connection
#   linux_rps        keep-alive: nginx-light, wrk over BENCH_RPS_CONNS connections
#   linux_cps6, linux_rps6   the same two over IPv6 loopback ([::1])
#   linux_pingpong   one connection ping-pong: pmx-epoll-echo and pmx-pingpong
#   linux_bulk       one connection downloading BENCH_BULK_BYTES over a veth pair: iperf3
#   linux_idle [N]   kernel memory per idle connection: pmx-idle-conns
#   linux_cleanup    removes what a killed round left (namespaces pmxb<$$>[a-z], /tmp/pmxb<$$>.*)
#
# Each round sets up fresh network namespaces (pmxb<$$>...: loopback inside,
# or a veth pair on 198.18.0.0/24), runs, and tears everything down, also on
# failure or interrupt (the body is a subshell with its own EXIT trap; every
# program is bounded by its own duration or count and by `timeout`). It
# prints `RESULT <key> <number>` lines on stdout, everything else on stderr,
# and returns non-zero if the round failed. Durations: BENCH_SECS (seconds).
# Binaries: $BENCH_LINUX_BIN, default $BENCH_BUILD/bench/linux (meson build
# dir, default build/). Needs nginx-light, wrk, iperf3 (scripts/install-deps.sh).

# The comparisons' fixed parameters, for the portmux side too.
: "${BENCH_SECS:=10}"            # duration of every timed load
: "${BENCH_SERVER_CPU:=1}"       # server (nginx worker, echo server, iperf3 -s)
: "${BENCH_CLIENT_CPU:=0}"       # client (wrk, pingpong, iperf3 -c)
: "${BENCH_HTTP_BODY:=64}"       # HTTP response body, bytes ('a' + i % 26, as portmux's http)
: "${BENCH_CPS_CONNS:=100}"      # wrk -c for short connections: 100 connects in flight
: "${BENCH_RPS_CONNS:=100}"      # wrk -c for keep-alive
: "${BENCH_MSG_SIZE:=64}"        # ping-pong message, bytes
: "${BENCH_BULK_BYTES:=1G}"      # iperf3 -n: 1 GiB (iperf3's G is 1024^3)
: "${BENCH_BULK_MTU:=1500}"      # veth MTU for the bulk transfer
: "${BENCH_BULK_OFFLOADS:=on}"   # off: no TSO/GSO/GRO on the veths, i.e. real 1500-byte segments
: "${BENCH_IDLE_CONNS:=100000}"  # idle connections held for the memory measurement
: "${BENCH_IDLE_SOURCES:=8}"     # client source addresses 127.0.0.2 .. 127.0.0.(1 + N)
BENCH_HTTP_PORT=8080 BENCH_ECHO_PORT=7007 BENCH_BULK_PORT=5201 BENCH_IDLE_PORT=5001
# nginx's address and wrk's host: 127.0.0.1, or [::1] in the IPv6 rounds.
_LX_HOST=127.0.0.1

_lx_log() { echo "linux: $*" >&2; }

_lx_bin() {  # NAME: path of a bench/linux binary
    local p="${BENCH_LINUX_BIN:-${BENCH_BUILD:-build}/bench/linux}/$1"
    [[ -x $p ]] || { _lx_log "$p not built (ninja -C BUILD bench/linux/$1)"; return 1; }
    echo "$p"
}

# Per-round state, inside the round's subshell; _lx_cleanup is its EXIT trap.
_lx_begin() {
    set +e  # the caller's errexit must not cut a round's clean-up short
    _LX_PIDS=() _LX_NS=() _LX_TMP=$(mktemp -d "/tmp/pmxb$$.XXXXXX")
    trap _lx_cleanup EXIT
    trap 'exit 130' INT TERM
}

_lx_cleanup() {
    local pid i ns
    for pid in "${_LX_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${_LX_PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for ns in "${_LX_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$_LX_TMP"
}

_lx_ns() {  # NAME: a new namespace with lo up, deleted by _lx_cleanup
    ip netns add "$1" || return 1
    _LX_NS+=("$1")
    ip -n "$1" link set lo up
}

# Runs a command in the background and waits for it, so that the round's
# traps run (and stop it by PID) at once on an interrupt; returns its status.
_lx_run() {
    local rc
    "$@" &
    _LX_PIDS+=($!)
    wait $!
    rc=$?
    unset '_LX_PIDS[-1]'
    return $rc
}

_lx_wait_listen() {  # NS PORT: until something listens on PORT (5 s at most)
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -n $(ip netns exec "$1" ss -Hltn "sport = :$2") ]] && return 0
        sleep 0.1
    done
    _lx_log "nothing listens on port $2 in $1"
    return 1
}

_lx_body() {  # N: 'a' + i % 26, like portmux's http service
    local s=abcdefghijklmnopqrstuvwxyz
    s=$s$s$s$s
    while ((${#s} < $1)); do s=$s$s; done
    echo "${s:0:$1}"
}

_lx_us() {  # wrk's "636.00us" / "1.23ms" / "1.05s" in microseconds
    awk -v v="$1" 'BEGIN { m = 1; if (v ~ /ms$/) m = 1000; else if (v ~ /[0-9]s$/) m = 1000000
        sub(/[a-z]+$/, "", v); printf "%.2f\n", v * m }'
}

# nginx-light in namespace NS on _LX_HOST:BENCH_HTTP_PORT: one worker pinned
# to the server CPU, no access log, every path answers 200 with the body;
# keep-alive connections are never closed by nginx during a run.
_lx_nginx() {
    local ns=$1 mask=1 i
    for ((i = 0; i < BENCH_SERVER_CPU; i++)); do mask+=0; done
    cat >"$_LX_TMP/nginx.conf" <<EOF
daemon off;
worker_processes 1;
worker_cpu_affinity $mask;
pid $_LX_TMP/nginx.pid;
error_log $_LX_TMP/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000000;
    server {
        listen $_LX_HOST:$BENCH_HTTP_PORT backlog=4096;
        location / { default_type text/plain; return 200 "$(_lx_body "$BENCH_HTTP_BODY")"; }
    }
}
EOF
    ip netns exec "$ns" timeout $((BENCH_SECS + 120)) taskset -c "$BENCH_SERVER_CPU" \
        nginx -e "$_LX_TMP/error.log" -p "$_LX_TMP" -c "$_LX_TMP/nginx.conf" </dev/null >&2 &
    _LX_PIDS+=($!)
    _lx_wait_listen "$ns" "$BENCH_HTTP_PORT" || { cat "$_LX_TMP/error.log" >&2; return 1; }
}

# wrk in NS against nginx; prints RESULT PREFIX (requests/s), PREFIX_errors
# (socket errors + non-2xx/3xx), and with --latency PREFIX_p50_us/_p99_us.
_lx_wrk() {
    local ns=$1 prefix=$2 out
    shift 2
    _lx_run ip netns exec "$ns" timeout $((BENCH_SECS + 30)) taskset -c "$BENCH_CLIENT_CPU" \
        wrk -t1 -d"${BENCH_SECS}s" "$@" "http://$_LX_HOST:$BENCH_HTTP_PORT/" >"$_LX_TMP/wrk.out" ||
        { cat "$_LX_TMP/wrk.out" >&2; return 1; }
    cat "$_LX_TMP/wrk.out" >&2
    out=$(cat "$_LX_TMP/wrk.out")
    awk '/^Requests\/sec:/ { print "RESULT '"$prefix"'", $2 }' <<<"$out"
    awk '/Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
         /Non-2xx or 3xx/ { e += $NF } END { print "RESULT '"$prefix"'_errors", e + 0 }' <<<"$out"
    if [[ $* == *--latency* ]]; then
        echo "RESULT ${prefix}_p50_us $(_lx_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")"
        echo "RESULT ${prefix}_p99_us $(_lx_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
    fi
}

# Short connections: HTTP GET, one request per connection (Connection: close,
# nginx closes after the response; wrk reconnects at once), BENCH_CPS_CONNS
# connections in flight: RESULT linux_cps = connections (= requests) per second.
linux_cps() (
    _lx_begin
    local ns=pmxb$$h
    _lx_ns "$ns" || exit 1
    _lx_nginx "$ns" || exit 1
    _lx_wrk "$ns" linux_cps -c"$BENCH_CPS_CONNS" -H 'Connection: close'
)

# Keep-alive: BENCH_RPS_CONNS connections, one request at a time each:
# requests per second and wrk's p50/p99 request latency.
linux_rps() (
    _lx_begin
    local ns=pmxb$$h
    _lx_ns "$ns" || exit 1
    _lx_nginx "$ns" || exit 1
    _lx_wrk "$ns" linux_rps -c"$BENCH_RPS_CONNS" --latency
)

# The same two over IPv6: nginx on [::1], wrk to http://[::1]:8080/ (the
# namespace's loopback has ::1 unless IPv6 is off in new namespaces).
linux_cps6() (
    _lx_begin
    local ns=pmxb$$h
    _LX_HOST="[::1]"
    _lx_ns "$ns" || exit 1
    _lx_nginx "$ns" || exit 1
    _lx_wrk "$ns" linux_cps6 -c"$BENCH_CPS_CONNS" -H 'Connection: close'
)

linux_rps6() (
    _lx_begin
    local ns=pmxb$$h
    _LX_HOST="[::1]"
    _lx_ns "$ns" || exit 1
    _lx_nginx "$ns" || exit 1
    _lx_wrk "$ns" linux_rps6 -c"$BENCH_RPS_CONNS" --latency
)

# One connection, BENCH_MSG_SIZE-byte messages echoed back one at a time
# (TCP_NODELAY both ends) over loopback: round-trip p50/p99 and count.
linux_pingpong() (
    _lx_begin
    local ns=pmxb$$p echo pp
    echo=$(_lx_bin pmx-epoll-echo) && pp=$(_lx_bin pmx-pingpong) && _lx_ns "$ns" || exit 1
    ip netns exec "$ns" taskset -c "$BENCH_SERVER_CPU" \
        "$echo" 127.0.0.1 "$BENCH_ECHO_PORT" $((BENCH_SECS + 60)) </dev/null >&2 &
    _LX_PIDS+=($!)
    _lx_wait_listen "$ns" "$BENCH_ECHO_PORT" || exit 1
    _lx_run ip netns exec "$ns" timeout $((BENCH_SECS + 30)) taskset -c "$BENCH_CLIENT_CPU" \
        "$pp" 127.0.0.1 "$BENCH_ECHO_PORT" "$BENCH_SECS" "$BENCH_MSG_SIZE" >"$_LX_TMP/pp.out" || exit 1
    tr '\n' ' ' <"$_LX_TMP/pp.out" >&2 && echo >&2
    awk '$1 ~ /^(p50_us|p99_us|count)$/ { print "RESULT linux_pingpong_" $1, $2 }' "$_LX_TMP/pp.out"
)

# Bulk: two namespaces joined by a veth pair (MTU BENCH_BULK_MTU, 198.18.0.1
# server, 198.18.0.2 client); iperf3 -R: the server sends BENCH_BULK_BYTES on
# one connection, the client downloads it. RESULT linux_bulk_gbps (10^9 bit/s)
# from the receiver's (client's) end.sum_received.
linux_bulk() (
    _lx_begin
    local nss=pmxb$$s nsc=pmxb$$c
    _lx_ns "$nss" && _lx_ns "$nsc" || exit 1
    ip link add "pmxb$$s0" mtu "$BENCH_BULK_MTU" netns "$nss" type veth \
        peer name "pmxb$$c0" mtu "$BENCH_BULK_MTU" netns "$nsc" || exit 1
    ip -n "$nss" addr add 198.18.0.1/24 dev "pmxb$$s0" && ip -n "$nss" link set "pmxb$$s0" up &&
        ip -n "$nsc" addr add 198.18.0.2/24 dev "pmxb$$c0" && ip -n "$nsc" link set "pmxb$$c0" up || exit 1
    if [[ $BENCH_BULK_OFFLOADS == off ]]; then
        ip netns exec "$nss" ethtool -K "pmxb$$s0" tso off gso off gro off >/dev/null &&
            ip netns exec "$nsc" ethtool -K "pmxb$$c0" tso off gso off gro off >/dev/null || exit 1
    fi
    ip netns exec "$nss" timeout 120 taskset -c "$BENCH_SERVER_CPU" \
        iperf3 -s -1 -B 198.18.0.1 -p "$BENCH_BULK_PORT" </dev/null >/dev/null 2>&1 &
    _LX_PIDS+=($!)
    _lx_wait_listen "$nss" "$BENCH_BULK_PORT" || exit 1
    _lx_run ip netns exec "$nsc" timeout 120 taskset -c "$BENCH_CLIENT_CPU" \
        iperf3 -c 198.18.0.1 -p "$BENCH_BULK_PORT" -R -n "$BENCH_BULK_BYTES" -J >"$_LX_TMP/iperf.json" ||
        { cat "$_LX_TMP/iperf.json" >&2; exit 1; }
    # end.sum_received { ..., "seconds": S, "bytes": B, "bits_per_second": R, ... }
    awk '/"sum_received"/ { r = 1 } r && /"(seconds|bytes|bits_per_second)"/ { gsub(/[",]/, ""); v[$1] = $2 }
         r && /}/ { exit } END {
             printf "linux: iperf3 received %d bytes in %.3f s\n", v["bytes:"], v["seconds:"] > "/dev/stderr"
             if (v["bits_per_second:"] == "") exit 1
             printf "RESULT linux_bulk_gbps %.3f\n", v["bits_per_second:"] / 1e9 }' "$_LX_TMP/iperf.json"
)

# Kernel memory per idle established connection at N (BENCH_IDLE_CONNS)
# connections over loopback: see bench/linux/idle_conns.cpp for the method.
# RESULT linux_idle_bytes_per_conn is the server side (accepted socket,
# inode, dentry, file, epoll item), _both both ends of the connection.
linux_idle() (
    _lx_begin
    local n=${1:-$BENCH_IDLE_CONNS} ns=pmxb$$i bin rc
    bin=$(_lx_bin pmx-idle-conns) && _lx_ns "$ns" || exit 1
    ip netns exec "$ns" sysctl -qw net.core.somaxconn=65535 || exit 1  # per namespace
    _lx_run ip netns exec "$ns" timeout 400 "$bin" "$n" "$BENCH_IDLE_PORT" "$BENCH_SERVER_CPU" \
        "$BENCH_CLIENT_CPU" "$BENCH_IDLE_SOURCES" >"$_LX_TMP/idle.out"
    rc=$?
    awk '{ print "RESULT linux_idle_" $1, $2 }' "$_LX_TMP/idle.out"
    exit $rc
)

# Removes the namespaces and temporary directories of this shell's rounds
# (and stops the processes left in the namespaces) if a round was killed
# before its own clean-up ran.
linux_cleanup() {
    local ns pid
    for ns in $(ip netns list | awk -v p="^pmxb$$[a-z]\$" '$1 ~ p { print $1 }'); do
        for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns"
    done
    rm -rf "/tmp/pmxb$$".??????
}
