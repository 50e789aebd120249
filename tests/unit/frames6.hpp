// IPv6 frame builders for packet-in/packet-out tests of the layer 2/3 path:
// an IPv6 header, extension headers chained by type, and ICMPv6 messages
// (echo, neighbour solicitation/advertisement, packet too big).
#pragma once

#include "frames.hpp"
#include "net/ipv6.hpp"
#include "net/nd.hpp"

#include <cstring>
#include <vector>

namespace pmx::test {

inline net::Ipv6Addr ip6(const char* s) { return *net::parse_ipv6(s); }

// port_ip() with 2001:2::1/64 and 2001:2:0:5::1/64, the link-local address
// from its MAC (fe80::ff:fe00:1) and a gateway.
inline net::PortIp port_ip6() {
  net::PortIp p = port_ip();
  p.addrs6[0] = *net::parse_ifaddr6("2001:2::1/64");
  p.addrs6[1] = *net::parse_ifaddr6("2001:2:0:5::1/64");
  p.naddrs6 = 2;
  p.link_local = net::link_local_from_mac(p.mac);
  p.gateway6 = ip6("2001:2::fe");
  return p;
}

// One extension header: its type and its bytes after the next-header and
// length bytes (6 for a minimal one; total a multiple of 8). The builder
// fills in the next header and the length (none for a fragment header).
struct Ext {
  uint8_t type;
  std::vector<uint8_t> body;
};
inline constexpr uint8_t kHbh = 0, kRouting = 43, kFragment = 44, kNoNext = 59, kDstOpts = 60;

// Options (a hop-by-hop or destination options header) with PadN filling 6 bytes.
inline Ext padn_opts(uint8_t type) { return {type, {1, 4, 0, 0, 0, 0}}; }
inline Ext routing(uint8_t rtype, uint8_t segs_left) {
  return {kRouting, {rtype, segs_left, 0, 0, 0, 0}};
}
inline Ext fragment(uint16_t off_m) {
  return {kFragment, {static_cast<uint8_t>(off_m >> 8), static_cast<uint8_t>(off_m), 0, 0, 0, 1}};
}

struct V6 {
  net::Ipv6Addr src = ip6("2001:2::2");
  net::Ipv6Addr dst = ip6("2001:2::1");
  uint8_t hop_limit = 64;
  uint8_t version = 6;
  int plen_delta = 0;  // added to the right payload length
  std::vector<Ext> ext{};
  uint8_t proto = net::kProtoIcmp6;  // the upper layer after ext
  std::vector<uint8_t> l4{};         // its bytes; an ICMPv6 checksum is filled in
  bool bad_cksum = false;
  size_t pad = 0;  // bytes of link padding after the packet
  rte_ether_addr eth_dst = mac(1);
  rte_ether_addr eth_src = mac(2);
};

inline std::vector<uint8_t> v6_frame(V6 v) {
  std::vector<uint8_t> exts;
  for (size_t i = 0; i < v.ext.size(); ++i) {
    const uint8_t next = i + 1 < v.ext.size() ? v.ext[i + 1].type : v.proto;
    const size_t total = 2 + v.ext[i].body.size();
    exts.push_back(next);
    exts.push_back(v.ext[i].type == kFragment ? 0 : static_cast<uint8_t>(total / 8 - 1));
    exts.insert(exts.end(), v.ext[i].body.begin(), v.ext[i].body.end());
  }
  if (v.proto == net::kProtoIcmp6 && v.l4.size() >= 4) {
    v.l4[2] = v.l4[3] = 0;
    uint16_t ck =
        net::icmp6_checksum(v.src, v.dst, v.l4.data(), static_cast<uint16_t>(v.l4.size()));
    if (v.bad_cksum) ck ^= 0x1111;
    std::memcpy(&v.l4[2], &ck, 2);
  }
  const size_t plen = exts.size() + v.l4.size();
  std::vector<uint8_t> f(14 + 40 + plen + v.pad);
  const rte_ether_hdr eth{v.eth_dst, v.eth_src, rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)};
  std::memcpy(f.data(), &eth, 14);
  net::write_ipv6_header(f.data() + 14, static_cast<uint16_t>(plen + v.plen_delta),
                         v.ext.empty() ? v.proto : v.ext[0].type, v.hop_limit, v.src, v.dst);
  f[14] = static_cast<uint8_t>(v.version << 4);
  std::memcpy(f.data() + 54, exts.data(), exts.size());
  std::memcpy(f.data() + 54 + exts.size(), v.l4.data(), v.l4.size());
  return f;
}

