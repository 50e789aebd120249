#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan in build-fuzz/ and
# runs each for a bounded time (FUZZ_SECONDS, default 30). New inputs that
# found coverage stay in build-fuzz/; crashes are written there as crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-30}
./scripts/install-deps.sh >/dev/null
if [ ! -d "$BUILD" ]; then
  CXX=clang++ meson setup "$BUILD" -Dfuzz=true -Dfuzz_seconds="$SECS" \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
else
  meson configure "$BUILD" -Dfuzz_seconds="$SECS"
fi
# Only the fuzz targets: the rest of the tree is built and tested by test.sh.
# A build failure prints its errors (they went to /dev/null once, and the
# run only showed up as one missing test log).
if ! out=$(ninja -C "$BUILD" tests/fuzz/fuzz_ingress tests/fuzz/fuzz_options tests/fuzz/fuzz_http \
  tests/fuzz/fuzz_tcp tests/fuzz/fuzz_gen_spec tests/fuzz/fuzz_scenario 2>&1); then
  echo "fuzz.sh: building the fuzz targets failed:" >&2
  grep -E "error|FAILED" <<<"$out" | head -30 >&2
  exit 1
fi
cd "$BUILD" && meson test --no-rebuild --suite fuzz --print-errorlogs "$@"
