#!/usr/bin/env bash
# The whole test suite from a bare Debian 12 machine: installs what is
# missing, builds, runs `meson test` (unit and integration), and ends with
# the line "N passed, N failed[, N skipped]". Exit status 0 only if nothing failed.
# Integration tests create network namespaces and so need root.
set -uo pipefail
cd "$(dirname "$0")/.."

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

# Count from meson's own log of this run.
log="$BUILD/meson-logs/testlog.json"
read -r passed failed skipped < <(
  /usr/bin/python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
try:
    with open(sys.argv[1]) as fh:
        for line in fh:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"): p += 1
            elif r == "SKIP": s += 1
            else: f += 1
except FileNotFoundError:
    f = 1
print(p, f, s)
PY
)
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # meson itself failed
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
