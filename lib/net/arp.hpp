// ARP for IPv4 over Ethernet (RFC 826; announcements per RFC 5227 2.3).
#pragma once

#include "addr.hpp"
#include "stats/counters.hpp"

#include <rte_arp.h>
#include <rte_ether.h>

#include <cstdint>

namespace pmx::net {

inline constexpr uint16_t kArpFrameLen = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);  // 42

struct ArpView {
  uint16_t op;  // host order: RTE_ARP_OP_REQUEST or RTE_ARP_OP_REPLY
  rte_ether_addr sha;
  Ipv4Addr spa;
  Ipv4Addr tpa;
};

// Validates the ARP message at p (after the Ethernet header, len bytes).
// Returns the drop counter on failure, or fills out and returns nullopt.
// Checks, in order: fixed part present, Ethernet/IPv4 types, address lengths,
// whole message present, operation, sender address sane.
std::optional<stats::Ctr> parse_arp(const uint8_t* p, uint16_t len, ArpView& out);

// Writes a 42-byte ARP frame at buf: Ethernet header to eth_dst from sha, then
// the ARP message. Returns the frame length.
uint16_t write_arp(uint8_t* buf, uint16_t op, const rte_ether_addr& eth_dst,
                   const rte_ether_addr& sha, Ipv4Addr spa, const rte_ether_addr& tha,
                   Ipv4Addr tpa);

// RFC 5227 2.3 announcement: a broadcast request with SPA = TPA = addr.
inline uint16_t write_gratuitous_arp(uint8_t* buf, const rte_ether_addr& mac, Ipv4Addr addr) {
  rte_ether_addr bcast, zero{};
  memset(&bcast, 0xff, sizeof bcast);
  return write_arp(buf, RTE_ARP_OP_REQUEST, bcast, mac, addr, zero, addr);
}

// A broadcast who-has request for tpa.
inline uint16_t write_arp_request(uint8_t* buf, const rte_ether_addr& mac, Ipv4Addr spa,
                                  Ipv4Addr tpa) {
  rte_ether_addr bcast, zero{};
  memset(&bcast, 0xff, sizeof bcast);
  return write_arp(buf, RTE_ARP_OP_REQUEST, bcast, mac, spa, zero, tpa);
}

}  // namespace pmx::net
