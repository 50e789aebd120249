#include "arp.hpp"

#include <cstring>

namespace pmx::net {

using stats::Ctr;

std::optional<Ctr> parse_arp(const uint8_t* p, uint16_t len, ArpView& out) {
  constexpr uint16_t kFixed = 8;  // hrd, pro, hln, pln, op
  if (len < kFixed) return Ctr::arp_truncated;
  rte_arp_hdr h;
  std::memcpy(&h, p, kFixed);
  if (h.arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      h.arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
    return Ctr::arp_bad_type;
  if (h.arp_hlen != RTE_ETHER_ADDR_LEN || h.arp_plen != sizeof(uint32_t))
    return Ctr::arp_bad_length;
  if (len < sizeof(rte_arp_hdr)) return Ctr::arp_truncated;
  std::memcpy(&h, p, sizeof h);
  uint16_t op = rte_be_to_cpu_16(h.arp_opcode);
  if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) return Ctr::arp_bad_op;
  const rte_ether_addr& sha = h.arp_data.arp_sha;
  if (!rte_is_unicast_ether_addr(&sha) || rte_is_zero_ether_addr(&sha)) return Ctr::arp_bad_sender;
  out.op = op;
  out.sha = sha;
  out.spa = Ipv4Addr{h.arp_data.arp_sip};
  out.tpa = Ipv4Addr{h.arp_data.arp_tip};
  return std::nullopt;
}

uint16_t write_arp(uint8_t* buf, uint16_t op, const rte_ether_addr& eth_dst,
                   const rte_ether_addr& sha, Ipv4Addr spa, const rte_ether_addr& tha,
                   Ipv4Addr tpa) {
  rte_ether_hdr eth;
  eth.dst_addr = eth_dst;
  eth.src_addr = sha;
  eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  rte_arp_hdr a;
  a.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  a.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  a.arp_hlen = RTE_ETHER_ADDR_LEN;
  a.arp_plen = sizeof(uint32_t);
  a.arp_opcode = rte_cpu_to_be_16(op);
  a.arp_data.arp_sha = sha;
  a.arp_data.arp_sip = spa.be;
  a.arp_data.arp_tha = tha;
  a.arp_data.arp_tip = tpa.be;
  std::memcpy(buf, &eth, sizeof eth);
  std::memcpy(buf + sizeof eth, &a, sizeof a);
  return kArpFrameLen;
}

}  // namespace pmx::net
