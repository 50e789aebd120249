#!/usr/bin/env bash
# Integration test: the example scenarios (scenarios/*.yaml) run by
# `portmux -- --scenario FILE --out DIR` against real Linux peers, each to
# its exit status, with outputs that add up (peers/check_scenario_outputs.py:
# one timeline line per interval whose sums equal report.json's totals,
# report.html self-contained with its charts and data).
#
#  1. short.yaml, keepalive.yaml (two overlapping groups, think time),
#     bulk.yaml, idle.yaml against nginx-light at 198.18.0.2:80: exit 0,
#     every criterion "pass"; nginx's access log has exactly the requests
#     the report counts as answered (short, keepalive); download.yaml
#     (stream mode) against a Linux chargen server reads exactly 40 x 4 MiB.
#  2. An unmeetable criterion (short.yaml with min_cps 10000000) exits 1 and
#     names it with its measured value; a bad scenario exits 2 with its
#     one line (file:line: key path: ...), before EAL starts; a scenario
#     whose target has no route exits 3.
#  3. ipv6.yaml against nginx at [2001:2::2]:80 (restarted on that address).
set -euo pipefail

# lib.sh with a dual-stack peer (ipv6_lib.sh: 198.18.0.2/24, 2001:2::2/64)
# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"
# shellcheck source=tests/integration/gen_servers_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/gen_servers_lib.sh"

NGINX_PORT=80
ECHO_PORT=7007
SCN_DIR="$PMX_REPO_ROOT/scenarios"
CHECK="$PMX_LIB_DIR/peers/check_scenario_outputs.py"

require_root
gen_servers_traps

# scn_run FILE OUT [app args...]: runs portmux with the scenario in the dut
# namespace, in the foreground (bounded: 90 s), output to OUT/portmux.log;
# sets SCN_RC to its exit status.
scn_run() {
    local file=$1 out=$2
    shift 2
    mkdir -p "$out"
    PMX_NO_ADDR=1 pmx_cmd --scenario "$file" --out "$out" "$@"
    info "run: ${PMX_CMD[*]}"
    SCN_RC=0
    ip netns exec "$DUT_NS" timeout -k 5 90 "${PMX_CMD[@]}" >"$out/portmux.log" 2>&1 || SCN_RC=$?
    grep -E '^scenario |^  (pass|FAIL) ' "$out/portmux.log" | sed 's/^/    /' || true
}

# expect_pass NAME [min timeline lines]
expect_pass() {
    local name=$1 lines=${2:-1} out="$PMX_TMP/$1"
    scn_run "$SCN_DIR/$name.yaml" "$out"
    ((SCN_RC == 0)) || { tail -30 "$out/portmux.log"; fail "$name.yaml: exit $SCN_RC, expected 0"; }
    "$PMX_PYTHON" "$CHECK" "$out" --min-lines "$lines" || fail "$name.yaml: outputs do not add up"
    ! grep -q '^  FAIL ' "$out/portmux.log" || fail "$name.yaml: a criterion failed with exit 0"
}

answered() {  # DIR: the report's answered requests
    "$PMX_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["requests"]["answered"])' "$1/report.json"
}

topo6_up
gen_servers_start 64 1024 1048576

log_lines() { wc -l <"$PMX_TMP/nginx/access.log"; }

# --- 1. the examples
before=$(log_lines)
expect_pass short 5
n=$(answered "$PMX_TMP/short")
((n > 0 && $(log_lines) - before == n)) || fail "short: nginx logged $(($(log_lines) - before)) requests, report says $n"
info "short: $n requests answered = nginx's log"

before=$(log_lines)
expect_pass keepalive 10
n=$(answered "$PMX_TMP/keepalive")
((n > 0 && $(log_lines) - before == n)) || fail "keepalive: nginx logged $(($(log_lines) - before)), report $n"
"$PMX_PYTHON" - "$PMX_TMP/keepalive" <<'PY' || fail "keepalive: groups or think time wrong"
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
g = {x["name"]: x for x in r["groups"]}
assert g["burst"]["connections"]["established"] == 500, g["burst"]["connections"]
assert abs(g["burst"]["start_s"] - 2) < 0.01, g["burst"]["start_s"]
# think 20 ms: each browse connection does at most one request per 20 ms
b = g["browse"]
assert b["requests"]["answered"] <= 50 * (b["elapsed_s"] / 0.020 + 1), b
lines = [json.loads(x) for x in open(d + "/timeline.jsonl")]
# burst opens nothing before its start at 2 s
early = [ln for ln in lines if ln["t"] <= 1.9]
assert early and all(ln["groups"][1]["new"] == 0 for ln in early), "burst opened before its start"
print("keepalive: browse %d responses, burst 500 from t=2 s" % b["requests"]["answered"])
PY

