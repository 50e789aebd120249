#!/bin/sh
# with_hugetlbfs.sh DIR COMMAND...: mounts a 2 MiB hugetlbfs on DIR and execs
# COMMAND. Meant to run under `ip netns exec`, whose private mount namespace
# keeps the mount invisible to every other process on the machine (so no
# other DPDK program picks it up) and takes it away when the last process in
# that namespace exits. A secondary process (dpdk-dumpcap) joins it with
# nsenter --mount.
set -e
dir=$1
shift
mount -t hugetlbfs -o pagesize=2M nodev "$dir"
exec "$@"
