// libFuzzer target: any byte string as a received frame through the whole
// layer 2/3 path (Ethernet, ARP, IPv4, ICMP, IPv6 with its extension
// headers, ICMPv6 and neighbour discovery parsers, and the in-place
// answers). Invariants checked: no crash or sanitizer report; a dropped frame
// moves exactly one drop counter and an answered one none; answers stay
// inside the buffer (the frame, or with the first byte's bit 1 a buffer 64
// bytes longer, as an mbuf's tailroom) and are well formed.
#include "net/arp.hpp"
#include "net/ingress.hpp"
#include "net/ipv4.hpp"
#include "net/ipv6.hpp"
#include "net/nd.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace pmx;

namespace {
net::PortIp make_port() {
  net::PortIp p;
  p.mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 1}};
  p.addrs[0] = *net::parse_ifaddr("198.18.0.1/24");
  p.naddrs = 1;
  p.gateway = *net::parse_ipv4("198.18.0.254");
  p.addrs6[0] = *net::parse_ifaddr6("2001:2::1/64");
  p.naddrs6 = 1;
  p.link_local = net::link_local_from_mac(p.mac);
  p.gateway6 = *net::parse_ipv6("2001:2::fe");
  return p;
}

uint64_t drops(const stats::Counters& c) {
  uint64_t n = 0;
  for (size_t i = 0; i < stats::kNumCounters; ++i)
    if (stats::kCounterInfo[i].drop) n += c.load(i);
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const net::PortIp port = make_port();
  if (size > 9000) return 0;
  // Exact size unless asked: ASan sees overreads past the frame.
  const size_t room = size > 0 && (data[0] & 2) ? size + 64 : size;
  std::vector<uint8_t> frame(data, data + size);
  frame.resize(room);
  stats::Counters ctr;
  const bool hw_ok = size > 0 && (data[0] & 1);
  net::Outcome o = net::ingress(frame.data(), static_cast<uint16_t>(size), hw_ok, port, ctr,
                                static_cast<uint16_t>(room));
  const uint64_t d = drops(ctr);
  using K = net::Outcome::Kind;
  if (o.kind == K::Drop && d != 1) std::abort();
  if (o.kind != K::Drop && d != 0) std::abort();
  if ((o.kind == K::Send || o.kind == K::Route) && (o.len > room || o.len < 14)) std::abort();
  const bool v6 = size >= 14 && frame[12] == 0x86 && frame[13] == 0xdd;
  // An IPv6 answer (echo reply, neighbour advertisement): a whole IPv6
  // header from one of our unicast addresses, its payload length the rest of
  // the frame, a good ICMPv6 checksum.
  if ((o.kind == K::Send || o.kind == K::Route) && v6) {
    if (o.len < 14 + 40 + 8) std::abort();
    const uint8_t* ip = frame.data() + 14;
    net::Ipv6Addr src, dst;
    std::memcpy(src.b.data(), ip + 8, 16);
    std::memcpy(dst.b.data(), ip + 24, 16);
    const uint16_t plen = static_cast<uint16_t>(ip[4] << 8 | ip[5]);
    if ((ip[0] >> 4) != 6 || plen != o.len - 54 || ip[6] != net::kProtoIcmp6) std::abort();
    if (!port.is_local6(src)) std::abort();
    if (net::icmp6_checksum(src, dst, ip + 40, plen) != 0) std::abort();
    const uint8_t type = ip[40];
    if (o.kind == K::Route && (type != net::kIcmp6EchoReply || ip[7] != net::kDefaultHopLimit))
      std::abort();
    if (o.kind == K::Send && (type != net::kNdAdvert || ip[7] != net::kNdHopLimit)) std::abort();
  } else if (o.kind == K::Route) {
    // An echo reply: valid IPv4 header and ICMP checksums.
    const uint8_t* ip = frame.data() + 14;
    if (net::inet_checksum(ip, 20) != 0) std::abort();
    if (net::inet_checksum(ip + 20, o.len - 34) != 0) std::abort();
  }
  // A fragmentation needed or packet too big handed to the engine quotes
  // one of our addresses; an IPv6 MTU is never below 1280 (RFC 8201 4).
  if (o.kind == K::FragNeeded && !port.is_local(o.frag.ours)) std::abort();
  if (o.kind == K::FragNeeded && o.frag.ours.v6 && o.frag.mtu < net::kIpv6MinMtu) std::abort();
  if (o.kind == K::Tcp && size_t{o.l4_off} + o.l4_len > size) std::abort();
  // Nothing learned is a group, nor one of our addresses.
  if (o.learn && (!rte_is_unicast_ether_addr(&o.learn_mac) || port.is_local(o.learn_ip)))
    std::abort();
  if (o.learn && o.learn_ip.v6 && o.learn_ip.v6addr().is_multicast()) std::abort();
  return 0;
}
