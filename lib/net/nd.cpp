#include "nd.hpp"

#include "ipv6.hpp"

#include <cstring>

namespace pmx::net {

using stats::Ctr;

bool is_solicited_node(const Ipv6Addr& a) {
  static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  return std::memcmp(a.b.data(), kPrefix, sizeof kPrefix) == 0;
}

std::optional<Ctr> parse_nd(const uint8_t* icmp, uint16_t n, const Ipv6Addr& src,
                            const Ipv6Addr& dst, uint8_t hop_limit, NdMessage& out) {
  // RFC 4861 7.1.1 / 7.1.2, in their order. A hop limit of 255 proves the
  // sender is on the link (no router forwarded it).
  if (hop_limit != kNdHopLimit) return Ctr::nd_bad_hop_limit;
  if (icmp[1] != 0) return Ctr::nd_bad_code;
  if (n < kNdMinLen) return Ctr::nd_too_short;
  out = NdMessage{};
  out.type = icmp[0];
  out.flags = icmp[4];
  std::memcpy(out.target.b.data(), icmp + 8, 16);
  // 7.1.1: not multicast; nor :: (RFC 4291 2.5.2: no node's address).
  if (out.target.is_multicast() || out.target.is_zero()) return Ctr::nd_bad_target;
  // Options (4.6): type, length in units of 8 bytes, never 0.
  const uint8_t want = out.type == kNdSolicit ? kNdOptSourceLla : kNdOptTargetLla;
  for (uint16_t i = kNdMinLen; i < n;) {
    if (n - i < 2) return Ctr::nd_truncated_option;
    const uint16_t olen = static_cast<uint16_t>(icmp[i + 1] * 8);
    if (olen == 0) return Ctr::nd_zero_length_option;
    if (olen > n - i) return Ctr::nd_truncated_option;
    if (icmp[i] == want) {
      // 4.6.1: on Ethernet the option is 8 bytes (RFC 2464 8); a group MAC
      // is no neighbour's address.
      if (olen != 8) return Ctr::nd_bad_lla_option;
      std::memcpy(&out.lla, icmp + i + 2, sizeof out.lla);
      if (!rte_is_unicast_ether_addr(&out.lla)) return Ctr::nd_bad_lla_option;
      out.has_lla = true;
    }
    i = static_cast<uint16_t>(i + olen);
  }
  if (out.type == kNdSolicit) {
    // 7.1.1: duplicate address detection probes only (RFC 4862 5.4.2).
    if (src.is_zero() && (!is_solicited_node(dst) || out.has_lla)) return Ctr::nd_bad_dad_solicit;
  } else if (dst.is_multicast() && (out.flags & kNaSolicited)) {
    return Ctr::nd_solicited_multicast;  // 7.1.2
  }
  return std::nullopt;
}

uint16_t write_na(uint8_t* f, const rte_ether_addr& eth_dst, const rte_ether_addr& our_mac,
                  const Ipv6Addr& src, const Ipv6Addr& dst, const Ipv6Addr& target, uint8_t flags,
                  bool tlla) {
  constexpr uint16_t kEth = sizeof(rte_ether_hdr), kIp = sizeof(rte_ipv6_hdr);
  const rte_ether_hdr eth{eth_dst, our_mac, rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)};
  std::memcpy(f, &eth, kEth);
  const uint16_t n = tlla ? kNaLen : kNdMinLen;
  write_ipv6_header(f + kEth, n, kProtoIcmp6, kNdHopLimit, src, dst);
  uint8_t* m = f + kEth + kIp;
  std::memset(m, 0, n);
  m[0] = kNdAdvert;
  m[4] = flags;
  std::memcpy(m + 8, target.b.data(), 16);
  if (tlla) {
    m[24] = kNdOptTargetLla;
    m[25] = 1;
    std::memcpy(m + 26, &our_mac, sizeof our_mac);
  }
  const uint16_t ck = icmp6_checksum(src, dst, m, n);
  std::memcpy(m + 2, &ck, 2);
  return static_cast<uint16_t>(kEth + kIp + n);
}

}  // namespace pmx::net
