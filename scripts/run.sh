#!/usr/bin/env bash
# The appliance's main job on a virtual port, no NIC needed: installs what is
# missing, builds, creates two network namespaces joined by a veth, runs
# portmux on net_af_packet in one and a real Linux host in the other, pings
# the appliance from Linux and prints the appliance's statistics. Tears it
# all down on exit. Needs root.
#
#   scripts/run.sh                 # demo: 200 pings, statistics, stop
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
        -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $SECONDS_TO_RUN =~ ^[0-9]+$ ]] || { echo "run.sh: --seconds '$SECONDS_TO_RUN' is not a number" >&2; exit 2; }

./scripts/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

# The topology helpers the integration tests use.
# shellcheck source=tests/integration/lib.sh
source tests/integration/lib.sh
require_root
pmx_traps
topo_up

if ((INTERACTIVE)); then
    # The CLI needs this terminal as stdin, so portmux runs in the
    # foreground; the peer pings it once a second meanwhile (at most 10 min).
    ip netns exec "$PEER_NS" ping -q -c 600 -i 1 "$DUT_IP" >/dev/null 2>&1 &
    PING_PID=$!
    info "peer $PEER_IP pings $DUT_IP once a second; try 'show port stats all', 'show arp', 'help', 'quit'"
    ip netns exec "$DUT_NS" "$PORTMUX" --no-huge --no-shconf --no-pci --file-prefix "pmx$$" -l 0,1 \
        "$(pmx_vdev)" -- --addr "0=$DUT_IP/$PREFIX_LEN" -i || true
    kill "$PING_PID" 2>/dev/null || true
    exit 0
fi

pmx_start --stats-period 1
info "appliance up: $(ctl show port info 0 | grep -E 'MAC address|Driver name|IPv4')"
expect_ping 200 0.01
ctl show port stats all
ctl show arp
ctl show ip stats | sed -n '1,13p'
if ((SECONDS_TO_RUN > 0)); then
    info "serving for $SECONDS_TO_RUN s (the peer pings once a second); rates below are portmux's --stats-period lines"
    ip netns exec "$PEER_NS" ping -q -c "$SECONDS_TO_RUN" -i 1 "$DUT_IP" >/dev/null 2>&1 || true
    grep '^port 0:' "$PMX_LOG" | tail -n 5
fi
pmx_stop || fail "portmux did not stop cleanly (status $PMX_EXIT)"
grep -E 'final' "$PMX_LOG"
info "done: portmux answered 200/200 pings on net_af_packet; topology removed"
