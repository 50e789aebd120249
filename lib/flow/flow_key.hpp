// The connection key: the TCP socket pair as seen from our side. Addresses
// and ports are kept in network byte order (as they come off the wire), so a
// key is built from a received header without byte swaps.
//
// Layout (docs/architecture.md, "Flow table"): the first 16 bytes are the
// whole IPv4 key, which the IPv4 table hashes and compares with rte_hash's
// 16-byte fast path; an IPv6 key has v6 set, the IPv4 words zero and the
// addresses in the 32 bytes after them, and the IPv6 table hashes all 48
// (rte_hash's 48-byte compare). One type, two tables: IPv4 flows pay nothing
// for IPv6's longer addresses.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace pmx::flow {

struct FlowKey {
  uint32_t local_ip = 0;     // network order; IPv6: 0
  uint32_t remote_ip = 0;    // network order; IPv6: 0
  uint16_t local_port = 0;   // network order
  uint16_t remote_port = 0;  // network order
  uint16_t port_id = 0;      // interface index (a port, or a VLAN of one): the same
                             // 4-tuple on two interfaces is two flows
  uint16_t v6 = 0;           // 0: IPv4, 1: IPv6 (part of the hashed bytes)
  // IPv6 only (zero for IPv4; never hashed there).
  std::array<uint8_t, 16> local6{};
  std::array<uint8_t, 16> remote6{};

  bool is_v6() const { return v6 != 0; }
  // Bytes of the key the family's table hashes and compares.
  size_t hashed_bytes() const { return v6 ? sizeof(FlowKey) : kV4Bytes; }
  static constexpr size_t kV4Bytes = 16;

  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};
static_assert(sizeof(FlowKey) == 48);

inline constexpr uint32_t kNoFlow = UINT32_MAX;

}  // namespace pmx::flow
