// IPv6 receive validation (RFC 8200) with its extension-header chain, and
// ICMPv6 (RFC 4443): checksum, echo, packet too big (RFC 8201).
#pragma once

#include "addr.hpp"
#include "checksum.hpp"
#include "ipv4.hpp"
#include "stats/counters.hpp"

#include <rte_ip.h>

#include <cstdint>
#include <optional>

namespace pmx::net {

inline constexpr uint8_t kProtoIcmp6 = 58;         // RFC 4443
inline constexpr uint8_t kIcmp6EchoRequest = 128;  // RFC 4443 4.1
inline constexpr uint8_t kIcmp6EchoReply = 129;    // RFC 4443 4.2
inline constexpr uint8_t kIcmp6PacketTooBig = 2;   // RFC 4443 3.2
inline constexpr uint8_t kDefaultHopLimit = 64;    // as kDefaultTtl
inline constexpr uint16_t kIpv6MinMtu = 1280;      // RFC 8200 5
// Extension headers walked before the upper layer is reached; a longer
// chain is dropped (ipv6_ext_chain_too_long). Eight is more than any chain
// a sender of ours has a reason to build (RFC 8200 4.1's order has six).
inline constexpr unsigned kMaxExtHeaders = 8;

struct Ipv6View {
  Ipv6Addr src, dst;
  uint8_t proto = 0;      // the upper-layer protocol (TCP or ICMPv6)
  uint8_t hop_limit = 0;  // as received
  uint16_t l4_off = 0;    // from the IPv6 header: 40 plus the extension headers
  uint16_t l4_len = 0;    // upper-layer bytes (payload length - extension headers)
};

// Validates the IPv6 packet at p (len bytes follow the Ethernet header, which
// may include link padding). Order: minimum size, version, payload length
// against the frame, multicast source, destination (one of our unicast
// addresses, or one of our groups for ICMPv6 only), extension headers (a
// bounded walk, below), unspecified source (only a neighbour solicitation
// may come from ::, RFC 4861 7.1.1 / RFC 4862 5.4.2). Returns the drop
// counter, or nullopt with out filled in: out.proto is TCP or ICMPv6.
//
// Extension headers (RFC 8200 4): hop-by-hop only right after the IPv6
// header; its options and the destination options' are skipped when their
// type's top two bits are 00 (Pad1, PadN and unknown ones alike), any other
// unknown option drops the packet (4.2; no parameter problem is sent).
// Routing with segments left 0 is skipped (4.4); type 0 (RFC 5095) or any
// other type with segments left is dropped (we forward nothing). Fragments
// are dropped (no reassembly) except atomic ones (offset 0, M clear, RFC
// 6946), which are the whole packet. No next header (59), and protocols other
// than TCP and ICMPv6, are dropped. At most kMaxExtHeaders headers, and never
// past the payload.
std::optional<stats::Ctr> parse_ipv6(const uint8_t* p, uint16_t len, const PortIp& port,
                                     Ipv6View& out);

// The ICMPv6 checksum over the message at icmp (n bytes) with the IPv6
// pseudo-header (RFC 4443 2.3, RFC 8200 8.1): 0 when a received message is
// intact; the value to store when the checksum field was zero.
uint16_t icmp6_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, const uint8_t* icmp, uint16_t n);

// Turns the ICMPv6 echo request in the IPv6 packet at p (validated into v,
// checksum verified) into an echo reply in place (RFC 4443 4.2): extension
// headers dropped (the message moves up to follow the 40-byte header), from
// the address it was sent to, or for a multicast destination from our
// address for the peer (PortIp::source_for6), to its source, hop limit 64,
// checksum recomputed. Returns the new IPv6 packet length.
uint16_t icmp6_echo_reply(uint8_t* p, const Ipv6View& v, const PortIp& port);

// ICMPv6 packet too big (RFC 4443 3.2) at icmp (n bytes, checksum good): the
// quoted packet must be an IPv6/TCP packet from one of our addresses with 8
// bytes of TCP header (RFC 5927 4: ports and sequence number; the engine
// checks the sequence number). The MTU is raised to 1280 when below (RFC
// 8201 4) and capped at 65535.
std::optional<stats::Ctr> parse_packet_too_big(const uint8_t* icmp, uint16_t n, const PortIp& port,
                                               FragNeeded& out);

// Writes the fixed IPv6 header (version 6, traffic class and flow label 0).
void write_ipv6_header(uint8_t* p, uint16_t payload_len, uint8_t proto, uint8_t hop_limit,
                       const Ipv6Addr& src, const Ipv6Addr& dst);

}  // namespace pmx::net
