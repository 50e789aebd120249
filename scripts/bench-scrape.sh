#!/usr/bin/env bash
# Does scraping /metrics slow the data path? wrk's request rate against the
# http service with and without scraping, modes alternated, medians.
#
#   sudo scripts/bench-scrape.sh            # ROUNDS=3 DURATION=10 CONNS=50
#
# Topology and appliance as the integration tests (tests/integration/lib.sh:
# portmux on net_af_packet in one namespace, wrk in another). The scrape
# loop (tests/integration/peers/scrape_loop.py: one keep-alive connection, every
# answer checked) runs on the dut namespace's loopback for the whole wrk
# run. wrk and the scraper are pinned to CPU 0 (with portmux's control and
# HTTP threads), so the worker's CPU 1 is left alone: on a 2-core machine
# the clients still compete with each other, which this figure includes.
# Prints every run and a Markdown table for docs/performance.md.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../tests/integration/lib.sh"
# shellcheck source=tests/integration/metrics_lib.sh
source "$PMX_LIB_DIR/metrics_lib.sh"

require_root
pmx_traps
topo_up
dut_lo_up
pmx_start --listen 0.0.0.0:80=http --metrics "127.0.0.1:$METRICS_PORT"
URL="http://$DUT_IP/"

# wrk_rps: one wrk run, prints its Requests/sec.
wrk_rps() {
    local out
    out=$(peer taskset -c 0 timeout $((DURATION + 30)) wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 5s "$URL") \
        || fail "wrk failed"
    awk '$1 == "Requests/sec:" { print $2 }' <<<"$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One wrk run per mode, modes alternated within each round:
#   none    nothing else runs
#   1000    1000 scrapes in a tight loop, started 1 s into the run
#   loop    a tight scrape loop for the whole run
#   burn    a CPU burner on CPU 0 for the whole run, no scrapes: what the
#           scraper's CPU alone costs wrk on this machine
MODES=(none 1000 loop burn)
declare -A runs
scrape_bg() {   # N SECONDS DELAY
    (sleep "$3" && dut taskset -c 0 "$PMX_PYTHON" "$PMX_LIB_DIR/peers/scrape_loop.py" 127.0.0.1 \
        "$METRICS_PORT" "$1" "$2") >>"$PMX_TMP/scrapes" 2>&1 &
    BG=$!
}
wrk_rps >/dev/null  # warm-up
for ((r = 1; r <= ROUNDS; r++)); do
    for m in "${MODES[@]}"; do
        BG=""
        case $m in
            1000) scrape_bg 1000 "$DURATION" 1 ;;
            loop) scrape_bg 100000000 "$((DURATION + 1))" 0 ;;
            burn)
                taskset -c 0 timeout "$((DURATION + 1))" "$PMX_PYTHON" -c 'while True: pass' &
                BG=$!
                ;;
        esac
        v=$(wrk_rps)
        if [[ -n $BG ]]; then
            rc=0
            wait "$BG" || rc=$?
            # timeout ends the burner with 124
            [[ $m == burn && $rc == 124 ]] || ((rc == 0)) || { cat "$PMX_TMP/scrapes" >&2; fail "$m helper failed ($rc)"; }
        fi
        runs[$m]+="$v "
        info "round $r, $m: $v req/s $([[ $m == 1000 || $m == loop ]] && tail -n 1 "$PMX_TMP/scrapes")"
    done
done
pmx_stop || fail "portmux did not stop cleanly"

echo
echo "| wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS rounds alternated | req/s (median) | runs |"
echo "| --- | --- | --- |"
for m in "${MODES[@]}"; do
    # shellcheck disable=SC2086  # one word per run
    med=$(printf '%s\n' ${runs[$m]} | median)
    echo "| $m | $med | ${runs[$m]}|"
done
echo
echo "scrape loops:"
cat "$PMX_TMP/scrapes"
