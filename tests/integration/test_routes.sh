#!/usr/bin/env bash
# Integration test: --route (issue 14; docs/configuration.md) through the
# Linux router of dut_lib.sh, with no --gateway at all: each port reaches
# the other side by routes only, and port 1 has, besides the right route to
# the clients, a shorter one to a gateway nobody answers for.
#
#   port 0: 198.18.10.1/24, 198.18.80.1-2/18 (routed to us by the router),
#           2001:2:10::1/64, 2001:2:11::1-2/64 (likewise)
#           --route 198.18.16.0/20=198.18.10.254  --route 2001:2:20::/64=2001:2:10::fe
#   port 1: 198.18.20.1/24, 2001:2:20::1/64, --listen 0.0.0.0:80 and [::]:80
#           --route 198.18.10.0/24=198.18.20.254  --route 2001:2:10::/64=2001:2:20::fe
#           --route 198.18.0.0/16=198.18.20.253   --route 2001:2::/32=2001:2:20::fd (dead)
#
#  0. show routes lists each port's rows in lookup order.
#  1. The generator on port 0 (its port by route) to 198.18.20.1 and to
#     [2001:2:20::1]: every connection completes, so the servers' replies to
#     198.18.10.1 / 2001:2:10::1 took the longer, right route of each family.
#  2. From 198.18.80.1 / 2001:2:11::1 the replies match only the dead /16 or
#     /32: port 1 then asks for 198.18.20.253 / 2001:2:20::fd (show neigh),
#     so the route is what sent them there; nothing counted as no_route.
#  3. A destination no route covers is refused by gen start ("no route").
#  4. A route whose gateway is on no port's subnet stops portmux at start
#     with one line naming it.
set -euo pipefail

# shellcheck source=tests/integration/dut_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/dut_lib.sh"

require_root
pmx_traps
dut_topo_up v6 # the router reaches 198.18.64.0/18 and 2001:2:11::/64 through port 0

ROUTES=(--route 198.18.16.0/20=198.18.10.254 --route 2001:2:20::/64=2001:2:10::fe
    --route 198.18.10.0/24=198.18.20.254 --route 2001:2:10::/64=2001:2:20::fe
    --route 198.18.0.0/16=198.18.20.253 --route 2001:2::/32=2001:2:20::fd)
# shellcheck disable=SC2054  # the commas belong to the EAL argument
PMX_EAL_EXTRA=(--vdev="net_af_packet1,iface=$DUT_IF1,qpairs=1")
PMX_WORKERS=1
pmx_start --addr 0=198.18.80.1-198.18.80.2/18 --addr 1=198.18.20.1/24 \
    --addr 0=2001:2:10::1/64 --addr 0=2001:2:11::1-2001:2:11::2/64 --addr 1=2001:2:20::1/64 \
    --listen 0.0.0.0:80=http --listen "[::]:80=http" --msl-ms 1000 --dad-ms 0 "${ROUTES[@]}"

# show routes: each port's rows in lookup order (connected, routes longest
# first, no default: there is no --gateway).
routes=$(ctl show routes) || fail "show routes"
echo "$routes"
got=$(awk '$1 == 1 { print $2, $3, $4 }' <<<"$routes")
want="198.18.20.0/24 - connected
198.18.10.0/24 198.18.20.254 route
198.18.0.0/16 198.18.20.253 route
fe80::/64 - connected
2001:2:20::/64 - connected
2001:2:10::/64 2001:2:20::fe route
2001:2::/32 2001:2:20::fd route"
[[ $got == "$want" ]] || fail "show routes, port 1: got
$got"
expect_eq "port 0's IPv4 rows" "$(awk '$1 == 0 && $2 !~ /:/ { printf "%s %s;", $2, $4 }' <<<"$routes")" \
    "198.18.10.0/24 connected;198.18.64.0/18 connected;198.18.16.0/20 route;"

# 1. Through the right routes, both families.
for dst in 198.18.20.1 2001:2:20::1; do
    ctl gen start "$dst" 80 mode http conns 300 rate 1000 resp-size 64 || fail "gen start $dst refused"
    gen_wait_done 20 >/dev/null || fail "run to $dst did not finish"
    expect_eq "generator errors to $dst" "$(gen_field errors.total)" 0
    expect_eq "completed to $dst" "$(gen_field connections.completed)" 300
    info "300 connections to $dst by routes, 0 errors"
done
expect_eq "server passive opens" "$(tcp_counter tcp_passive_opens)" 600

# 2. Replies that only the dead routes cover go to their gateways.
for x in "198.18.80.1 198.18.20.1 198.18.20.253" "2001:2:11::1 2001:2:20::1 2001:2:20::fd"; do
    read -r src dst gw <<<"$x"
    ctl gen start "$dst" 80 mode http conns 2 src "$src" || fail "gen start from $src refused"
    t0=$SECONDS
    until ctl show neigh | awk -v a="$gw" '$2 == 1 && $3 == a { f = 1 } END { exit !f }'; do
        ((SECONDS - t0 < 10)) || fail "port 1 never asked for $gw (replies to $src)"
        sleep 0.2
    done
    ctl gen stop >/dev/null || fail "gen stop"
    gen_wait_done 15 >/dev/null || fail "the run from $src did not stop"
    info "replies to $src went to the /16 or /32 route's gateway $gw"
done
expect_eq "no_route" "$(counter no_route)" 0

# 3. No route, no gateway: refused.
out=$(ctl gen start 198.19.0.1 80 2>&1) && fail "gen start 198.19.0.1 accepted: $out"
[[ $out == *"no route to 198.19.0.1"* ]] || fail "gen start 198.19.0.1: $out"

pmx_stop || fail "portmux did not exit cleanly (status $PMX_EXIT)"

# 4. A gateway on no port's subnet.
pmx_cmd --addr 1=198.18.20.1/24 --route 198.18.64.0/18=198.18.99.1
out=$(timeout 60 ip netns exec "$DUT_NS" "${PMX_CMD[@]}" 2>&1 </dev/null) &&
    fail "portmux started with a route through 198.18.99.1"
want="--route 198.18.64.0/18=198.18.99.1: gateway 198.18.99.1 is on no port's subnet"
grep -qF -- "$want" <<<"$out" ||
    fail "start-up error not found: $(tail -3 <<<"$out")"
info "start-up refused: $want"
info "PASS"
