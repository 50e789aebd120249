#!/usr/bin/env bash
# scripts/sanitize.sh [TEST...]
#
# Builds portmux with AddressSanitizer and UndefinedBehaviorSanitizer (gcc,
# build-asan/) and runs a subset of the integration tests against that
# binary: real Linux peers, real DPDK ports, the same scripts as the main
# suite. It fails if a test fails or if any sanitizer wrote a report, even
# one that did not stop the process (reports go to files, checked at the end).
#
# Default subset (about 2 minutes): the seeds' examples, HTTP, refused
# connections, the malformed-frame batch, the generator against Linux
# servers, and the SYN flood when the suite has it. Name tests to run others.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${ASAN_BUILD:-build-asan}

./scripts/install-deps.sh >/dev/null || exit 1
if [[ ! -d $BUILD ]]; then
    # gcc's -Wmaybe-uninitialized is unreliable under ASan's instrumentation
    # (false positives in Boost and the standard library at -O2).
    meson setup "$BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dcpp_args=-Wno-maybe-uninitialized >/dev/null || exit 1
fi
ninja -C "$BUILD" app/portmux app/portmux-ctl tests/impair/pmx-impair tests/flood/pmx-flood >/dev/null || exit 1

TESTS=("$@")
if ((${#TESTS[@]} == 0)); then
    TESTS=(tcp-seeds tcp-http tcp-refused malformed gen-linux)
    meson test -C "$BUILD" --no-rebuild --list 2>/dev/null | grep -qx 'portmux:integration / syn-flood\|syn-flood' &&
        TESTS+=(syn-flood)
fi

REPORTS=$(mktemp -d /tmp/pmx-sanitize.XXXXXX)
trap 'rm -rf -- "$REPORTS"' EXIT
# Every report to its own file (log_path), so that none is lost in a test's
# discarded output; UBSan stops at the first error as ASan does.
export ASAN_OPTIONS="log_path=$REPORTS/asan:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="log_path=$REPORTS/lsan"
# syn-flood: under ASan portmux is several times slower and the flood takes
# its core; here it checks the cookie path for memory errors, and 90 % of
# the real clients served is enough (the main suite asks 99.9 %).
export FLOOD_MIN_SERVED_PERMILLE=900

rc=0
meson test -C "$BUILD" --no-rebuild --print-errorlogs "${TESTS[@]}" || rc=1
shopt -s nullglob
reports=("$REPORTS"/*)
if ((${#reports[@]})); then
    for r in "${reports[@]}"; do
        echo "----- sanitizer report $r -----" >&2
        head -60 "$r" >&2
    done
    echo "sanitize: FAIL: ${#reports[@]} sanitizer report(s)" >&2
    rc=1
fi
((rc == 0)) && echo "sanitize: PASS (${TESTS[*]} under ASan+UBSan, no report)"
((rc == 0)) || echo "sanitize: FAIL" >&2
exit "$rc"
