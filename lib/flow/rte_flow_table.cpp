#include "rte_flow_table.hpp"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace pmx::flow {
namespace {

// The connection index travels as rte_hash's void* data.
void* to_data(uint32_t val) { return reinterpret_cast<void*>(static_cast<uintptr_t>(val)); }
uint32_t from_data(void* p) { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)); }

// rte_hash names are global to the process (and to the DPDK memory of the
// file prefix): lcore plus a process-wide counter makes them unique.
std::string next_name() {
  static std::atomic<unsigned> counter{0};
  char name[RTE_HASH_NAMESIZE];
  std::snprintf(name, sizeof name, "pmx_flow_%u_%u", rte_lcore_id(), counter++);
  return name;
}

rte_hash* create(size_t max_flows, int socket_id) {
  if (max_flows > RTE_HASH_ENTRIES_MAX)
    throw std::runtime_error("flow table of " + std::to_string(max_flows) +
                             " entries: more than rte_hash allows");
  const std::string name = next_name();
  rte_hash_parameters p{};
  p.name = name.c_str();
  // rte_hash rejects fewer entries than one bucket holds.
  p.entries = static_cast<uint32_t>(max_flows < 8 ? 8 : max_flows);
  p.key_len = sizeof(FlowKey);
  p.hash_func = rte_hash_crc;
  p.hash_func_init_val = 0;
  p.socket_id = socket_id;
  // No EXT_TABLE: the few keys cuckoo cannot place are refused (-ENOSPC),
  // which the engine handles like a full table, rather than paying for
  // overflow buckets sized for the whole table. No concurrency flags:
  // single writer, no concurrent readers.
  p.extra_flag = 0;
  rte_hash* h = rte_hash_create(&p);
  if (!h)
    throw std::runtime_error("rte_hash_create(" + name + ", " + std::to_string(p.entries) +
                             " entries): " + rte_strerror(rte_errno));
  return h;
}

}  // namespace

RteFlowTable::RteFlowTable(size_t max_flows, int socket_id)
    : h_(create(max_flows, socket_id)), capacity_(static_cast<size_t>(rte_hash_max_key_id(h_))) {}

RteFlowTable::~RteFlowTable() { rte_hash_free(h_); }

void RteFlowTable::lookup_bulk(const FlowKey* const* keys, unsigned n, uint32_t* vals) const {
  assert(n <= kMaxBulk);
  if (n == 0) return;  // rte_hash rejects an empty burst
  void* data[kMaxBulk];
  uint64_t hits = 0;
  // rte_hash's prototype lacks the inner const; it only reads the keys.
  auto raw_keys = reinterpret_cast<const void**>(const_cast<const FlowKey**>(keys));
  rte_hash_lookup_bulk_data(h_, raw_keys, n, &hits, data);
  // data[i] is only written for hits.
  for (unsigned i = 0; i < n; ++i) vals[i] = (hits >> i) & 1 ? from_data(data[i]) : kNoFlow;
}

uint32_t RteFlowTable::lookup(const FlowKey& key) const {
  void* data;
  return rte_hash_lookup_data(h_, &key, &data) >= 0 ? from_data(data) : kNoFlow;
}

int RteFlowTable::insert(const FlowKey& key, uint32_t val) {
  if (val == kNoFlow) return -EINVAL;
  // rte_hash_add_key_data overwrites an existing key's data; the interface
  // refuses instead. Creation is the rare path, so the extra lookup is fine.
  if (rte_hash_lookup(h_, &key) >= 0) return -EEXIST;
  return rte_hash_add_key_data(h_, &key, to_data(val));  // 0 or -ENOSPC
}

bool RteFlowTable::erase(const FlowKey& key) { return rte_hash_del_key(h_, &key) >= 0; }

size_t RteFlowTable::size() const { return static_cast<size_t>(rte_hash_count(h_)); }

}  // namespace pmx::flow
