#!/usr/bin/env bash
# The whole test suite from a bare Debian 12 machine: installs what is
# missing, builds, runs `meson test` (unit and integration), and ends with
# the line "N passed, N failed[, N skipped]". Exit status 0 only if nothing failed.
# Then the fuzz targets run for a bounded time each (scripts/fuzz.sh), the
# sanitizer run and a two-minute soak (docs/reliability.md), and the
# benchmark suite's quick smoke run (scripts/bench.sh --quick).
# Integration tests create network namespaces and so need root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
./scripts/install-deps.sh || exit 1
if [ -d "$BUILD" ]; then
  meson setup --reconfigure "$BUILD" >/dev/null || exit 1
else
  meson setup "$BUILD" >/dev/null || exit 1
fi
ninja -C "$BUILD" || exit 1

meson test -C "$BUILD" --print-errorlogs "$@"
rc=$?

# The fuzz targets, each for FUZZ_SECONDS (default 30), in their own clang
# build (scripts/fuzz.sh).
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_BUILD=$FUZZ_BUILD FUZZ_SECONDS=${FUZZ_SECONDS:-30} ./scripts/fuzz.sh || rc=1

# The integration tests against an ASan+UBSan build of portmux (one test:
# fails on a failed test or any sanitizer report), then two minutes of the
# soak (one test: fails on a leak, a stall or a corrupted byte);
# docs/reliability.md.
extra_ok=0 extra_failed=0
for check in "./scripts/sanitize.sh" "./scripts/soak.sh --minutes 2"; do
  if $check; then
    extra_ok=$((extra_ok + 1))
  else
    echo "FAIL: $check" >&2
    extra_failed=$((extra_failed + 1))
  fi
done

# The benchmark suite's smoke run (scripts/bench.sh --quick, ~1 min): it
# counts as one more test, passing when every measurement was taken without
# a load error. No figure passes or fails it (docs/performance.md).
bench_ok=1
if ./scripts/bench.sh --quick; then
  cat build-bench/performance-quick.md
else
  echo "FAIL: scripts/bench.sh --quick" >&2
  bench_ok=0
fi

# Count from meson's own logs of this run.
read -r passed failed skipped < <(
  /usr/bin/python3 - "$BUILD/meson-logs/testlog.json" "$FUZZ_BUILD/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for log in sys.argv[1:]:
    try:
        with open(log) as fh:
            for line in fh:
                r = json.loads(line).get("result")
                if r in ("OK", "EXPECTEDFAIL"): p += 1
                elif r == "SKIP": s += 1
                else: f += 1
    except FileNotFoundError:
        f += 1
print(p, f, s)
PY
)
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # meson itself failed
if [ "$bench_ok" -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
passed=$((passed + extra_ok))
failed=$((failed + extra_failed))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
