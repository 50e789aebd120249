#!/usr/bin/env bash
# Integration test: with VLAN strip offload (a profile asking for
# VLAN_STRIP; net_af_packet has it) the tag arrives in the mbuf, not in the
# frame, and the 802.1Q cases of test_malformed.sh (unknown VLAN, reserved
# VID, QinQ) must still each be counted once and never answered.
set -euo pipefail
PMX_MALFORMED_VLAN_STRIP=1 exec "$(dirname -- "${BASH_SOURCE[0]}")/test_malformed.sh"
