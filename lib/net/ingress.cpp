#include "ingress.hpp"

#include "arp.hpp"
#include "ipv4.hpp"

#include <cstring>

namespace pmx::net {

using stats::Ctr;
using Kind = Outcome::Kind;

namespace {

Outcome drop(stats::Counters& ctr, Ctr c) {
  ctr.inc(c);
  return {};
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
    return o;
  }
  if (!for_us) {
    ctr.inc(Ctr::arp_not_for_us);
    o.kind = Kind::Drop;  // still merged into an existing entry (RFC 826)
    return o;
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
  if (auto bad = parse_ipv4(ip, len - kEth, port, cksum_good, v)) return drop(ctr, *bad);
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
  if (v.proto != IPPROTO_ICMP) return drop(ctr, Ctr::ipv4_unknown_protocol);
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
  if (r.drop) return drop(ctr, *r.drop);
  ctr.inc(Ctr::icmp_rx_echo_requests);
  std::memcpy(p + offsetof(rte_ether_hdr, src_addr), &port.mac, sizeof port.mac);
  Outcome o;
  o.kind = Kind::Route;
  o.len = static_cast<uint16_t>(kEth + r.ip_len);
  o.dst = IpAddr::of(v.src);
  return o;
}

}  // namespace

Outcome ingress(uint8_t* p, uint16_t len, bool ip_cksum_good, const PortIp& port,
                stats::Counters& ctr) {
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
    default:
      return drop(ctr, Ctr::eth_unknown_type);
  }
}

}  // namespace pmx::net
