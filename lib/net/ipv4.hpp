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

inline constexpr uint8_t kDefaultTtl = 64;  // RFC 1700 / Linux default

}  // namespace pmx::net
