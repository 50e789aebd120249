// IEEE 802.1Q tags on the Ethernet layer (docs/architecture.md, "VLANs").
// A frame reaches layer 3 untagged: untag() removes one 802.1Q tag in place
// and reports its VLAN id, tag() puts one back on the way out (the software
// path; a NIC with VLAN strip/insert offload does the same in hardware).
// Free of port I/O, so it runs in unit tests without EAL.
#pragma once

#include "stats/counters.hpp"

#include <cstdint>
#include <optional>

namespace pmx::net {

inline constexpr uint16_t kVlanTagLen = 4;  // TPID and TCI (IEEE 802.1Q 9.3)
inline constexpr uint16_t kMaxVlan = 4094;  // VID 4095 is reserved, 0 is no VLAN

struct Untagged {
  uint16_t vlan = 0;  // 0: untagged or priority-tagged (VID 0)
  uint16_t off = 0;   // bytes the frame now starts after p: 0, or kVlanTagLen
};

// The frame at p (len bytes) as received. With a TPID 0x8100 tag, moves the
// two MAC addresses over the tag (the frame then starts at p + off) and
// gives its VID; a priority tag (VID 0) is removed the same way and the
// frame is untagged. Returns the one drop counter for a tag we do not take:
// vlan_truncated (no room for the tag and an EtherType), vlan_qinq (an
// 802.1ad S-tag, 0x88a8 or 0x9100, or a second 0x8100 tag inside), and
// vlan_unknown for the reserved VID 4095. A frame too short to have an
// EtherType is left to ingress() (eth_too_short).
// stripped: the TCI a NIC with VLAN strip offload took off the frame
// (RTE_MBUF_F_RX_VLAN_STRIPPED, mbuf vlan_tci): its VID is the frame's, and
// a tag still in the data is a second one (vlan_qinq).
std::optional<stats::Ctr> untag(uint8_t* p, uint16_t len, Untagged& out,
                                std::optional<uint16_t> stripped = std::nullopt);

// Inserts an 802.1Q tag for vlan (1..kMaxVlan, priority 0) into the frame
// that starts at p + kVlanTagLen: the frame then starts at p and is
// kVlanTagLen bytes longer.
void tag(uint8_t* p, uint16_t vlan);

}  // namespace pmx::net
