#include "nd_build.hpp"

#include "checksum.hpp"
#include "ipv6.hpp"

#include <rte_byteorder.h>

#include <cstring>

namespace pmx::net {

namespace {

// Writes Ethernet, IPv6 and the ICMPv6 ND message (type, flags byte, target,
// and an LLA option of opt_type unless 0) at buf; fills the ICMPv6 checksum
// (RFC 4443 2.3 over the RFC 8200 8.1 pseudo-header). Returns the length.
uint16_t write_nd(uint8_t* buf, const rte_ether_addr& eth_dst, const rte_ether_addr& our_mac,
                  const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t type, uint8_t flags,
                  const Ipv6Addr& target, uint8_t opt_type) {
  const uint16_t icmp_len = opt_type ? 32 : 24;
  std::memcpy(buf, eth_dst.addr_bytes, 6);
  std::memcpy(buf + 6, our_mac.addr_bytes, 6);
  buf[12] = 0x86;
  buf[13] = 0xdd;
  uint8_t* ip = buf + 14;
  ip[0] = 0x60;  // version 6, traffic class 0, flow label 0
  ip[1] = ip[2] = ip[3] = 0;
  ip[4] = static_cast<uint8_t>(icmp_len >> 8);
  ip[5] = static_cast<uint8_t>(icmp_len);
  ip[6] = kProtoIcmp6;
  ip[7] = kNdHopLimit;
  std::memcpy(ip + 8, src.b.data(), 16);
  std::memcpy(ip + 24, dst.b.data(), 16);
  uint8_t* icmp = ip + 40;
  std::memset(icmp, 0, icmp_len);
  icmp[0] = type;
  icmp[4] = flags;
  std::memcpy(icmp + 8, target.b.data(), 16);
  if (opt_type) {
    icmp[24] = opt_type;
    icmp[25] = 1;  // length in units of 8 bytes
    std::memcpy(icmp + 26, our_mac.addr_bytes, 6);
  }
  uint64_t s = csum_pseudo6(src.b.data(), dst.b.data(), kProtoIcmp6, icmp_len);
  const uint16_t c = static_cast<uint16_t>(~csum_fold(csum_partial(icmp, icmp_len, s)));
  std::memcpy(icmp + 2, &c, 2);  // in the data's order (checksum.hpp)
  return static_cast<uint16_t>(14 + 40 + icmp_len);
}

}  // namespace

uint16_t write_ns(uint8_t* buf, const rte_ether_addr& eth_dst, const rte_ether_addr& our_mac,
                  const Ipv6Addr& src, const Ipv6Addr& dst, const Ipv6Addr& target) {
  return write_nd(buf, eth_dst, our_mac, src, dst, kNdSolicit, 0, target, kNdOptSourceLla);
}

uint16_t write_ns_dad(uint8_t* buf, const rte_ether_addr& our_mac, const Ipv6Addr& tentative) {
  const Ipv6Addr g = tentative.solicited_node();
  return write_nd(buf, multicast_mac(g), our_mac, Ipv6Addr{}, g, kNdSolicit, 0, tentative, 0);
}

uint16_t write_unsolicited_na(uint8_t* buf, const rte_ether_addr& our_mac, const Ipv6Addr& addr) {
  const Ipv6Addr all = Ipv6Addr::all_nodes();
  return write_nd(buf, multicast_mac(all), our_mac, addr, all, kNdAdvert, kNaOverride, addr,
                  kNdOptTargetLla);
}

int dad_conflict(const uint8_t* f, uint16_t len, const rte_ether_addr& our_mac,
                 const Ipv6Addr* tentative, size_t n) {
  if (len < kNsDadFrameLen || f[12] != 0x86 || f[13] != 0xdd) return -1;
  if (std::memcmp(f + 6, our_mac.addr_bytes, 6) == 0) return -1;
  const uint8_t* ip = f + 14;
  const uint16_t plen = static_cast<uint16_t>(ip[4] << 8 | ip[5]);
  if ((ip[0] >> 4) != 6 || ip[6] != kProtoIcmp6 || ip[7] != kNdHopLimit) return -1;
  if (plen < 24 || plen > len - 54) return -1;
  const uint8_t* icmp = ip + 40;
  const uint8_t type = icmp[0];
  if ((type != kNdSolicit && type != kNdAdvert) || icmp[1] != 0) return -1;
  if (csum_fold(csum_partial(icmp, plen, csum_pseudo6(ip + 8, ip + 24, kProtoIcmp6, plen))) !=
      0xffff)
    return -1;
  Ipv6Addr src, target;
  std::memcpy(src.b.data(), ip + 8, 16);
  std::memcpy(target.b.data(), icmp + 8, 16);
  if (type == kNdSolicit && !src.is_zero()) return -1;  // resolution, not DAD
  for (size_t i = 0; i < n; ++i)
    if (tentative[i] == target) return static_cast<int>(i);
  return -1;
}

}  // namespace pmx::net