# report.html in a real browser (headless Chromium, no network): the page's
# script drew all 7 charts, the criteria table has one green row per
# criterion; a screenshot is kept as the test's artifact.
html="$PMX_TMP/keepalive/report.html"
art=${PMX_ARTIFACTS:-$PMX_TMP}
mkdir -p "$art"
# shellcheck disable=SC2054  # --window-size=W,H is one word
chrome=(chromium --headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --virtual-time-budget=5000 --window-size=1400,2600)
timeout 60 "${chrome[@]}" --dump-dom "file://$html" 2>/dev/null >"$PMX_TMP/dom.html" || fail "chromium --dump-dom failed"
grep -q 'data-charts-ready="7"' "$PMX_TMP/dom.html" || fail "report.html: the charts were not drawn ($(grep -o 'id="status">[^<]*' "$PMX_TMP/dom.html"))"
rows=$(grep -o '<tr class="pass">' "$PMX_TMP/dom.html" | wc -l)
((rows == 5)) || fail "report.html: $rows green criteria rows, expected 5"
grep -q 'id="verdict">PASS<' "$PMX_TMP/dom.html" || fail "report.html: no PASS verdict"
timeout 60 "${chrome[@]}" --screenshot="$art/scenario-report.png" "file://$html" >/dev/null 2>&1 ||
    fail "chromium --screenshot failed"
[[ -s $art/scenario-report.png ]] || fail "no screenshot"
cp "$html" "$PMX_TMP/keepalive/timeline.jsonl" "$PMX_TMP/keepalive/report.json" "$art/"
info "report.html: 7 charts drawn, 5 green criteria rows; screenshot $art/scenario-report.png"

expect_pass bulk 3
expect_pass idle 3
"$PMX_PYTHON" - "$PMX_TMP/idle" <<'PY' || fail "idle: the hold was not held"
import json, sys
lines = [json.loads(x) for x in open(sys.argv[1] + "/timeline.jsonl")]
peak = max(ln["groups"][0]["open"] for ln in lines)
assert peak == 200, "peak open %d" % peak
print("idle: 200 connections held open at once")
PY

# Stream mode (chargen-like) against a Linux chargen server: every byte the
# report counts was sent by the server, 40 x 4 MiB.
ip netns exec "$PEER_NS" "$PMX_PYTHON" "$PMX_LIB_DIR/peers/chargen_server.py" "$PEER_IP" 19 \
    --stats "$PMX_TMP/chargen.stats" </dev/null >"$PMX_TMP/chargen.log" 2>&1 &
CHARGEN_PID=$!
for _ in $(seq 50); do ip netns exec "$PEER_NS" ss -ltn | grep -q ":19 " && break; sleep 0.1; done
expect_pass download 1
"$PMX_PYTHON" - "$PMX_TMP/download" <<'PY' || fail "download: bytes wrong"
import json, sys
t = json.load(open(sys.argv[1] + "/report.json"))["total"]
assert t["bytes"]["rx"] == 40 * 4 * 1048576 and t["bytes"]["tx"] == 0, t["bytes"]
assert t["requests"]["answered"] == 160, t["requests"]
print("download: 40 connections read 4 x 1 MiB each, sent nothing")
PY
pmx_stop_pid "$CHARGEN_PID" 5 chargen-server

# --- 2. failures and their statuses
sed 's/min_cps: 500/min_cps: 10000000/' "$SCN_DIR/short.yaml" >"$PMX_TMP/unmeetable.yaml"
scn_run "$PMX_TMP/unmeetable.yaml" "$PMX_TMP/unmeetable"
((SCN_RC == 1)) || fail "unmeetable criterion: exit $SCN_RC, expected 1"
grep -qE '^  FAIL min_cps \(overall\): measured [0-9.]+, needs >= 1e\+07' "$PMX_TMP/unmeetable/portmux.log" ||
    fail "the failing criterion is not named with its measured value"
grep -q '"verdict": "fail"' "$PMX_TMP/unmeetable/report.json" || fail "report.json verdict is not fail"
info "unmeetable min_cps: exit 1, named"

printf 'clients:\n  - target: 198.18.0.2:80\n    conns: 10\n    rate: fast\n    duration: 1\n' >"$PMX_TMP/bad.yaml"
scn_run "$PMX_TMP/bad.yaml" "$PMX_TMP/bad"
((SCN_RC == 2)) || fail "bad scenario: exit $SCN_RC, expected 2"
grep -qx "portmux: $PMX_TMP/bad.yaml:4: clients\[0\].rate: gen: bad value 'fast' for rate (expected 0..100000000)" \
    "$PMX_TMP/bad/portmux.log" || fail "bad scenario: not its one line: $(cat "$PMX_TMP/bad/portmux.log")"
! grep -q EAL "$PMX_TMP/bad/portmux.log" || fail "bad scenario: EAL started before the check"
info "bad scenario: exit 2, one line"

sed 's/198.18.0.2:80/198.19.0.2:80/' "$SCN_DIR/short.yaml" >"$PMX_TMP/noroute.yaml"
scn_run "$PMX_TMP/noroute.yaml" "$PMX_TMP/noroute"
((SCN_RC == 3)) || fail "no route: exit $SCN_RC, expected 3"
grep -q "no route to 198.19.0.2" "$PMX_TMP/noroute/portmux.log" || fail "no route: not said"
info "unroutable target: exit 3"

# --- 3. IPv6
gen_servers_stop
GEN_SERVERS_IP=$PEER_IP6 gen_servers_start 64
expect_pass ipv6 2
info "all scenarios passed"