// ICMPv6 echo request (identifier 0xab00, sequence 1) with payload bytes 0, 1, ...
inline std::vector<uint8_t> echo6(size_t payload = 56, uint8_t type = net::kIcmp6EchoRequest) {
  std::vector<uint8_t> m(8 + payload);
  m[0] = type;
  m[4] = 0xab;
  m[7] = 0x01;
  for (size_t i = 0; i < payload; ++i) m[8 + i] = static_cast<uint8_t>(i);
  return m;
}

// A neighbour solicitation (type 135) or advertisement (136, flags) for
// target, with a link-layer option of type opt (0: none) carrying lla, then
// the raw bytes extra (more options).
inline std::vector<uint8_t> nd_msg(uint8_t type, const net::Ipv6Addr& target, uint8_t opt,
                                   const rte_ether_addr& lla, uint8_t flags = 0,
                                   std::vector<uint8_t> extra = {}) {
  std::vector<uint8_t> m(24);
  m[0] = type;
  m[4] = flags;
  std::memcpy(&m[8], target.b.data(), 16);
  if (opt) {
    m.push_back(opt);
    m.push_back(1);
    m.insert(m.end(), lla.addr_bytes, lla.addr_bytes + 6);
  }
  m.insert(m.end(), extra.begin(), extra.end());
  return m;
}

// A solicitation from 2001:2::2 (MAC 2) to the solicited-node group of target.
inline V6 ns6(const net::Ipv6Addr& target = ip6("2001:2::1")) {
  V6 v;
  v.dst = target.solicited_node();
  v.eth_dst = net::multicast_mac(v.dst);
  v.hop_limit = 255;
  v.l4 = nd_msg(net::kNdSolicit, target, net::kNdOptSourceLla, mac(2));
  return v;
}

// ICMPv6 packet too big (type 2) with mtu, quoting an IPv6/TCP packet
// quoted_src:80 -> quoted_dst:40000 with sequence number seq.
struct Ptb {
  uint32_t mtu = 1400;
  net::Ipv6Addr quoted_src = ip6("2001:2::1");
  net::Ipv6Addr quoted_dst = ip6("2001:2:9::9");
  uint8_t quoted_proto = IPPROTO_TCP;
  uint8_t quoted_version = 6;
  uint16_t quoted_plen = 1460;
  uint32_t seq = 1000;
  size_t tcp_bytes = 8;
};
inline std::vector<uint8_t> ptb6(const Ptb& p) {
  std::vector<uint8_t> m(8 + 40 + p.tcp_bytes);
  m[0] = net::kIcmp6PacketTooBig;
  m[4] = static_cast<uint8_t>(p.mtu >> 24);
  m[5] = static_cast<uint8_t>(p.mtu >> 16);
  m[6] = static_cast<uint8_t>(p.mtu >> 8);
  m[7] = static_cast<uint8_t>(p.mtu);
  net::write_ipv6_header(&m[8], p.quoted_plen, p.quoted_proto, 63, p.quoted_src, p.quoted_dst);
  m[8] = static_cast<uint8_t>(p.quoted_version << 4);
  const uint8_t tcp[8] = {0,
                          80,
                          0x9c,
                          0x40,
                          static_cast<uint8_t>(p.seq >> 24),
                          static_cast<uint8_t>(p.seq >> 16),
                          static_cast<uint8_t>(p.seq >> 8),
                          static_cast<uint8_t>(p.seq)};
  std::memcpy(&m[48], tcp, std::min<size_t>(8, p.tcp_bytes));
  return m;
}

}  // namespace pmx::test
