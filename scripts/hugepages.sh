#!/usr/bin/env bash
# Reserve, show or release 2 MiB hugepages for portmux.
#
#   hugepages.sh reserve [N]   make sure at least N 2 MiB pages are reserved
#                              (default 1024 = 2 GiB) and hugetlbfs is mounted
#   hugepages.sh show          print the reservation, per-node split and mounts
#   hugepages.sh release       set the 2 MiB reservation back to 0
#
# Pages are reserved through /proc/sys/vm/nr_hugepages when 2 MiB is the
# kernel's default hugepage size, otherwise through the 2048kB pool in sysfs.
# The kernel spreads them over NUMA nodes; for per-node control use
# dpdk-hugepages.py --node. 1 GiB pages are normally reserved at boot instead
# (see docs/hardware.md).
#
# Idempotent: reserving when enough pages exist, or mounting when a 2 MiB
# hugetlbfs is already mounted, does nothing.
set -euo pipefail

readonly PROG=${0##*/}
readonly MOUNT_POINT=/dev/hugepages
readonly POOL_DIR=/sys/kernel/mm/hugepages/hugepages-2048kB

die() {
  echo "$PROG: $*" >&2
  exit 1
}

usage() {
  cat <<EOF
usage: $PROG reserve [N]   reserve at least N 2 MiB hugepages (default 1024), mount hugetlbfs
       $PROG show          show hugepage reservation and hugetlbfs mounts
       $PROG release       set the 2 MiB hugepage reservation to 0
EOF
}

# The file whose value is the number of 2 MiB pages in the pool.
nr_file() {
  local default_kb
  default_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
  if [[ "$default_kb" == 2048 ]]; then
    echo /proc/sys/vm/nr_hugepages
  elif [[ -d "$POOL_DIR" ]]; then
    echo "$POOL_DIR/nr_hugepages"
  else
    die "this kernel has no 2 MiB hugepage pool ($POOL_DIR missing)"
  fi
}

pool_value() { cat "$POOL_DIR/$1" 2>/dev/null || echo 0; }

need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root"
}

# Prints the mount points of hugetlbfs mounts that serve 2 MiB pages.
mounts_2m() {
  local default_kb
  default_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
  awk -v dflt="$default_kb" '
    $3 == "hugetlbfs" {
      size = dflt "k"
      n = split($4, opts, ",")
      for (i = 1; i <= n; i++)
        if (opts[i] ~ /^pagesize=/) size = substr(opts[i], 10)
      if (size == "2M" || size == "2048k" || size == "2048K") print $2
    }' /proc/mounts
}

do_reserve() {
  local want=${1:-1024}
  [[ "$want" =~ ^[0-9]+$ ]] || die "page count must be a positive integer, got '$want'"
  want=$((10#$want))
  ((want > 0)) || die "page count must be at least 1 (use '$PROG release' to free pages)"
  need_root reserve

  local file have got
  file=$(nr_file)
  have=$(cat "$file")
  if ((have >= want)); then
    echo "$PROG: $have 2 MiB hugepages already reserved (asked for $want); not changed"
  else
    echo "$want" >"$file" 2>/dev/null || die "cannot write $file (read-only /proc/sys or no permission?)"
    got=$(cat "$file")
    if ((got < want)); then
      die "only $got of $want 2 MiB hugepages could be reserved (memory too fragmented or too small; try fewer, or reserve at boot)"
    fi
    echo "$PROG: reserved $got 2 MiB hugepages ($((got * 2)) MiB), was $have"
  fi

  local mounted
  mounted=$(mounts_2m | head -n 1)
  if [[ -n "$mounted" ]]; then
    echo "$PROG: hugetlbfs for 2 MiB pages already mounted at $mounted"
  else
    mkdir -p "$MOUNT_POINT" || die "cannot create $MOUNT_POINT"
    mount -t hugetlbfs -o pagesize=2M nodev "$MOUNT_POINT" 2>/dev/null \
      || die "cannot mount hugetlbfs at $MOUNT_POINT (no CAP_SYS_ADMIN in this container?)"
    echo "$PROG: mounted hugetlbfs (pagesize=2M) at $MOUNT_POINT"
  fi
}

do_show() {
  local file
  file=$(nr_file)
  echo "2 MiB pages: reserved $(pool_value nr_hugepages), free $(pool_value free_hugepages)," \
    "reserved-by-mappings $(pool_value resv_hugepages), surplus $(pool_value surplus_hugepages)" \
    "(pool file: $file)"
  local d size
  for d in /sys/kernel/mm/hugepages/hugepages-*; do
    [[ -d "$d" ]] || continue
    size=${d##*hugepages-}
    [[ "$size" == 2048kB ]] && continue
    echo "$size pages: reserved $(cat "$d/nr_hugepages"), free $(cat "$d/free_hugepages")"
  done
  local node
  for node in /sys/devices/system/node/node[0-9]*; do
    [[ -r "$node/hugepages/hugepages-2048kB/nr_hugepages" ]] || continue
    echo "  ${node##*/}: $(cat "$node/hugepages/hugepages-2048kB/nr_hugepages") reserved," \
      "$(cat "$node/hugepages/hugepages-2048kB/free_hugepages") free"
  done
  echo "kernel default hugepage size: $(awk '/^Hugepagesize:/ {print $2, $3}' /proc/meminfo)"
  local any=0 mp opts
  while read -r _ mp _ opts _; do
    echo "hugetlbfs mounted at $mp ($opts)"
    any=1
  done < <(awk '$3 == "hugetlbfs"' /proc/mounts)
  ((any)) || echo "hugetlbfs: not mounted"
}

do_release() {
  need_root release
  local file have left files
  file=$(nr_file)
  have=$(cat "$file")
  echo 0 >"$file" 2>/dev/null || die "cannot write $file"
  left=$(pool_value surplus_hugepages)
  echo "$PROG: 2 MiB hugepage reservation set to 0 (was $have)"
  if ((left > 0)); then
    echo "$PROG: $left page(s) still in use, by a running process or by files left in hugetlbfs; they return to the kernel when freed"
    local -a mps
    mapfile -t mps < <(mounts_2m)
    files=0
    if ((${#mps[@]} > 0)); then
      files=$(find "${mps[@]}" -maxdepth 1 -type f 2>/dev/null | wc -l)
    fi
    if ((files > 0)); then
      echo "$PROG: $files file(s) in ${mps[*]} hold pages; if no DPDK process is running, delete them (rm ${mps[0]}/*map_*)"
    fi
  fi
}

cmd=${1:-}
case "$cmd" in
  reserve)
    (($# <= 2)) || die "too many arguments; usage: $PROG reserve [N]"
    do_reserve "${2:-1024}"
    ;;
  show)
    (($# == 1)) || die "show takes no arguments"
    do_show
    ;;
  release)
    (($# == 1)) || die "release takes no arguments"
    do_release
    ;;
  -h | --help | help)
    usage
    ;;
  "")
    usage >&2
    exit 2
    ;;
  *)
    die "unknown command '$cmd' (reserve [N] | show | release)"
    ;;
esac
