#!/usr/bin/env bash
# Integration test: `portmux-ctl --json` (docs/api.md). portmux on a
# dual-stack port with listeners, neighbours (the peer pings both
# families), a finished generator run against nginx and a finished scenario
# run from the CLI; then every show command is taken as text and as JSON,
# each JSON parses and says what its text says (peers/check_ctl_json.py);
# an error is {"error": ...} with its status; `scenario run` refuses an
# address the appliance lacks and an option, runs a matching scenario and
# adds its server; and docs/api.md's Python
# example, taken from the document itself, runs a scenario over the socket
# and exits with its verdict.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"
# shellcheck source=tests/integration/gen_servers_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/gen_servers_lib.sh"

NGINX_PORT=80
ECHO_PORT=7007
require_root
gen_servers_traps
topo6_up
gen_servers_start 64
pmx_start6 --listen 0.0.0.0:7=echo --listen "[::]:8080=http" --dad-ms 0

ip netns exec "$PEER_NS" ping -c 2 -i 0.2 -W 2 "$DUT_IP" >/dev/null || fail "no ping reply"
ip netns exec "$PEER_NS" ping -6 -c 2 -i 0.2 -W 2 "$DUT_IP6" >/dev/null || fail "no ping -6 reply"

ctl gen start "$PEER_IP" 80 conns 100 rate 500 >/dev/null
gen_wait_done 30

cat >"$PMX_TMP/web.yaml" <<YAML
name: web
clients:
  - {name: short, target: "$PEER_IP:80", count: 200, rate: 400}
  - {name: keep, target: "$PEER_IP:80", conns: 5, reqs: 20, duration: 1}
criteria:
  errors: 0
YAML
ctl scenario run "$PMX_TMP/web.yaml" "$PMX_TMP/web" >/dev/null
for _ in $(seq 100); do [[ $(ctl show scenario | sed -n 1p) == *done* ]] && break; sleep 0.2; done
grep -q 'done, PASS' <<<"$(ctl show scenario | sed -n 1p)" || fail "the scenario did not pass: $(ctl show scenario)"

d="$PMX_TMP/views"
mkdir -p "$d"
while IFS='|' read -r name cmd; do
    # shellcheck disable=SC2086  # the command's words
    ctl $cmd >"$d/$name.txt" || fail "$cmd failed"
    # shellcheck disable=SC2086
    ctl --json $cmd >"$d/$name.json" || fail "--json $cmd failed"
done <<'VIEWS'
interfaces|show interfaces
port_info|show port info 0
port_stats|show port stats 0
port_xstats|show port xstats 0
neigh|show neigh
arp|show arp
routes|show routes
ip_stats|show ip stats
tcp_stats|show tcp stats
gen_stats|show gen stats
gen_json|show gen json
listeners|show listeners
connections|show connections
flowtable|show flowtable
lcores|show lcores
scenario|show scenario
VIEWS
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/check_ctl_json.py" "$d" || fail "a JSON view does not match its text"

# An error in JSON, with its status.
rc=0
ctl --json show port info 9 >"$d/err.json" 2>&1 || rc=$?
((rc == 1)) || fail "--json show port info 9: status $rc, expected 1"
"$PMX_PYTHON" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert "bad port" in e, e' "$d/err.json" ||
    fail "the error is not {\"error\": ...}: $(cat "$d/err.json")"
rc=0
ctl --json frobnicate >"$d/err2.json" 2>&1 || rc=$?
((rc == 2)) || fail "--json of an unknown command: status $rc, expected 2"
"$PMX_PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))["error"]' "$d/err2.json" || fail "unknown command: not JSON"
info "errors: {\"error\": ...} with statuses 1 and 2"

# scenario run on a running appliance: interfaces are checked, not changed;
# servers are added; options are refused (docs/scenarios.md "From the CLI").
printf 'interfaces:\n  - {port: 0, addresses: [198.18.5.1/24]}\nclients:\n  - {target: "%s:80", count: 1}\n' \
    "$PEER_IP" >"$PMX_TMP/other.yaml"
rc=0
out=$(ctl scenario run "$PMX_TMP/other.yaml" "$PMX_TMP/o" 2>&1) || rc=$?
if ((rc != 1)) || ! grep -q "198.18.5.1/24 is not configured on 0" <<<"$out"; then fail "unconfigured address: $rc $out"; fi
printf 'options: {msl-ms: 500}\nclients:\n  - {target: "%s:80", count: 1}\n' "$PEER_IP" >"$PMX_TMP/opt.yaml"
rc=0
out=$(ctl scenario run "$PMX_TMP/opt.yaml" "$PMX_TMP/o" 2>&1) || rc=$?
if ((rc != 1)) || ! grep -q "option 'msl-ms' applies only at start-up" <<<"$out"; then fail "options at run time: $rc $out"; fi
printf 'interfaces:\n  - {port: 0, addresses: [198.18.0.1/24]}\nservers:\n  - {listen: 0.0.0.0:9000, service: echo}\nclients:\n  - {target: "%s:80", count: 5}\n' \
    "$PEER_IP" >"$PMX_TMP/same.yaml"
ctl scenario run "$PMX_TMP/same.yaml" "$PMX_TMP/same" >/dev/null || fail "a scenario matching the configuration was refused"
for _ in $(seq 50); do [[ $(ctl show scenario | sed -n 1p) == *done* ]] && break; sleep 0.2; done
grep -q '^0.0.0.0:9000 ' <<<"$(ctl show listeners)" || fail "the scenario's server was not added"
info "scenario run: an unconfigured address and an option refused; a matching one ran and added its server"

# docs/api.md's example, as the document prints it.
# shellcheck disable=SC2016  # backquotes, not an expansion
sed -n '/^```python$/,/^```$/p' "$PMX_REPO_ROOT/docs/api.md" | sed '1d;$d' >"$PMX_TMP/example.py"
[[ -s $PMX_TMP/example.py ]] || fail "no Python example in docs/api.md"
rc=0
ip netns exec "$DUT_NS" "$PMX_PYTHON" "$PMX_TMP/example.py" "$PMX_SOCK" "$PMX_TMP/web.yaml" "$PMX_TMP/web2" \
    >"$PMX_TMP/example.out" 2>&1 || rc=$?
sed 's/^/    /' "$PMX_TMP/example.out"
((rc == 0)) || fail "docs/api.md's example: exit $rc"
grep -qE '^web pass [0-9]+ established, 0 errors$' "$PMX_TMP/example.out" || fail "the example's summary is wrong"
[[ -s $PMX_TMP/web2/report.json ]] || fail "the example's run wrote no report"
info "docs/api.md's Python example ran a scenario over the socket: pass"
