#!/usr/bin/env bash
# run_fuzz.sh TARGET FOUND_DIR SEED_DIR [libFuzzer options...]
# Replays every seed (regressions included), then fuzzes for the bounded time.
set -euo pipefail
target=$1 found=$2 seeds=$3
shift 3
mkdir -p "$found"
cd "$found/.."  # crash-*/timeout-* artifacts land in the build tree
exec "$target" "$@" "$found" "$seeds"
