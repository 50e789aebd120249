// RteFlowTable: the production flow table, two DPDK rte_hash tables (cuckoo
// hashing, 8-slot buckets, CRC32 hash): one for IPv4 keys (their 16 bytes,
// compared with the SSE fast path) and one for IPv6 keys (all 48 bytes;
// flow_key.hpp). A burst's lookup is split by family, one bulk call each. Needs EAL: the table
// lives in DPDK memory on the owning core's socket. One writer (the owning lcore) and no concurrent
// readers, so no concurrency flags and no locks.
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
  // Per family: each table holds this many (rte_hash_max_key_id()).
  size_t capacity() const override { return capacity_; }

  rte_hash* raw() const { return h4_; }  // the IPv4 table, for the benchmark's direct calls

 private:
  rte_hash* table(const FlowKey& k) const { return k.is_v6() ? h6_ : h4_; }
  void lookup_family(rte_hash* h, const FlowKey* const* keys, const unsigned* idx, unsigned n,
                     uint32_t* vals) const;

  rte_hash* h4_;
  rte_hash* h6_;
  size_t capacity_;  // rte_hash_max_key_id(): the key slots rte_hash allocated
};

}  // namespace pmx::flow
