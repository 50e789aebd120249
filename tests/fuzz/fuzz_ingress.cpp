// libFuzzer target: any byte string as a received frame through the whole
// layer 2/3 path (Ethernet, ARP, IPv4, ICMP parsers and the in-place
// answers). Invariants checked: no crash or sanitizer report; a dropped frame
// moves exactly one drop counter and an answered one none; answers stay
// inside the buffer and are well formed.
#include "net/arp.hpp"
#include "net/ingress.hpp"
#include "net/ipv4.hpp"

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
  std::vector<uint8_t> frame(data, data + size);  // exact size: ASan sees overreads
  stats::Counters ctr;
  const bool hw_ok = size > 0 && (data[0] & 1);
  net::Outcome o = net::ingress(frame.data(), static_cast<uint16_t>(size), hw_ok, port, ctr);
  const uint64_t d = drops(ctr);
  using K = net::Outcome::Kind;
  if (o.kind == K::Drop && d != 1) std::abort();
  if (o.kind != K::Drop && d != 0) std::abort();
  if ((o.kind == K::Send || o.kind == K::Route) && (o.len > size || o.len < 14)) std::abort();
  if (o.kind == K::Route) {
    // An echo reply: valid IPv4 header and ICMP checksums.
    const uint8_t* ip = frame.data() + 14;
    if (net::inet_checksum(ip, 20) != 0) std::abort();
    if (net::inet_checksum(ip + 20, o.len - 34) != 0) std::abort();
  }
  // A fragmentation needed handed to the engine quotes one of our addresses.
  if (o.kind == K::FragNeeded && !port.is_local(o.frag.ours)) std::abort();
  return 0;
}
