#!/usr/bin/env bash
# Integration test: the chargen service (RFC 864), written only against the
# stream API (docs/services.md), with real Linux clients:
#  1. nc reads 1,000,000 bytes: the RFC 864 pattern from the first byte;
#  2. a rate=20000 listener read for 2 s by a Python client gives the
#     pattern at about that rate (30,000..46,000 bytes: 40,000 plus the
#     50 ms bucket, less the first segment's round trip);
#  3. portmux stops cleanly.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

CHECK="$PMX_LIB_DIR/peers/chargen_check.py"
require_root
pmx_traps
topo_up
pmx_start --listen 0.0.0.0:19=chargen --listen "0.0.0.0:1919=chargen,rate=20000"
command -v nc >/dev/null || fail "nc not installed (scripts/install-deps.sh)"

ip netns exec "$PEER_NS" timeout 20 sh -c "nc -d $DUT_IP 19 | head -c 1000000" >"$PMX_TMP/cg.bin" \
    || true  # head closes the pipe: nc ends by SIGPIPE
out=$("$PMX_PYTHON" "$CHECK" verify "$PMX_TMP/cg.bin" 1000000) || fail "nc: $out"
info "nc: $out"

out=$(ip netns exec "$PEER_NS" timeout 20 "$PMX_PYTHON" "$CHECK" rate "$DUT_IP" 1919 2) \
    || fail "rate client: $out"
bytes=$(awk '$1 == "RESULT" { print $3 }' <<<"$out")
info "rate=20000 for 2 s: $bytes bytes"
((bytes >= 30000 && bytes <= 46000)) || fail "rate=20000 gave $bytes bytes in 2 s"

pmx_stop || fail "portmux did not stop cleanly (status $PMX_EXIT)"
info "PASS"
