#!/usr/bin/env bash
# Integration test: test_dut_router.sh with the clients on VLAN 100 of port
# 0 and the servers on VLAN 200 of port 1 (DUT_VLAN=1; dut_lib.sh,
# dut_vlan_links).
set -euo pipefail
DUT_VLAN=1 exec "$(dirname -- "${BASH_SOURCE[0]}")/test_dut_router.sh"
