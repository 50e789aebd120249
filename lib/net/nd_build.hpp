// Neighbor Discovery frames we originate (RFC 4861 4.3, 4.4): Neighbor
// Solicitations to resolve a neighbour or to probe a stale one, and for
// duplicate address detection (RFC 4862 5.4.2); unsolicited Neighbor
// Advertisements announcing our addresses (RFC 4861 7.2.6). Pure: they
// write whole Ethernet + IPv6 + ICMPv6 frames into a buffer, checksum
// included, and need no EAL. (The NA answering a received NS is written in
// place by ingress: lib/net/nd.hpp.)
#pragma once

#include "addr.hpp"
#include "nd.hpp"

#include <rte_ether.h>

#include <cstdint>

namespace pmx::net {

// Frame lengths: Ethernet 14 + IPv6 40 + ICMPv6 24 (type, code, checksum,
// reserved/flags, target), + 8 for a link-layer address option.
inline constexpr uint16_t kNsDadFrameLen = 14 + 40 + 24;          // 78
inline constexpr uint16_t kNdWithLlaFrameLen = 14 + 40 + 24 + 8;  // 86

// An NS for target from src with our MAC as the source link-layer address
// option (RFC 4861 7.2.2). Resolution (INCOMPLETE): to target's
// solicited-node group, eth_dst its 33:33:ff multicast MAC. Reachability
// probe (PROBE, RFC 4861 7.3.3): to target itself, eth_dst the cached MAC.
// Returns the frame length (kNdWithLlaFrameLen).
uint16_t write_ns(uint8_t* buf, const rte_ether_addr& eth_dst, const rte_ether_addr& our_mac,
                  const Ipv6Addr& src, const Ipv6Addr& dst, const Ipv6Addr& target);

// The resolution NS: to the solicited-node group of target.
inline uint16_t write_ns_multicast(uint8_t* buf, const rte_ether_addr& our_mac, const Ipv6Addr& src,
                                   const Ipv6Addr& target) {
  const Ipv6Addr g = target.solicited_node();
  return write_ns(buf, multicast_mac(g), our_mac, src, g, target);
}

// The DAD probe for tentative (RFC 4862 5.4.2): source ::, to tentative's
// solicited-node group, no source link-layer address option (RFC 4861
// 7.1.1 forbids one with an unspecified source). Returns kNsDadFrameLen.
uint16_t write_ns_dad(uint8_t* buf, const rte_ether_addr& our_mac, const Ipv6Addr& tentative);

// An unsolicited NA for addr (RFC 4861 7.2.6): from addr to all-nodes
// (ff02::1, 33:33:00:00:00:01), Override set, Solicited clear, Router
// clear, our MAC as the target link-layer address. Returns
// kNdWithLlaFrameLen.
uint16_t write_unsolicited_na(uint8_t* buf, const rte_ether_addr& our_mac, const Ipv6Addr& addr);

// Duplicate address detection's receive side (RFC 4862 5.4.3, 5.4.4): which
// of the n tentative addresses the frame f (len bytes) shows to be in use,
// or -1. A valid (RFC 4861 7.1.1/7.1.2: hop limit 255, code 0, ICMPv6
// checksum, length) Neighbor Advertisement whose target is tentative, or a
// Neighbor Solicitation from :: for it (another node doing DAD for the same
// address). Frames from our_mac are our own NSs looped back and never count.
// Only a chain without extension headers is looked at (ND messages carry
// none).
int dad_conflict(const uint8_t* f, uint16_t len, const rte_ether_addr& our_mac,
                 const Ipv6Addr* tentative, size_t n);

}  // namespace pmx::net
