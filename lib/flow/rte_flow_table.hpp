// RteFlowTable: the production flow table, a DPDK rte_hash (cuckoo hashing,
// 8-slot buckets, 16-byte keys compared with the SSE fast path, CRC32
// hash). Needs EAL: the table lives in DPDK memory on the owning core's
// socket. One writer (the owning lcore) and no concurrent readers, so no
// concurrency flags and no locks.
//
// Cuckoo placement can refuse a key before `capacity()` keys are stored
// (both of its buckets full and no displacement path found); that is
// reported as -ENOSPC like a full table, and rte_hash leaves the table as
// it was.
#pragma once

#include "flow_table.hpp"

struct rte_hash;

namespace pmx::flow {

class RteFlowTable final : public FlowTable {
 public:
  // At least `max_flows` slots (rte_hash needs >= 8). socket_id is a NUMA
  // socket or -1 (SOCKET_ID_ANY). Throws std::runtime_error if rte_hash
  // cannot create the table (no memory, or EAL not initialised).
  explicit RteFlowTable(size_t max_flows, int socket_id = -1);
  ~RteFlowTable() override;
  RteFlowTable(const RteFlowTable&) = delete;
  RteFlowTable& operator=(const RteFlowTable&) = delete;

  void lookup_bulk(const FlowKey* const* keys, unsigned n, uint32_t* vals) const override;
  uint32_t lookup(const FlowKey& key) const override;
  // Also -EINVAL for val == kNoFlow (lookup could not tell it from "absent").
  int insert(const FlowKey& key, uint32_t val) override;
  bool erase(const FlowKey& key) override;
  size_t size() const override;
  size_t capacity() const override { return capacity_; }

  rte_hash* raw() const { return h_; }  // for the benchmark's direct calls

 private:
  rte_hash* h_;
  size_t capacity_;  // rte_hash_max_key_id(): the key slots rte_hash allocated
};

}  // namespace pmx::flow
