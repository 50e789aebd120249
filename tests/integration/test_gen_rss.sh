#!/usr/bin/env bash
# The generator's source-tuple steering on a port with real RSS, live: two
# workers on one net_null port (no traffic leaves it; no namespace needed,
# nothing is sent anywhere but the null device).
#  1. With RSS on (a profile with rss_hf = ipv4-tcp), portmux programs the
#     redirection table round robin at start, the generator reads key and
#     table back from the port and splits the tuple space by the software
#     Toeplitz hash: 'gen start' succeeds and says "Toeplitz RSS, 40-byte
#     key, 128-entry RETA over 2 queues" with 8192 tuples per worker (an
#     even split of 16384 ephemeral ports, as the round-robin table gives).
#  1b. The same over a source range of 98,304 addresses (issue 14).
#  2. Without RSS (the shipped null profile), two workers cannot know which
#     queue a reply reaches: 'gen start' is refused, naming the reason.
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
PORTMUX=${PORTMUX:-$ROOT/build/app/portmux}
TMP=$(mktemp -d /tmp/pmxrss.XXXXXX)
trap 'rm -rf -- "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; [[ -f $TMP/out ]] && sed 's/^/  | /' "$TMP/out" >&2; exit 1; }
info() { echo "[test_gen_rss] $*"; }
has() { grep -qF -- "$1" "$TMP/out" || fail "output lacks '$1'"; }

# Two workers on two CPUs (they share CPU 1 with nothing busy: no RX).
EAL=(--no-huge --no-shconf --no-pci --file-prefix "pmxrss$$" --lcores "0@0,1@1,2@1"
     "--vdev=net_null0,no-rx=1")
# The SYNs wait for ARP (nobody answers on a null port): the run is stopped.
printf 'gen start 198.18.5.2 80 conns 100 rate 1000\nshow port info 0\ngen stop\nquit\n' >"$TMP/cmds"

sed 's/^rss_hf *=.*/rss_hf = ipv4-tcp/' "$ROOT/drivers_cfg/null.ini" >"$TMP/null-rss.ini"
RC=0
timeout 30 "$PORTMUX" "${EAL[@]}" -- --addr 0=198.18.5.1/24 --port-profile "0=$TMP/null-rss.ini" \
    --cmdline-file "$TMP/cmds" </dev/null >"$TMP/out" 2>&1 || RC=$?
((RC == 0)) || fail "portmux exited $RC"
has "rte_softrss self-test passed"
has "RSS hash functions: 0x10"
has "gen: started 198.18.5.2 80"
has "(port 0 (net_null): Toeplitz RSS, 40-byte key, 128-entry RETA over 2 queues), source tuples per worker: 8192, 8192"
info "RSS on: Toeplitz key and RETA read back from the port, 8192 tuples per worker"

# 1b. A source range of 98,304 addresses (issue 14): the workers split its
#     1,610,612,736 tuples (x 16,384 ports) by arithmetic, both get some, and
#     none is lost, with no table per tuple or address.
printf 'gen start 198.18.5.2 80 conns 100 rate 1000 src 198.18.128.0-198.19.255.255\ngen stop\nquit\n' >"$TMP/cmds-range"
RC=0
timeout 30 "$PORTMUX" "${EAL[@]}" -- --addr 0=198.18.5.1/24 --addr 0=198.18.128.0-198.19.255.255/15 \
    --port-profile "0=$TMP/null-rss.ini" --cmdline-file "$TMP/cmds-range" </dev/null >"$TMP/out" 2>&1 || RC=$?
((RC == 0)) || fail "portmux exited $RC (range)"
per=$(sed -nE 's/.*src 198\.18\.128\.0-198\.19\.255\.255 .*source tuples per worker: ([0-9]+), ([0-9]+)$/\1 \2/p' "$TMP/out")
read -r t0 t1 <<<"$per"
[[ -n ${t1:-} ]] || fail "no per-worker tuple counts for the range run"
((t0 > 0 && t1 > 0 && t0 + t1 == 98304 * 16384)) ||
    fail "range tuples per worker $t0 + $t1, expected both > 0, summing to $((98304 * 16384))"
info "range of 98304 sources: $t0 + $t1 tuples on the two workers (all $((98304 * 16384)))"

RC=0
timeout 30 "$PORTMUX" "${EAL[@]}" -- --addr 0=198.18.5.1/24 --cmdline-file "$TMP/cmds" \
    </dev/null >"$TMP/out" 2>&1 || RC=$?
((RC == 0)) || fail "portmux exited $RC"
has "error: gen start: port 0: port 0 (net_null): RSS is not enabled on the port"
info "RSS off with 2 workers: gen start refused, naming the reason"
info "PASS"
