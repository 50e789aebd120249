#!/usr/bin/env bash
# Hand a NIC to DPDK, or give it back to the kernel, with dpdk-devbind.py.
#
#   bind-nic.sh [--force] PCI_ADDR [DRIVER]     bind to DRIVER (default vfio-pci)
#   bind-nic.sh --unbind PCI_ADDR KERNEL_DRIVER return it to a kernel driver
#   bind-nic.sh --status                        dpdk-devbind.py --status-dev net
#
# Binding refuses, unless --force, when the NIC's kernel interface is up and
# has IP addresses or routes: taking it away would cut whatever uses it (and
# it may be the link you are logged in over).
#
# NVIDIA/Mellanox (mlx5) NICs are never bound: their PMD runs on top of the
# kernel's mlx5_core driver. Pass their PCI address to portmux with -a.
#
# DPDK_DEVBIND may name another dpdk-devbind.py (default: the one in PATH).
set -euo pipefail

readonly PROG=${0##*/}
readonly DEVBIND=${DPDK_DEVBIND:-dpdk-devbind.py}
readonly SYSPCI=/sys/bus/pci/devices

die() {
  echo "$PROG: $*" >&2
  exit 1
}

usage() {
  cat <<EOF
usage: $PROG [--force] PCI_ADDR [DRIVER]      bind PCI_ADDR to DRIVER (default vfio-pci)
       $PROG --unbind PCI_ADDR KERNEL_DRIVER  give PCI_ADDR back to KERNEL_DRIVER (e.g. ixgbe, i40e, ice)
       $PROG --status                         show network devices and their drivers
PCI_ADDR is DDDD:BB:DD.F or BB:DD.F, e.g. 0000:3b:00.0
EOF
}

# dpdk-devbind.py runs lspci, which on some minimal systems complains about
# libkmod on stderr; drop only that noise.
devbind() {
  command -v "$DEVBIND" >/dev/null 2>&1 \
    || die "$DEVBIND not found (Debian package 'dpdk' installs it in /usr/bin)"
  "$DEVBIND" "$@" 2> >(grep -v 'Unable to load libkmod resources' >&2)
}

# Normalise a PCI address to DDDD:BB:DD.F and check that the device exists.
pci_addr() {
  local a=${1,,}
  if [[ "$a" =~ ^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; then
    a="0000:$a"
  fi
  [[ "$a" =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] \
    || die "'$1' is not a PCI address (expected DDDD:BB:DD.F, e.g. 0000:3b:00.0)"
  [[ -e "$SYSPCI/$a" ]] || die "no PCI device $a on this machine"
  echo "$a"
}

current_driver() {
  local link="$SYSPCI/$1/driver"
  if [[ -L "$link" ]]; then
    basename "$(readlink -f "$link")"
  else
    echo none
  fi
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root"
}

load_module() {
  local mod=$1
  [[ -d "/sys/bus/pci/drivers/$mod" ]] && return 0
  command -v modprobe >/dev/null 2>&1 || die "cannot load kernel module $mod: modprobe not found (Debian package kmod)"
  modprobe "$mod" 2>/dev/null || die "cannot load kernel module $mod (modprobe $mod failed)"
}

# vfio-pci needs an IOMMU, or vfio's unsafe no-IOMMU mode switched on.
check_iommu() {
  local noiommu=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
  if [[ -n "$(ls -A /sys/kernel/iommu_groups 2>/dev/null)" ]]; then
    return 0
  fi
  if [[ -r "$noiommu" && "$(cat "$noiommu")" == Y ]]; then
    echo "$PROG: warning: no IOMMU, using vfio no-IOMMU mode (no DMA protection)" >&2
    return 0
  fi
  die "no IOMMU groups: enable VT-d/AMD-Vi in firmware and boot with intel_iommu=on iommu=pt (or, unsafely, set vfio enable_unsafe_noiommu_mode=1)"
}

# Refuse to take an interface that is up and carries addresses or routes.
check_not_in_use() {
  local addr=$1 pcidev dir dev ifname flags
  pcidev=$(readlink -f "$SYSPCI/$addr")
  # An interface belongs to the NIC if its device is the PCI function or sits
  # below it (virtio-net, for one, hangs its netdev off a virtioN child).
  for dir in /sys/class/net/*; do
    [[ -e "$dir/device" ]] || continue
    dev=$(readlink -f "$dir/device")
    [[ "$dev" == "$pcidev" || "$dev" == "$pcidev"/* ]] || continue
    ifname=${dir##*/}
    flags=$(cat "$dir/flags" 2>/dev/null || echo 0)
    # IFF_UP is bit 0 of the interface flags.
    ((flags & 1)) || continue
    # Link-local IPv6 addresses and the fe80::/64 route exist on every up
    # interface and do not count.
    local addrs routes4 routes6
    addrs=$(ip -o addr show dev "$ifname" scope global 2>/dev/null || true)
    routes4=$(ip -4 route show dev "$ifname" 2>/dev/null || true)
    routes6=$(ip -6 route show dev "$ifname" 2>/dev/null | sed '/^fe80::\/64/d' || true)
    if [[ -n "$addrs" || -n "$routes4" || -n "$routes6" ]]; then
      die "$ifname ($addr) is up with addresses or routes; 'ip link set $ifname down' and flush it first, or use --force"
    fi
  done
}

# Check the outcome: dpdk-devbind.py can return 0 and still leave the device alone.
report() {
  local addr=$1 was=$2 want=$3 now
  now=$(current_driver "$addr")
  [[ "$now" == "$want" ]] || die "$addr is on $now, not $want, after dpdk-devbind.py (see its messages above)"
  echo "$PROG: $addr: $was -> $now"
}

do_status() {
  devbind --status-dev net
}

do_bind() {
  local force=$1 addr driver=$3 cur
  addr=$(pci_addr "$2")
  need_root binding
  cur=$(current_driver "$addr")
  case "$cur" in
    mlx5_core | mlx4_core)
      die "$addr uses $cur: mlx5/mlx4 NICs stay on the kernel driver (bifurcated); do not bind, pass -a $addr to portmux"
      ;;
  esac
  if [[ "$cur" == "$driver" ]]; then
    echo "$PROG: $addr is already bound to $driver"
    return 0
  fi
  if ((force == 0)); then
    check_not_in_use "$addr"
  fi
  case "$driver" in
    vfio-pci)
      load_module vfio-pci
      check_iommu
      ;;
    uio_pci_generic | igb_uio)
      load_module "$driver"
      ;;
    *)
      echo "$PROG: warning: $driver is not a DPDK user-space driver; binding anyway" >&2
      ;;
  esac
  local -a args=(-b "$driver")
  ((force)) && args+=(--force)
  devbind "${args[@]}" "$addr" || die "dpdk-devbind.py could not bind $addr to $driver"
  report "$addr" "$cur" "$driver"
}

