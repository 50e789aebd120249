#!/usr/bin/env bash
# Installs every build and test dependency of portmux from Debian 12's archive.
# Idempotent: packages already present are left alone; apt runs only if one is missing.
set -euo pipefail

PKGS=(
  # build
  build-essential meson ninja-build pkg-config
  libdpdk-dev dpdk libboost-program-options-dev libgtest-dev
  # test peers and tooling
  iproute2 ethtool iputils-ping procps python3 python3-scapy
  # the devices under test of tests/integration/test_dut_*.sh (NAT, firewall, load balancer: nftables)
  nftables conntrack
  curl wrk netcat-openbsd nginx-light iperf3
  # the lint suite (tests/lint/lint.sh)
  shellcheck clang-format python3-pyflakes
  # monitoring (tests metrics, telemetry, dumpcap): Boost.Beast headers for
  # the metrics endpoint, Prometheus and promtool, dpdk-dumpcap and
  # dpdk-telemetry.py (package dpdk-dev), tshark to read captures
  libboost-dev prometheus dpdk-dev tshark
  # the soak's plot of its samples (scripts/soak_plot.py)
  python3-matplotlib
  # fuzzing (scripts/fuzz.sh)
  clang libclang-rt-14-dev
  # instruction counts per segment (scripts/bench/instructions.sh)
  valgrind
  # scenario files (lib/scenario/scenario.cpp): a well-kept YAML parser rather
  # than a hand-written one
  libyaml-cpp-dev
  # report.html's charts: Chart.js bundled into the file at build time (a
  # well-kept charting library, not hand-drawn SVG), and a real browser to
  # check that it renders (tests/integration/test_scenarios.sh)
  libjs-chart.js chromium
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
