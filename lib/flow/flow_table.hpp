// A per-core map FlowKey -> connection index. Two implementations:
// RteFlowTable (DPDK rte_hash, cuckoo, the production one; needs EAL) and
// OpenFlowTable (open addressing, plain C++; the TCP core's unit tests and
// fuzzers run on it without EAL).
//
// The engine calls through this interface once per RX burst (lookup_bulk) and
// once per connection created or destroyed (insert/erase), never once per
// segment on the established path, so the virtual call is not a per-packet
// cost (see docs/architecture.md).
//
// Contract: insert() never overwrites: the caller looked the key up first.
// A full table refuses (returns -ENOSPC) and is left unchanged.
#pragma once

#include "flow_key.hpp"

#include <cstddef>
#include <cstdint>

namespace pmx::flow {

class FlowTable {
 public:
  static constexpr unsigned kMaxBulk = 64;  // rte_hash's RTE_HASH_LOOKUP_BULK_MAX

  virtual ~FlowTable() = default;
  // vals[i] = value of *keys[i], or kNoFlow. n <= kMaxBulk.
  virtual void lookup_bulk(const FlowKey* const* keys, unsigned n, uint32_t* vals) const = 0;
  virtual uint32_t lookup(const FlowKey& key) const = 0;  // or kNoFlow
  // 0, or -ENOSPC when full, -EEXIST when present.
  virtual int insert(const FlowKey& key, uint32_t val) = 0;
  virtual bool erase(const FlowKey& key) = 0;  // false: not present
  virtual size_t size() const = 0;
  virtual size_t capacity() const = 0;
};

}  // namespace pmx::flow
