#!/usr/bin/env bash
# Integration test: test_vlan.sh with the VLAN offloads: a profile asking for
# VLAN_INSERT and VLAN_STRIP (net_af_packet has both), so tags go through
# the mbuf (vlan_tci) both ways instead of the frame.
set -euo pipefail
PMX_VLAN_OFFLOAD=1 exec "$(dirname -- "${BASH_SOURCE[0]}")/test_vlan.sh"
