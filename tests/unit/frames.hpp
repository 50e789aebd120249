// Frame builders for packet-in/packet-out tests of the layer 2/3 path.
#pragma once

#include "net/addr.hpp"
#include "net/arp.hpp"
#include "net/ipv4.hpp"

#include <rte_icmp.h>

#include <cstring>
#include <vector>

namespace pmx::test {

inline net::Ipv4Addr ip(const char* s) { return *net::parse_ipv4(s); }

inline rte_ether_addr mac(uint8_t last) {
  return rte_ether_addr{{0x02, 0x00, 0x00, 0x00, 0x00, last}};
}

inline net::PortIp port_ip() {
  net::PortIp p;
  p.mac = mac(1);
  p.addrs[0] = *net::parse_ifaddr("198.18.0.1/24");
  p.addrs[1] = *net::parse_ifaddr("198.19.5.1/16");
  p.naddrs = 2;
  p.gateway = ip("198.18.0.254");
  return p;
}

// Fields of an ICMP echo request that tests override.
struct Echo {
  net::Ipv4Addr src = ip("198.18.0.2");
  net::Ipv4Addr dst = ip("198.18.0.1");
  uint8_t ttl = 64;
  uint8_t version_ihl = 0x45;
  uint16_t frag = 0;    // host order, flags included
  int total_delta = 0;  // added to the right total length
  bool bad_ip_cksum = false;
  bool bad_icmp_cksum = false;
  uint8_t icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
  size_t payload = 56;
  size_t options = 0;  // bytes of IP options (multiple of 4)
  rte_ether_addr eth_dst = mac(1);
};

inline std::vector<uint8_t> echo_frame(const Echo& e) {
  const size_t hlen = 20 + e.options;
  const size_t icmp_len = 8 + e.payload;
  std::vector<uint8_t> f(14 + hlen + icmp_len);
  rte_ether_hdr eth{e.eth_dst, mac(2), rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)};
  std::memcpy(f.data(), &eth, 14);
  uint8_t* ipb = f.data() + 14;
  rte_ipv4_hdr h{};
  h.version_ihl = e.version_ihl == 0x45 ? static_cast<uint8_t>(0x40 | (hlen / 4)) : e.version_ihl;
  h.total_length = rte_cpu_to_be_16(static_cast<uint16_t>(hlen + icmp_len + e.total_delta));
  h.packet_id = rte_cpu_to_be_16(0x1234);
  h.fragment_offset = rte_cpu_to_be_16(e.frag);
  h.time_to_live = e.ttl;
  h.next_proto_id = IPPROTO_ICMP;
  h.src_addr = e.src.be;
  h.dst_addr = e.dst.be;
  std::memcpy(ipb, &h, 20);
  std::memset(ipb + 20, 1, e.options);  // NOP options
  uint16_t ck = net::inet_checksum(ipb, hlen);
  if (e.bad_ip_cksum) ck ^= 0x5555;
  std::memcpy(ipb + 10, &ck, 2);
  uint8_t* icmp = ipb + hlen;
  icmp[0] = e.icmp_type;
  icmp[4] = 0xab;  // identifier
  icmp[6] = 0x01;  // sequence
  for (size_t i = 0; i < e.payload; ++i) icmp[8 + i] = static_cast<uint8_t>(i);
  ck = net::inet_checksum(icmp, icmp_len);
  if (e.bad_icmp_cksum) ck ^= 0x1111;
  std::memcpy(icmp + 2, &ck, 2);
  return f;
}

// ICMP fragmentation needed (type 3 code 4) from a router at 198.18.0.2,
// quoting one of our TCP segments (198.18.0.1:80 -> peer:40000).
struct Frag {
  uint16_t mtu = 1280;
  net::Ipv4Addr quoted_src = ip("198.18.0.1");
  net::Ipv4Addr quoted_dst = ip("198.18.0.9");
  uint8_t quoted_proto = IPPROTO_TCP;
  uint8_t quoted_vihl = 0x45;
  uint16_t quoted_len = 1500;
  uint32_t seq = 1000;
  size_t tcp_bytes = 8;  // of the quoted TCP header
  uint8_t code = 4;
};

inline std::vector<uint8_t> frag_frame(const Frag& fr) {
  std::vector<uint8_t> q(20 + fr.tcp_bytes);
  rte_ipv4_hdr qh{};
  qh.version_ihl = fr.quoted_vihl;
  qh.total_length = rte_cpu_to_be_16(fr.quoted_len);
  qh.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  qh.time_to_live = 63;
  qh.next_proto_id = fr.quoted_proto;
  qh.src_addr = fr.quoted_src.be;
  qh.dst_addr = fr.quoted_dst.be;
  std::memcpy(q.data(), &qh, 20);
  const uint8_t tcp[8] = {0,
                          80,
                          0x9c,
                          0x40,
                          static_cast<uint8_t>(fr.seq >> 24),
                          static_cast<uint8_t>(fr.seq >> 16),
                          static_cast<uint8_t>(fr.seq >> 8),
                          static_cast<uint8_t>(fr.seq)};
  std::memcpy(q.data() + 20, tcp, std::min<size_t>(8, fr.tcp_bytes));
  std::vector<uint8_t> f = echo_frame({.icmp_type = 3, .payload = q.size()});
  uint8_t* icmp = f.data() + 14 + 20;
  icmp[1] = fr.code;
  icmp[4] = icmp[5] = 0;
  icmp[6] = static_cast<uint8_t>(fr.mtu >> 8);
  icmp[7] = static_cast<uint8_t>(fr.mtu);
  std::memcpy(icmp + 8, q.data(), q.size());
  icmp[2] = icmp[3] = 0;
  const uint16_t ck = net::inet_checksum(icmp, 8 + q.size());
  std::memcpy(icmp + 2, &ck, 2);
  return f;
}

struct Arp {
  uint16_t op = RTE_ARP_OP_REQUEST;
  rte_ether_addr sha = mac(2);
  net::Ipv4Addr spa = ip("198.18.0.2");
  net::Ipv4Addr tpa = ip("198.18.0.1");
  uint8_t hlen = 6, plen = 4;
  uint16_t htype = RTE_ARP_HRD_ETHER;
  size_t truncate_to = 0;  // frame length, 0: whole
};

inline std::vector<uint8_t> arp_frame(const Arp& a) {
  std::vector<uint8_t> f(net::kArpFrameLen);
  rte_ether_addr bcast;
  std::memset(&bcast, 0xff, sizeof bcast);
  net::write_arp(f.data(), a.op, bcast, a.sha, a.spa, rte_ether_addr{}, a.tpa);
  rte_arp_hdr h;
  std::memcpy(&h, f.data() + 14, sizeof h);
  h.arp_hlen = a.hlen;
  h.arp_plen = a.plen;
  h.arp_hardware = rte_cpu_to_be_16(a.htype);
  std::memcpy(f.data() + 14, &h, sizeof h);
  if (a.truncate_to) f.resize(a.truncate_to);
  return f;
}

}  // namespace pmx::test
