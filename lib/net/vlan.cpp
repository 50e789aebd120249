#include "vlan.hpp"

#include <rte_ether.h>

#include <cstring>

namespace pmx::net {

using stats::Ctr;

namespace {

constexpr uint16_t kMacs = 2 * RTE_ETHER_ADDR_LEN;  // the bytes before the EtherType/TPID
constexpr uint16_t kQinqOld = 0x9100;               // pre-802.1ad S-tag TPID, still in use

uint16_t be16_at(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

bool is_stag(uint16_t type) { return type == RTE_ETHER_TYPE_QINQ || type == kQinqOld; }

}  // namespace

std::optional<Ctr> untag(uint8_t* p, uint16_t len, Untagged& out,
                         std::optional<uint16_t> stripped) {
  out = {};
  if (len < sizeof(rte_ether_hdr)) return std::nullopt;  // ingress() counts it
  const uint16_t type = be16_at(p + kMacs);
  if (is_stag(type)) return Ctr::vlan_qinq;
  if (stripped) {
    if (type == RTE_ETHER_TYPE_VLAN) return Ctr::vlan_qinq;
    const uint16_t vid = *stripped & 0x0fff;
    if (vid > kMaxVlan) return Ctr::vlan_unknown;
    out.vlan = vid;
    return std::nullopt;
  }
  if (type != RTE_ETHER_TYPE_VLAN) return std::nullopt;
  if (len < sizeof(rte_ether_hdr) + kVlanTagLen) return Ctr::vlan_truncated;
  const uint16_t inner = be16_at(p + kMacs + kVlanTagLen);
  if (inner == RTE_ETHER_TYPE_VLAN || is_stag(inner)) return Ctr::vlan_qinq;
  const uint16_t vid = be16_at(p + kMacs + 2) & 0x0fff;  // PCP and DEI ignored
  if (vid > kMaxVlan) return Ctr::vlan_unknown;
  std::memmove(p + kVlanTagLen, p, kMacs);
  out.vlan = vid;
  out.off = kVlanTagLen;
  return std::nullopt;
}

void tag(uint8_t* p, uint16_t vlan) {
  std::memmove(p, p + kVlanTagLen, kMacs);
  p[kMacs] = RTE_ETHER_TYPE_VLAN >> 8;
  p[kMacs + 1] = RTE_ETHER_TYPE_VLAN & 0xff;
  p[kMacs + 2] = static_cast<uint8_t>(vlan >> 8 & 0x0f);
  p[kMacs + 3] = static_cast<uint8_t>(vlan);
}

}  // namespace pmx::net
