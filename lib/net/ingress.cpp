#include "ingress.hpp"

#include "arp.hpp"
#include "ipv4.hpp"
#include "ipv6.hpp"
#include "nd.hpp"

#include <cstring>

namespace pmx::net {

using stats::Ctr;
using Kind = Outcome::Kind;

namespace {

Outcome drop(stats::Counters& ctr, Ctr c) {
  ctr.inc(c);
  return {};
}

// A frame portmux does not consume: up to the kernel (counted as up_why) if
// the interface has a kernel port, else dropped as why.
Outcome not_ours(stats::Counters& ctr, const PortIp& port, Ctr why, Ctr up_why) {
  if (!port.kernel) return drop(ctr, why);
  ctr.inc(up_why);
  Outcome o;
  o.kind = Kind::Kernel;
  return o;
}

// RFC 826 "Packet reception", for Ethernet/IPv4 only.
Outcome arp_input(uint8_t* p, uint16_t len, const PortIp& port, stats::Counters& ctr) {
  constexpr uint16_t kEth = sizeof(rte_ether_hdr);
  ArpView a;
  if (auto bad = parse_arp(p + kEth, len - kEth, a)) return drop(ctr, *bad);
  if (port.is_local(a.spa)) return drop(ctr, Ctr::arp_bad_sender);  // conflict or loop

  const bool for_us = port.is_local(a.tpa);
  Outcome o;
  o.learn = !a.spa.is_zero();  // RFC 5227 probes carry SPA 0: nothing to learn
  o.learn_create = for_us;
  o.learn_ip = IpAddr::of(a.spa);
  o.learn_mac = a.sha;
  if (a.op == RTE_ARP_OP_REPLY) {
    ctr.inc(Ctr::arp_rx_replies);
    o.kind = Kind::Consumed;
    o.copy_to_kernel = port.kernel;  // the kernel's own requests are answered so
    if (port.kernel) ctr.inc(Ctr::kernel_up_arp);
    return o;
  }
  if (!for_us) {
    // Still merged into an existing entry (RFC 826); a request for an
    // address the kernel may have goes up to it.
    Outcome k = not_ours(ctr, port, Ctr::arp_not_for_us, Ctr::kernel_up_arp);
    k.learn = o.learn;
    k.learn_create = false;
    k.learn_ip = o.learn_ip;
    k.learn_mac = o.learn_mac;
    return k;
  }
  ctr.inc(Ctr::arp_rx_requests);
  o.len = write_arp(p, RTE_ARP_OP_REPLY, a.sha, port.mac, a.tpa, a.sha, a.spa);
  o.kind = Kind::Send;
  ctr.inc(Ctr::arp_tx_replies);
  return o;
}

Outcome ipv4_input(uint8_t* p, uint16_t len, bool cksum_good, const PortIp& port,
                   stats::Counters& ctr) {
  constexpr uint16_t kEth = sizeof(rte_ether_hdr);
  uint8_t* ip = p + kEth;
  Ipv4View v;
  if (auto bad = parse_ipv4(ip, len - kEth, port, cksum_good, v)) {
    if (*bad == Ctr::ipv4_not_for_us) return not_ours(ctr, port, *bad, Ctr::kernel_up_ip);
    return drop(ctr, *bad);
  }
  ctr.inc(Ctr::ipv4_rx_delivered);
  if (v.proto == IPPROTO_TCP) {
    Outcome o;
    o.kind = Kind::Tcp;
    o.src = IpAddr::of(v.src);
    o.dst = IpAddr::of(v.dst);
    o.l4_off = static_cast<uint16_t>(kEth + v.hlen);
    o.l4_len = static_cast<uint16_t>(v.total - v.hlen);
    return o;
  }
  if (v.proto != IPPROTO_ICMP)
    return not_ours(ctr, port, Ctr::ipv4_unknown_protocol, Ctr::kernel_up_proto);
  const uint16_t icmp_len = static_cast<uint16_t>(v.total - v.hlen);
  const uint8_t* icmp = ip + v.hlen;
  if (icmp_len >= 8 && icmp[0] == 3 && icmp[1] == 4) {  // RFC 792: unreachable, DF set
    if (inet_checksum(icmp, icmp_len) != 0) return drop(ctr, Ctr::icmp_bad_checksum);
    Outcome o;
    if (auto bad = parse_frag_needed(icmp, icmp_len, port, o.frag)) return drop(ctr, *bad);
    ctr.inc(Ctr::icmp_rx_frag_needed);
    o.kind = Kind::FragNeeded;
    return o;
  }

  auto r = icmp_echo_reply(ip, v);
  if (r.drop && *r.drop == Ctr::icmp_unhandled_type)  // replies to the kernel's pings, ...
    return not_ours(ctr, port, *r.drop, Ctr::kernel_up_icmp);
  if (r.drop) return drop(ctr, *r.drop);
  ctr.inc(Ctr::icmp_rx_echo_requests);
  std::memcpy(p + offsetof(rte_ether_hdr, src_addr), &port.mac, sizeof port.mac);
  Outcome o;
  o.kind = Kind::Route;
  o.len = static_cast<uint16_t>(kEth + r.ip_len);
  o.dst = IpAddr::of(v.src);
  return o;
}

// RFC 4861 7.2.3-7.2.5 for the message parse_nd validated: a solicitation
// for one of our addresses becomes a solicited advertisement in place, an
// advertisement is learned. v is the IPv6 view of the frame at p.
Outcome nd_input(uint8_t* p, uint16_t room, const Ipv6View& v, const PortIp& port,
                 stats::Counters& ctr) {
  constexpr uint16_t kEth = sizeof(rte_ether_hdr);
  const uint8_t* icmp = p + kEth + v.l4_off;
  NdMessage m;
  if (auto bad = parse_nd(icmp, v.l4_len, v.src, v.dst, v.hop_limit, m)) return drop(ctr, *bad);
  Outcome o;
  if (m.type == kNdAdvert) {
    // RFC 4862 5.4.4: another node advertises one of our addresses.
    if (port.is_local6(m.target)) return drop(ctr, Ctr::nd_dad_conflict);
    ctr.inc(Ctr::nd_rx_adverts);
    // 7.2.5: an advertisement updates an entry that exists (the one an
    // outstanding solicitation made); it creates none.
    o.learn = m.has_lla;
    o.learn_ip = m.target;
    o.learn_mac = m.lla;
    o.kind = Kind::Consumed;
    return o;
  }
  const bool dad = v.src.is_zero();
  if (!dad && port.is_local6(v.src)) return drop(ctr, Ctr::nd_dad_conflict);  // our address, not us
  if (!port.is_local6(m.target)) return drop(ctr, Ctr::nd_not_for_us);        // 7.2.3
  // 7.2.4: a multicast solicitation must get the target link-layer option;
  // to a unicast one it may be left out when it does not fit.
  const bool tlla = kEth + sizeof(rte_ipv6_hdr) + kNaLen <= room;
  if (!tlla && v.dst.is_multicast()) return drop(ctr, Ctr::nd_no_room);
  ctr.inc(Ctr::nd_rx_solicits);
  if (dad) ctr.inc(Ctr::nd_dad_defended);
  // 7.2.3: the sender's link-layer address creates or updates its entry
  // (STALE); a probe from :: has none.
  o.learn = !dad && m.has_lla;
  o.learn_create = true;
  o.learn_ip = v.src;
  o.learn_mac = m.lla;
  // 7.2.4: to the solicitation's source, solicited and override; a probe
  // from :: is answered to all-nodes without the solicited flag (RFC 4862
  // 5.4.3). The Ethernet destination is the source link-layer option, else
  // the frame's own source (a unicast solicitation may omit the option).
  rte_ether_addr eth_dst;
  std::memcpy(&eth_dst, p + offsetof(rte_ether_hdr, src_addr), sizeof eth_dst);
  if (m.has_lla) eth_dst = m.lla;
  const Ipv6Addr to = dad ? Ipv6Addr::all_nodes() : v.src;
  if (dad) eth_dst = multicast_mac(to);
  const uint8_t flags = dad ? kNaOverride : kNaSolicited | kNaOverride;
  o.len = write_na(p, eth_dst, port.mac, m.target, to, m.target, flags, tlla);
  o.kind = Kind::Send;
  ctr.inc(Ctr::nd_tx_adverts);
  return o;
}

Outcome ipv6_input(uint8_t* p, uint16_t len, uint16_t room, const PortIp& port,
                   stats::Counters& ctr) {
  constexpr uint16_t kEth = sizeof(rte_ether_hdr);
  uint8_t* ip = p + kEth;
  Ipv6View v;
  if (auto bad = parse_ipv6(ip, len - kEth, port, v)) return drop(ctr, *bad);
  ctr.inc(Ctr::ipv6_rx_delivered);
  Outcome o;
  if (v.proto == IPPROTO_TCP) {
    o.kind = Kind::Tcp;
    o.src = v.src;
    o.dst = v.dst;
    o.l4_off = static_cast<uint16_t>(kEth + v.l4_off);
    o.l4_len = v.l4_len;
    return o;
  }
  // ICMPv6 (RFC 4443 2.4): checksum first, then by type.
  const uint8_t* icmp = ip + v.l4_off;
  if (v.l4_len < 8) return drop(ctr, Ctr::icmp6_too_short);
  if (icmp6_checksum(v.src, v.dst, icmp, v.l4_len) != 0) return drop(ctr, Ctr::icmp6_bad_checksum);
  switch (icmp[0]) {
    case kIcmp6EchoRequest:
      if (icmp[1] != 0) return drop(ctr, Ctr::icmp6_unhandled_type);
      ctr.inc(Ctr::icmp6_rx_echo_requests);
      std::memcpy(p + offsetof(rte_ether_hdr, src_addr), &port.mac, sizeof port.mac);
      o.len = static_cast<uint16_t>(kEth + icmp6_echo_reply(ip, v, port));
      o.kind = Kind::Route;
      o.dst = v.src;
      return o;
    case kIcmp6PacketTooBig:
      if (auto bad = parse_packet_too_big(icmp, v.l4_len, port, o.frag)) return drop(ctr, *bad);
      ctr.inc(Ctr::icmp6_rx_packet_too_big);
      o.kind = Kind::FragNeeded;
      return o;
    case kNdSolicit:
    case kNdAdvert:
      return nd_input(p, room, v, port, ctr);
    case 1:  // destination unreachable (RFC 4443 3.1)
    case 3:  // time exceeded
    case 4:  // parameter problem
    case kIcmp6EchoReply:
    case 130:  // multicast listener query, report, done (RFC 2710, RFC 3810)
    case 131:
    case 132:
    case 143:
    case 133:  // router solicitation, advertisement, redirect (RFC 4861 4):
    case 134:  // a host with static addresses and gateway acts on none
    case 137:
      ctr.inc(Ctr::icmp6_rx_ignored);
      o.kind = Kind::Consumed;
      return o;
    default:  // 2.4 (b): unknown informational messages are discarded
      return drop(ctr, Ctr::icmp6_unhandled_type);
  }
}

}  // namespace

Outcome ingress(uint8_t* p, uint16_t len, bool ip_cksum_good, const PortIp& port,
                stats::Counters& ctr, uint16_t room) {
  if (len < sizeof(rte_ether_hdr)) return drop(ctr, Ctr::eth_too_short);
  rte_ether_hdr eth;
  std::memcpy(&eth, p, sizeof eth);
  // Multicast (and broadcast) frames pass; layer 3 decides whether they are ours.
  if (rte_is_unicast_ether_addr(&eth.dst_addr) && !rte_is_same_ether_addr(&eth.dst_addr, &port.mac))
    return drop(ctr, Ctr::eth_not_for_us);
  switch (eth.ether_type) {
    case RTE_BE16(RTE_ETHER_TYPE_IPV4):
      return ipv4_input(p, len, ip_cksum_good, port, ctr);
    case RTE_BE16(RTE_ETHER_TYPE_ARP):
      return arp_input(p, len, port, ctr);
    case RTE_BE16(RTE_ETHER_TYPE_IPV6):
      return ipv6_input(p, len, room > len ? room : len, port, ctr);
    default:
      return drop(ctr, Ctr::eth_unknown_type);
  }
}

}  // namespace pmx::net
