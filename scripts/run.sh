#!/usr/bin/env bash
# The appliance's main job on a virtual port, no NIC needed: installs what is
# missing, builds, creates two network namespaces joined by a veth, runs
# portmux on net_af_packet in one (TCP echo on port 7, HTTP on port 80) and a
# real Linux host in the other, which pings it, echoes through it, downloads
# from it with curl and loads it with wrk, over IPv4 and IPv6 (the port has
# 198.18.0.1/24 and 2001:2::1/64); then a scenario run from the CLI has
# portmux's traffic generator open 500 connections to a Linux HTTP server,
# judged by its criteria, with its timeline and reports; prints the appliance's connection table
# and statistics. Tears it all down on exit. Needs root.
#
#   scripts/run.sh                 # demo: ping, echo, curl, 5 s of wrk, statistics, stop
#   scripts/run.sh --seconds 60    # then keep serving 60 s (1 ping/s), live rates
#   scripts/run.sh --interactive   # then the portmux CLI on this terminal ('quit' ends)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=0
INTERACTIVE=0
while (($#)); do
    case $1 in
        --seconds) SECONDS_TO_RUN=${2:?--seconds needs a number}; shift 2 ;;
        --interactive | -i) INTERACTIVE=1; shift ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $SECONDS_TO_RUN =~ ^[0-9]+$ ]] || { echo "run.sh: --seconds '$SECONDS_TO_RUN' is not a number" >&2; exit 2; }

./scripts/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

# The topology and portmux helpers of the integration tests (which take
# theirs in common with the bench from scripts/lib/pmx.sh), dual-stack.
PMX_IPV6_OWN_NAMES=0
# shellcheck source=tests/integration/ipv6_lib.sh
source tests/integration/ipv6_lib.sh
require_root
pmx_traps
topo6_up
# 0.0.0.0 listeners take IPv4, [::] ones IPv6.
LISTEN=(--addr "0=$DUT_IP6/$PREFIX6" --listen 0.0.0.0:7=echo --listen 0.0.0.0:80=http --listen 0.0.0.0:9=discard
    --listen "[::]:7=echo" --listen "[::]:80=http" --msl-ms 5000)

if ((INTERACTIVE)); then
    # The CLI needs this terminal as stdin, so portmux runs in the
    # foreground; the peer pings it once a second meanwhile (at most 10 min).
    ip netns exec "$PEER_NS" ping -q -c 600 -i 1 "$DUT_IP" >/dev/null 2>&1 &
    PING_PID=$!
    info "peer $PEER_IP pings $DUT_IP once a second; try 'show connections', 'show tcp stats', 'help', 'quit'"
    info "from another terminal: ip netns exec $PEER_NS curl http://$DUT_IP/bytes/100 (or http://[$DUT_IP6]/bytes/100)"
    pmx_cmd "${LISTEN[@]}" -i
    ip netns exec "$DUT_NS" "${PMX_CMD[@]}" || true
    pmx_stop_pid "$PING_PID" 2 ping
    exit 0
fi

pmx_start --stats-period 1 "${LISTEN[@]}"
info "appliance up: $(ctl show port info 0 | grep -E 'MAC address|Driver name|IPv4')"
expect_ping 20 0.01
info "IPv6: ping -6 $DUT_IP6 (the peer finds our MAC by neighbour discovery)"
expect_ping6 "$DUT_IP6" 20 0.01
ctl show neigh
ctl show listeners

info "TCP echo (port 7): three Linux clients on one listening port"
ip netns exec "$PEER_NS" timeout 20 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/echo_hold.py" "$DUT_IP" 7 \
    --conns 3 --rounds 1 --hold "$PMX_TMP/hold" --show &
ECHO_PID=$!
for _ in $(seq 100); do [[ -e $PMX_TMP/hold.ready ]] && break; sleep 0.1; done
info "the appliance's view: one LISTEN row per listener; the three connections share local port 7"
ctl show connections
touch "$PMX_TMP/hold.done"
wait "$ECHO_PID" || fail "echo clients failed"
info "HTTP (port 80): curl downloads 1 MB twice over one keep-alive connection"
ip netns exec "$PEER_NS" curl -s -m 10 -o /dev/null -o /dev/null -w '  HTTP %{http_code}, %{size_download} bytes, %{num_connects} new connection(s)\n' \
    "http://$DUT_IP/bytes/1000000" "http://$DUT_IP/bytes/1000000"
info "HTTP over IPv6: curl -6 downloads 1 MB twice from [$DUT_IP6] over one connection, while an IPv4 curl runs"
ip netns exec "$PEER_NS" curl -s -m 10 -o /dev/null "http://$DUT_IP/bytes/10000000" &
ip netns exec "$PEER_NS" curl -6 -s -m 10 -o /dev/null -o /dev/null -w '  HTTP %{http_code}, %{size_download} bytes, %{num_connects} new connection(s), from [%{local_ip}]\n' \
    "http://[$DUT_IP6]/bytes/1000000" "http://[$DUT_IP6]/bytes/1000000"
wait $! || fail "the IPv4 curl running alongside failed"
if command -v wrk >/dev/null; then
    info "wrk: 4 connections, 5 s, GET / (64-byte body)"
    ip netns exec "$PEER_NS" wrk -t1 -c4 -d5s "http://$DUT_IP/" | sed 's/^/  /'
fi
ctl show connections
info "the other way round: a scenario (docs/scenarios.md) opens 500 connections (200/s) to a Linux HTTP server"
mkdir -p "$PMX_TMP/www/bytes"
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/pattern_http.py" body 64 >"$PMX_TMP/www/bytes/64"
ip netns exec "$PEER_NS" timeout 30 "$PMX_PYTHON" -m http.server 8000 --bind "$PEER_IP" \
    --directory "$PMX_TMP/www" >/dev/null 2>&1 &
HTTPD_PID=$!
for _ in $(seq 50); do ip netns exec "$PEER_NS" ss -ltn | grep -q ":8000 " && break; sleep 0.1; done
cat >"$PMX_TMP/web.yaml" <<YAML
name: web
clients:
  - name: web
    target: $PEER_IP:8000
    count: 500
    rate: 200
    resp_size: 64
criteria:
  errors: 0
  min_established: 500
outputs:
  interval: 0.5
YAML
ctl scenario run "$PMX_TMP/web.yaml" "$PMX_TMP/web"
for _ in $(seq 100); do [[ $(ctl show scenario | sed -n 1p) == *done* ]] && break; sleep 0.2; done
ctl show scenario
info "its outputs: $(cd "$PMX_TMP/web" && echo *) (report.html opens in a browser)"
kill "$HTTPD_PID" 2>/dev/null || true
wait "$HTTPD_PID" 2>/dev/null || true
ctl show tcp stats | sed -n '1,18p'
ctl show port stats all
if ((SECONDS_TO_RUN > 0)); then
    info "serving for $SECONDS_TO_RUN s (the peer pings once a second); rates below are portmux's --stats-period lines"
    ip netns exec "$PEER_NS" ping -q -c "$SECONDS_TO_RUN" -i 1 "$DUT_IP" >/dev/null 2>&1 || true
    grep '^port 0:' "$PMX_LOG" | tail -n 5
fi
pmx_stop || fail "portmux did not stop cleanly (status $PMX_EXIT)"
grep -E 'final' "$PMX_LOG"
info "done: portmux served ping, TCP echo and HTTP and generated HTTP load on net_af_packet; topology removed"
