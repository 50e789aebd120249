// The kernel's own drop count for a net_af_packet port. The PMD receives
// through one AF_PACKET socket per queue with a PACKET_MMAP ring; when a
// ring is full the kernel drops the frame and counts it on that socket,
// where DPDK 22.11's PMD never looks (its RX-missed stays 0). portmux reads
// the count itself with getsockopt(SOL_PACKET, PACKET_STATISTICS) (Linux
// packet(7)).
//
// Reaching the sockets: the PMD keeps their descriptors in its private
// per-port data (struct pmd_internals in rte_eth_af_packet.c), which no
// public header declares; copying that layout would break silently with
// the next DPDK. The descriptors are this process's own, though, so they
// are found the documented way: every entry of /proc/self/fd (proc(5)) that
// is a socket of domain AF_PACKET (SO_DOMAIN, socket(7)) bound to the
// port's interface (getsockname() gives the sockaddr_ll and its ifindex).
//
// PACKET_STATISTICS returns the counts since the previous read and resets
// them, so there must be one reader: the control plane keeps a
// KernelRingStats per port and adds every read to it (show port stats,
// /metrics and telemetry all read through it). Control plane only.
#pragma once

#include <cstdint>
#include <vector>

namespace pmx::port {

struct KernelRingStats {
  uint64_t frames = 0;  // frames the kernel gave the port's sockets, dropped ones included
  uint64_t drops = 0;   // frames dropped: a socket's ring was full
  // One PACKET_STATISTICS answer (struct tpacket_stats, TPACKET_V1/V2 as the
  // PMD uses): tp_packets already includes tp_drops (packet(7); Linux adds
  // them in packet_getsockopt).
  void add(uint32_t tp_packets, uint32_t tp_drops) {
    frames += tp_packets;
    drops += tp_drops;
  }
};

// This process's AF_PACKET sockets bound to ifindex (> 0).
std::vector<int> packet_sockets(unsigned ifindex);

// Reads (and so resets) PACKET_STATISTICS of every socket in fds into acc.
// Returns how many sockets answered.
unsigned read_packet_stats(const std::vector<int>& fds, KernelRingStats& acc);

}  // namespace pmx::port
