// The connection key: the TCP socket pair as seen from our side, exactly 16
// bytes so rte_hash compares it with its 16-byte fast path. Addresses and
// ports are kept in network byte order (as they come off the wire), so a key
// is built from a received header without byte swaps.
#pragma once

#include <cstdint>
#include <cstring>

namespace pmx::flow {

struct FlowKey {
  uint32_t local_ip = 0;     // network order
  uint32_t remote_ip = 0;    // network order
  uint16_t local_port = 0;   // network order
  uint16_t remote_port = 0;  // network order
  uint16_t port_id = 0;      // ethdev port: the same 4-tuple on two ports is two flows
  uint16_t pad = 0;          // always 0: part of the hashed bytes

  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};
static_assert(sizeof(FlowKey) == 16);

inline constexpr uint32_t kNoFlow = UINT32_MAX;

}  // namespace pmx::flow
