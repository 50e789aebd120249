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

rte_hash* create(size_t max_flows, int socket_id, uint32_t key_len) {
  if (max_flows > RTE_HASH_ENTRIES_MAX)
    throw std::runtime_error("flow table of " + std::to_string(max_flows) +
                             " entries: more than rte_hash allows");
  const std::string name = next_name();
  rte_hash_parameters p{};
  p.name = name.c_str();
  // rte_hash rejects fewer entries than one bucket holds.
  p.entries = static_cast<uint32_t>(max_flows < 8 ? 8 : max_flows);
  p.key_len = key_len;
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
    : h4_(create(max_flows, socket_id, FlowKey::kV4Bytes)),
      h6_(nullptr),
      capacity_(static_cast<size_t>(rte_hash_max_key_id(h4_))) {
  try {
    h6_ = create(max_flows, socket_id, sizeof(FlowKey));
  } catch (...) {
    rte_hash_free(h4_);
    throw;
  }
}

RteFlowTable::~RteFlowTable() {
  rte_hash_free(h4_);
  rte_hash_free(h6_);
}

// One bulk lookup in h of keys[idx[0..n)], results into vals[idx[i]].
void RteFlowTable::lookup_family(rte_hash* h, const FlowKey* const* keys, const unsigned* idx,
                                 unsigned n, uint32_t* vals) const {
  if (n == 0) return;  // rte_hash rejects an empty burst
  const void* k[kMaxBulk];
  void* data[kMaxBulk];
  for (unsigned i = 0; i < n; ++i) k[i] = keys[idx[i]];
  uint64_t hits = 0;
  rte_hash_lookup_bulk_data(h, k, n, &hits, data);
  // data[i] is only written for hits.
  for (unsigned i = 0; i < n; ++i) vals[idx[i]] = (hits >> i) & 1 ? from_data(data[i]) : kNoFlow;
}

void RteFlowTable::lookup_bulk(const FlowKey* const* keys, unsigned n, uint32_t* vals) const {
  assert(n <= kMaxBulk);
  if (n == 0) return;
  unsigned n6 = 0;
  for (unsigned i = 0; i < n; ++i) n6 += keys[i]->is_v6();
  if (n6 == 0) {
    // The common case, one family: the keys go to rte_hash as they are.
    void* data[kMaxBulk];
    uint64_t hits = 0;
    // rte_hash's prototype lacks the inner const; it only reads the keys.
    auto raw_keys = reinterpret_cast<const void**>(const_cast<const FlowKey**>(keys));
    rte_hash_lookup_bulk_data(h4_, raw_keys, n, &hits, data);
    for (unsigned i = 0; i < n; ++i) vals[i] = (hits >> i) & 1 ? from_data(data[i]) : kNoFlow;
    return;
  }
  unsigned i4[kMaxBulk], i6[kMaxBulk], a = 0, b = 0;
  for (unsigned i = 0; i < n; ++i) (keys[i]->is_v6() ? i6[b++] : i4[a++]) = i;
  lookup_family(h4_, keys, i4, a, vals);
  lookup_family(h6_, keys, i6, b, vals);
}

uint32_t RteFlowTable::lookup(const FlowKey& key) const {
  void* data;
  return rte_hash_lookup_data(table(key), &key, &data) >= 0 ? from_data(data) : kNoFlow;
}

int RteFlowTable::insert(const FlowKey& key, uint32_t val) {
  if (val == kNoFlow) return -EINVAL;
  // rte_hash_add_key_data overwrites an existing key's data; the interface
  // refuses instead. Creation is the rare path, so the extra lookup is fine.
  rte_hash* h = table(key);
  if (rte_hash_lookup(h, &key) >= 0) return -EEXIST;
  return rte_hash_add_key_data(h, &key, to_data(val));  // 0 or -ENOSPC
}

bool RteFlowTable::erase(const FlowKey& key) { return rte_hash_del_key(table(key), &key) >= 0; }

size_t RteFlowTable::size() const {
  return static_cast<size_t>(rte_hash_count(h4_)) + static_cast<size_t>(rte_hash_count(h6_));
}

}  // namespace pmx::flow
