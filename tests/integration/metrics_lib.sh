# shellcheck shell=bash
# Helpers for the metrics tests (source after lib.sh): the Prometheus
# endpoint and a real Prometheus server, both on the dut namespace's
# loopback (portmux runs there, so its management side is that namespace's
# kernel stack).

METRICS_PORT=9464
PROM_PORT=9090
METRICS_URL="http://127.0.0.1:$METRICS_PORT/metrics"
PROM_PID=""

dut() { ip netns exec "$DUT_NS" "$@"; }
peer() { ip netns exec "$PEER_NS" "$@"; }

# The dut namespace's loopback carries the management traffic.
dut_lo_up() { ip -n "$DUT_NS" link set lo up || fail "lo up in $DUT_NS"; }

# scrape FILE: GET /metrics into FILE; fails unless HTTP 200.
scrape() {
    local code
    code=$(dut timeout 10 curl -sS --noproxy '*' -o "$1" -w '%{http_code}' "$METRICS_URL") || fail "curl $METRICS_URL failed"
    [[ $code == 200 ]] || fail "GET /metrics: HTTP $code"
}

# prom_start: a Prometheus server scraping portmux every second, with its
# config and storage in the test's temporary directory.
prom_start() {
    command -v prometheus >/dev/null || fail "prometheus not installed (scripts/install-deps.sh)"
    mkdir -p "$PMX_TMP/prom-data"
    cat >"$PMX_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: portmux
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT']
YML
    # Not through dut(): a backgrounded shell function is a subshell, and
    # $! would be that subshell rather than prometheus (ip netns exec execs).
    ip netns exec "$DUT_NS" prometheus --config.file="$PMX_TMP/prometheus.yml" \
        --storage.tsdb.path="$PMX_TMP/prom-data" --web.listen-address="127.0.0.1:$PROM_PORT" \
        >"$PMX_TMP/prometheus.log" 2>&1 &
    PROM_PID=$!
    local deadline=$((SECONDS + 30))
    until dut curl -sf --noproxy '*' -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready"; do
        pmx_pid_alive "$PROM_PID" || { cat "$PMX_TMP/prometheus.log" >&2; fail "prometheus exited"; }
        ((SECONDS < deadline)) || fail "prometheus not ready after 30 s"
        sleep 0.3
    done
    info "prometheus pid $PROM_PID ready on 127.0.0.1:$PROM_PORT"
}

prom_stop() {
    [[ -n $PROM_PID ]] || return 0
    pmx_stop_pid "$PROM_PID" 15 prometheus
    PROM_PID=""
}

# prom_query EXPR: the value of an instant query with one result (prints
# "none" if the result is empty).
prom_query() {
    local out
    out=$(dut curl -sS --noproxy '*' --max-time 10 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
        --data-urlencode "query=$1") || return 1
    "$PMX_PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])
if r.get("status") != "success":
    sys.exit("query failed: " + sys.argv[1])
res = r["data"]["result"]
print(res[0]["value"][1] if res else "none")' "$out"
}
