#include "ipv6.hpp"

#include "nd.hpp"

#include <cstring>

namespace pmx::net {

using stats::Ctr;

namespace {

constexpr uint16_t kHdr = sizeof(rte_ipv6_hdr);  // 40
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kNoNext = 59, kDestOpts = 60;

bool is_ext_header(uint8_t nh) {
  return nh == kHopByHop || nh == kRouting || nh == kFragment || nh == kDestOpts;
}

// The options of a hop-by-hop or destination options header h of hlen bytes
// (RFC 8200 4.2): TLVs from byte 2 to the end, Pad1 a lone zero byte. An
// option whose type's top two bits are not 00 is one we do not know (we
// know only the pads, and the router alert, 00, concerns routers): 01
// discards silently, 10 and 11 discard and may send a parameter problem,
// which we do not.
std::optional<Ctr> walk_options(const uint8_t* h, uint16_t hlen) {
  for (uint16_t i = 2; i < hlen;) {
    const uint8_t type = h[i];
    if (type == 0) {  // Pad1
      ++i;
      continue;
    }
    if (i + 2 > hlen || i + 2 + h[i + 1] > hlen) return Ctr::ipv6_ext_truncated;
    if (type >> 6) return Ctr::ipv6_unknown_option;
    i = static_cast<uint16_t>(i + 2 + h[i + 1]);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Ctr> parse_ipv6(const uint8_t* p, uint16_t len, const PortIp& port, Ipv6View& out) {
  if (len < kHdr) return Ctr::ipv6_too_short;
  rte_ipv6_hdr h;
  std::memcpy(&h, p, sizeof h);
  if ((p[0] >> 4) != 6) return Ctr::ipv6_bad_version;
  // RFC 8200 3: the payload follows the header; bytes after it are link
  // padding. No jumbograms (RFC 2675): a zero payload length is empty.
  const uint16_t plen = rte_be_to_cpu_16(h.payload_len);
  if (plen > len - kHdr) return Ctr::ipv6_bad_payload_length;
  Ipv6Addr src, dst;
  std::memcpy(src.b.data(), h.src_addr, 16);
  std::memcpy(dst.b.data(), h.dst_addr, 16);
  if (src.is_multicast()) return Ctr::ipv6_multicast_source;  // RFC 4291 2.7
  // :: is never a destination (RFC 4291 2.5.2), and a port without IPv6 (no
  // link-local address yet, when PortIp::is_local6 would take ::) has no
  // groups and no addresses.
  const bool group = dst.is_multicast();
  if (dst.is_zero() || port.link_local.is_zero()) return Ctr::ipv6_not_for_us;
  // A group we did not join is the link's background (other hosts' MLD
  // reports to ff02::16 and solicited-node groups), not an error: counted
  // apart so that it does not hide unicast that is not ours.
  if (group && !port.is_our_group(dst)) return Ctr::ipv6_group_not_joined;
  if (!group && !port.is_local6(dst)) return Ctr::ipv6_not_for_us;

  // The extension-header chain (RFC 8200 4), at most kMaxExtHeaders long;
  // each header's length is checked against the payload before it is read.
  const uint8_t* pl = p + kHdr;
  uint16_t off = 0;
  uint8_t next = h.proto;
  for (unsigned n = 0; next != IPPROTO_TCP && next != kProtoIcmp6; ++n) {
    if (!is_ext_header(next))
      return next == kNoNext ? Ctr::ipv6_no_next_header : Ctr::ipv6_unknown_next_header;
    if (n == kMaxExtHeaders) return Ctr::ipv6_ext_chain_too_long;
    if (plen - off < 8) return Ctr::ipv6_ext_truncated;
    const uint8_t* e = pl + off;
    // Fragment headers are 8 bytes; the others give their length in 8-byte
    // units, not counting the first 8.
    const uint16_t elen = next == kFragment ? 8 : static_cast<uint16_t>((e[1] + 1) * 8);
    if (elen > plen - off) return Ctr::ipv6_ext_truncated;
    switch (next) {
      case kHopByHop:
        if (n != 0) return Ctr::ipv6_hbh_not_first;  // 4.1: only right after the header
        [[fallthrough]];
      case kDestOpts:
        if (auto bad = walk_options(e, elen)) return bad;
        break;
      case kRouting:
        // 4.4: with segments left 0 the header is ignored; otherwise the
        // packet would be forwarded, which we do not do. Type 0 is
        // deprecated (RFC 5095 3) and counted on its own.
        if (e[3] != 0) return e[2] == 0 ? Ctr::ipv6_routing_type0 : Ctr::ipv6_routing_segments_left;
        break;
      case kFragment:
        // 4.5: offset (13 bits), 2 reserved bits, M. No reassembly; an
        // atomic fragment (offset 0, M 0) is a whole packet (RFC 6946 4).
        if (((e[2] << 8 | e[3]) & 0xfff9) != 0) return Ctr::ipv6_fragment;
        break;
    }
    next = e[0];
    off = static_cast<uint16_t>(off + elen);
  }
  const uint16_t l4_len = static_cast<uint16_t>(plen - off);
  // Only ICMPv6 (echo, neighbour discovery) is received on our groups.
  if (group && next != kProtoIcmp6) return Ctr::ipv6_not_for_us;
  // RFC 4861 7.1.1 and RFC 4862 5.4.2: only a duplicate address detection
  // solicitation comes from the unspecified address.
  if (src.is_zero() && !(next == kProtoIcmp6 && l4_len >= 1 && pl[off] == kNdSolicit))
    return Ctr::ipv6_unspecified_source;
  out.src = src;
  out.dst = dst;
  out.proto = next;
  out.hop_limit = h.hop_limits;
  out.l4_off = static_cast<uint16_t>(kHdr + off);
  out.l4_len = l4_len;
  return std::nullopt;
}

uint16_t icmp6_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, const uint8_t* icmp, uint16_t n) {
  const uint64_t s = csum_pseudo6(src.b.data(), dst.b.data(), kProtoIcmp6, n);
  return static_cast<uint16_t>(~csum_fold(csum_partial(icmp, n, s)));
}

void write_ipv6_header(uint8_t* p, uint16_t payload_len, uint8_t proto, uint8_t hop_limit,
                       const Ipv6Addr& src, const Ipv6Addr& dst) {
  rte_ipv6_hdr h{};
  h.vtc_flow = rte_cpu_to_be_32(6u << 28);
  h.payload_len = rte_cpu_to_be_16(payload_len);
  h.proto = proto;
  h.hop_limits = hop_limit;
  std::memcpy(h.src_addr, src.b.data(), 16);
  std::memcpy(h.dst_addr, dst.b.data(), 16);
  std::memcpy(p, &h, sizeof h);
}

uint16_t icmp6_echo_reply(uint8_t* p, const Ipv6View& v, const PortIp& port) {
  uint8_t* icmp = p + kHdr;
  if (v.l4_off != kHdr) std::memmove(icmp, p + v.l4_off, v.l4_len);
  // RFC 4443 4.2: to a multicast request, from a unicast address of ours.
  const Ipv6Addr src = v.dst.is_multicast() ? port.source_for6(v.src) : v.dst;
  icmp[0] = kIcmp6EchoReply;
  icmp[2] = icmp[3] = 0;
  const uint16_t ck = icmp6_checksum(src, v.src, icmp, v.l4_len);
  std::memcpy(icmp + 2, &ck, 2);
  write_ipv6_header(p, v.l4_len, kProtoIcmp6, kDefaultHopLimit, src, v.src);
  return static_cast<uint16_t>(kHdr + v.l4_len);
}

std::optional<Ctr> parse_packet_too_big(const uint8_t* icmp, uint16_t n, const PortIp& port,
                                        FragNeeded& out) {
  constexpr uint16_t kIcmp = 8, kTcpQuote = 8;
  if (n < kIcmp + kHdr + kTcpQuote) return Ctr::icmp6_ptb_too_short;
  rte_ipv6_hdr q;
  std::memcpy(&q, icmp + kIcmp, sizeof q);
  if ((icmp[kIcmp] >> 4) != 6) return Ctr::icmp6_ptb_bad_quote;
  // Our TCP segments carry no extension headers: TCP follows directly.
  if (q.proto != IPPROTO_TCP) return Ctr::icmp6_ptb_not_tcp;
  Ipv6Addr ours, peer;
  std::memcpy(ours.b.data(), q.src_addr, 16);
  std::memcpy(peer.b.data(), q.dst_addr, 16);
  if (ours.is_zero() || !port.is_local6(ours)) return Ctr::icmp6_ptb_not_ours;
  out.ours = ours;
  out.peer = peer;
  const uint8_t* t = icmp + kIcmp + kHdr;
  std::memcpy(&out.our_port, t, 2);
  std::memcpy(&out.peer_port, t + 2, 2);
  uint32_t seq, mtu;
  std::memcpy(&seq, t + 4, 4);
  out.seq = rte_be_to_cpu_32(seq);
  std::memcpy(&mtu, icmp + 4, 4);
  mtu = rte_be_to_cpu_32(mtu);
  // RFC 8201 4: never below the IPv6 minimum link MTU.
  out.mtu = static_cast<uint16_t>(mtu < kIpv6MinMtu ? kIpv6MinMtu : mtu > 0xffff ? 0xffff : mtu);
  const uint32_t quoted = kHdr + rte_be_to_cpu_16(q.payload_len);
  out.quoted_len = static_cast<uint16_t>(quoted > 0xffff ? 0xffff : quoted);
  return std::nullopt;
}

}  // namespace pmx::net
