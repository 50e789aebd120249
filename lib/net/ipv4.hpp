// IPv4 receive validation (RFC 791 3.1, RFC 1122 3.2.1) and ICMP echo
// (RFC 792, RFC 1122 3.2.2.6).
#pragma once

#include "addr.hpp"
#include "checksum.hpp"
#include "stats/counters.hpp"

#include <rte_ip.h>

#include <cstdint>
#include <optional>

namespace pmx::net {

// Internet checksum (RFC 1071) over len bytes, complemented: the value to put
// in a checksum field that was zero while summing. Verifying a header that
// carries its checksum gives 0.
inline uint16_t inet_checksum(const void* p, size_t len) {
  return static_cast<uint16_t>(~csum_fold(csum_partial(p, len)));
}

struct Ipv4View {
  uint16_t hlen;   // header bytes (IHL * 4)
  uint16_t total;  // total length from the header
  uint8_t proto;
  Ipv4Addr src, dst;
};

// Validates the IPv4 packet at p (len bytes follow the Ethernet header, which
// may include link padding). Order: minimum size, version, IHL, total length,
// header checksum (skipped when the NIC verified it), martian source,
// destination, fragment, TTL. Returns the drop counter, or nullopt with out
// filled in.
std::optional<stats::Ctr> parse_ipv4(const uint8_t* p, uint16_t len, const PortIp& port,
                                     bool hw_cksum_good, Ipv4View& out);

// Turns the ICMP echo request in the IPv4 packet at p (validated into v) into
// an echo reply in place: options dropped, addresses swapped, TTL reset, both
// checksums recomputed. Returns the new IP length, or the drop counter.
struct EchoResult {
  std::optional<stats::Ctr> drop;
  uint16_t ip_len = 0;
};
EchoResult icmp_echo_reply(uint8_t* p, const Ipv4View& v);

// ICMP destination unreachable, fragmentation needed (type 3 code 4, RFC
// 1191 4), or ICMPv6 packet too big (RFC 8201 4): what it quotes of one of
// our TCP segments.
struct FragNeeded {
  IpAddr ours, peer;        // the quoted packet's source (ours) and destination
  uint16_t our_port = 0;    // network order
  uint16_t peer_port = 0;   // network order
  uint32_t seq = 0;         // host order: the quoted segment's sequence number
  uint16_t mtu = 0;         // next-hop MTU (0: an RFC 1191-unaware router)
  uint16_t quoted_len = 0;  // the quoted packet's total length
};
// icmp points at an ICMP message of n bytes of type 3 code 4 whose checksum
// is good. Checks the quote (RFC 5927 4: enough of it to find the
// connection; the engine checks the sequence number).
std::optional<stats::Ctr> parse_frag_needed(const uint8_t* icmp, uint16_t n, const PortIp& port,
                                            FragNeeded& out);

inline constexpr uint8_t kDefaultTtl = 64;  // RFC 1700 / Linux default

}  // namespace pmx::net
