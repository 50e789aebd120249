#!/usr/bin/env bash
# Integration test: scenarios/dut.yaml, a device under test between two
# ports: portmux's clients on port 0 (4,096 source addresses) reach portmux's
# own HTTP servers on port 1 through a Linux router (dut_lib.sh's topology).
# The scenario exits 0 with every criterion met, its outputs add up
# (peers/check_scenario_outputs.py), both groups established every
# connection they opened, the timeline names both interfaces' frames, and
# the router forwarded from many sources (nftables counts them).
set -euo pipefail

# shellcheck source=tests/integration/dut_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/dut_lib.sh"

require_root
pmx_traps
dut_topo_up
dut_count_sources

out="$PMX_TMP/dut"
mkdir -p "$out"
PMX_EAL_EXTRA=(--vdev="net_af_packet1,iface=$DUT_IF1,qpairs=1")
PMX_NO_ADDR=1 pmx_cmd --scenario "$PMX_REPO_ROOT/scenarios/dut.yaml" --out "$out"
info "run: ${PMX_CMD[*]}"
rc=0
ip netns exec "$DUT_NS" timeout -k 5 90 "${PMX_CMD[@]}" >"$out/portmux.log" 2>&1 || rc=$?
grep -E '^scenario |^  (pass|FAIL) |^  [a-z]+ +[0-9]+ attempted' "$out/portmux.log" | sed 's/^/    /' || true
((rc == 0)) || { tail -30 "$out/portmux.log"; fail "dut.yaml: exit $rc, expected 0"; }
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/check_scenario_outputs.py" "$out" --min-lines 3 || fail "outputs do not add up"
"$PMX_PYTHON" - "$out" <<'PY' || fail "dut.yaml: groups or interfaces wrong"
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
for g in r["groups"]:
    c = g["connections"]
    assert c["attempted"] == c["established"] == c["completed"], (g["name"], c)
    assert g["port"] == 0 and g["destination"] == "198.18.20.1:80", g
short = [g for g in r["groups"] if g["name"] == "short"][0]
assert short["connections"]["established"] == 3000, short["connections"]
lines = [json.loads(x) for x in open(d + "/timeline.jsonl")]
assert [p["interface"] for p in lines[0]["ports"]] == ["0", "1"], lines[0]["ports"]
# Port 1 has no group (the servers answer there): frames, no connections of ours.
rx1 = sum(ln["ports"][1]["rx_frames"] for ln in lines)
assert rx1 > 0 and all(ln["ports"][1]["new"] == 0 for ln in lines), rx1
print("dut: short 3000 and keepalive %d connections, all established and completed" %
      [g for g in r["groups"] if g["name"] == "keepalive"][0]["connections"]["established"])
PY
seen=$(dut_sources_seen 4)
((seen >= 3000)) || fail "the router saw $seen client sources, expected at least 3000"
info "the router forwarded from $seen distinct client addresses"
