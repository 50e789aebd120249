#include "ipv4.hpp"

#include <rte_icmp.h>

#include <cstring>

namespace pmx::net {

using stats::Ctr;

std::optional<Ctr> parse_ipv4(const uint8_t* p, uint16_t len, const PortIp& port,
                              bool hw_cksum_good, Ipv4View& out) {
  if (len < sizeof(rte_ipv4_hdr)) return Ctr::ipv4_too_short;
  rte_ipv4_hdr h;
  std::memcpy(&h, p, sizeof h);
  if ((h.version_ihl >> 4) != 4) return Ctr::ipv4_bad_version;
  uint16_t hlen = (h.version_ihl & 0xf) * 4;
  if (hlen < sizeof(rte_ipv4_hdr) || hlen > len) return Ctr::ipv4_bad_ihl;
  uint16_t total = rte_be_to_cpu_16(h.total_length);
  if (total < hlen || total > len) return Ctr::ipv4_bad_total_length;
  if (!hw_cksum_good && inet_checksum(p, hlen) != 0) return Ctr::ipv4_bad_checksum;
  Ipv4Addr src{h.src_addr}, dst{h.dst_addr};
  if (src.is_martian_source()) return Ctr::ipv4_martian_source;
  if (!port.is_local(dst)) return Ctr::ipv4_not_for_us;
  // RFC 791: MF set or a non-zero offset marks a fragment. No reassembly.
  if (h.fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
    return Ctr::ipv4_fragment;
  if (h.time_to_live == 0) return Ctr::ipv4_ttl_zero;
  out = Ipv4View{hlen, total, h.next_proto_id, src, dst};
  return std::nullopt;
}

std::optional<Ctr> parse_frag_needed(const uint8_t* icmp, uint16_t n, const PortIp& port,
                                     FragNeeded& out) {
  constexpr uint16_t kIcmp = 8, kTcpQuote = 8;
  if (n < kIcmp + sizeof(rte_ipv4_hdr) + kTcpQuote) return Ctr::icmp_frag_too_short;
  rte_ipv4_hdr q;
  std::memcpy(&q, icmp + kIcmp, sizeof q);
  const uint16_t qhlen = (q.version_ihl & 0xf) * 4;
  if ((q.version_ihl >> 4) != 4 || qhlen < sizeof(rte_ipv4_hdr)) return Ctr::icmp_frag_bad_quote;
  if (n < kIcmp + qhlen + kTcpQuote) return Ctr::icmp_frag_too_short;
  if (q.next_proto_id != IPPROTO_TCP) return Ctr::icmp_frag_not_tcp;
  out.ours = IpAddr::of(Ipv4Addr{q.src_addr});
  out.peer = IpAddr::of(Ipv4Addr{q.dst_addr});
  if (!port.is_local(out.ours)) return Ctr::icmp_frag_not_ours;
  const uint8_t* t = icmp + kIcmp + qhlen;
  std::memcpy(&out.our_port, t, 2);
  std::memcpy(&out.peer_port, t + 2, 2);
  uint32_t seq;
  std::memcpy(&seq, t + 4, 4);
  out.seq = rte_be_to_cpu_32(seq);
  uint16_t mtu;
  std::memcpy(&mtu, icmp + 6, 2);
  out.mtu = rte_be_to_cpu_16(mtu);
  out.quoted_len = rte_be_to_cpu_16(q.total_length);
  return std::nullopt;
}

EchoResult icmp_echo_reply(uint8_t* p, const Ipv4View& v) {
  uint16_t icmp_len = v.total - v.hlen;
  if (icmp_len < sizeof(rte_icmp_hdr)) return {Ctr::icmp_too_short};
  uint8_t* icmp = p + v.hlen;
  if (inet_checksum(icmp, icmp_len) != 0) return {Ctr::icmp_bad_checksum};
  if (icmp[0] != RTE_IP_ICMP_ECHO_REQUEST || icmp[1] != 0) return {Ctr::icmp_unhandled_type};

  // Options are not reflected (none we implement needs it): the ICMP message
  // moves up to a 20-byte header.
  constexpr uint16_t kHlen = sizeof(rte_ipv4_hdr);
  if (v.hlen != kHlen) std::memmove(p + kHlen, icmp, icmp_len);
  icmp = p + kHlen;
  icmp[0] = RTE_IP_ICMP_ECHO_REPLY;
  icmp[2] = icmp[3] = 0;
  uint16_t ck = inet_checksum(icmp, icmp_len);
  std::memcpy(icmp + 2, &ck, 2);

  rte_ipv4_hdr h;
  std::memcpy(&h, p, sizeof h);
  h.version_ihl = RTE_IPV4_VHL_DEF;
  h.type_of_service = 0;
  h.total_length = rte_cpu_to_be_16(kHlen + icmp_len);
  h.fragment_offset = 0;
  h.time_to_live = kDefaultTtl;
  h.src_addr = v.dst.be;
  h.dst_addr = v.src.be;
  h.hdr_checksum = 0;
  h.hdr_checksum = inet_checksum(&h, sizeof h);
  std::memcpy(p, &h, sizeof h);
  return {std::nullopt, static_cast<uint16_t>(kHlen + icmp_len)};
}

}  // namespace pmx::net