do_unbind() {
  local addr driver=$2 cur
  addr=$(pci_addr "$1")
  need_root unbinding
  cur=$(current_driver "$addr")
  if [[ "$cur" == "$driver" ]]; then
    echo "$PROG: $addr is already bound to $driver"
    return 0
  fi
  load_module "$driver"
  devbind -b "$driver" "$addr" || die "dpdk-devbind.py could not bind $addr to $driver"
  report "$addr" "$cur" "$driver"
}

force=0
mode=bind
pos=()
while (($# > 0)); do
  case "$1" in
    --force) force=1 ;;
    --status | --unbind)
      [[ "$mode" == bind ]] || die "use only one of --status and --unbind"
      mode=${1#--}
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) die "unknown option '$1' (see $PROG --help)" ;;
    *) pos+=("$1") ;;
  esac
  shift
done

case "$mode" in
  status)
    ((${#pos[@]} == 0 && force == 0)) || die "--status takes no other arguments"
    do_status
    ;;
  unbind)
    ((${#pos[@]} == 2)) || die "usage: $PROG --unbind PCI_ADDR KERNEL_DRIVER"
    do_unbind "${pos[0]}" "${pos[1]}"
    ;;
  bind)
    if ((${#pos[@]} == 0)); then
      usage >&2
      exit 2
    fi
    ((${#pos[@]} <= 2)) || die "too many arguments; usage: $PROG [--force] PCI_ADDR [DRIVER]"
    do_bind "$force" "${pos[0]}" "${pos[1]:-vfio-pci}"
    ;;
esac
