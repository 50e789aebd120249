// Behavioural cases every FlowTable must pass, as a typed test suite:
// test_flow.cpp instantiates it for OpenFlowTable (no EAL), test_flow_rte.cpp
// for RteFlowTable (after rte_eal_init). Each TypeParam is constructible
// from a capacity.
#pragma once

#include "flow/flow_table.hpp"
#include "flow/open_flow_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace pmx::flow::test {

// Distinct keys for distinct i < 2^32: i is spread over the remote address
// and port, the rest is fixed (a server's view: one local address, port 80).
inline FlowKey key(uint32_t i, uint16_t port_id = 0) {
  FlowKey k;
  k.local_ip = 0x010012c6;  // 198.18.0.1 in network order on little-endian
  k.remote_ip = 0x0a000000u + (i >> 16);
  k.local_port = 0x5000;  // 80
  k.remote_port = static_cast<uint16_t>(i);
  k.port_id = port_id;
  return k;
}

// Distinct keys for distinct i, every field scrambled: remote_ip is a
// bijection of i (odd multipliers and xor-shifts are invertible mod 2^32),
// the other fields are pseudo-random. Unlike key(i), these do not share
// 112 bits, which matters for a CRC hash: CRC is linear, so keys that
// differ only in a few bits spread over buckets unrealistically evenly.
inline FlowKey random_key(uint32_t i) {
  uint32_t x = i * 0x9e3779b1u;
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  uint64_t r = (uint64_t{i} + 1) * 0x9e3779b97f4a7c15ULL;  // splitmix64
  r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
  r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
  r ^= r >> 31;
  FlowKey k;
  k.local_ip = static_cast<uint32_t>(r);
  k.remote_ip = x;
  k.local_port = static_cast<uint16_t>(r >> 32);
  k.remote_port = static_cast<uint16_t>(r >> 48);
  k.port_id = static_cast<uint16_t>(i & 1);
  return k;
}

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const { return flow_hash(k); }
};

// OpenFlowTable refuses only when size() == capacity(); rte_hash's cuckoo
// buckets may refuse a key earlier.
template <class T>
inline constexpr bool kExactCapacity = std::is_same_v<T, OpenFlowTable>;

template <class T>
class FlowTableCases : public ::testing::Test {};
TYPED_TEST_SUITE_P(FlowTableCases);

TYPED_TEST_P(FlowTableCases, InsertLookupErase) {
  TypeParam t(64);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lookup(key(1)), kNoFlow);
  EXPECT_EQ(t.insert(key(1), 7), 0);
  EXPECT_EQ(t.insert(key(2), 0), 0);  // 0 is a valid connection index
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.lookup(key(1)), 7u);
  EXPECT_EQ(t.lookup(key(2)), 0u);
  EXPECT_TRUE(t.erase(key(1)));
  EXPECT_FALSE(t.erase(key(1)));
  EXPECT_EQ(t.lookup(key(1)), kNoFlow);
  EXPECT_EQ(t.lookup(key(2)), 0u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.insert(key(1), 8), 0);  // a closed flow's key can come back
  EXPECT_EQ(t.lookup(key(1)), 8u);
}

TYPED_TEST_P(FlowTableCases, RemotePortAloneDistinguishes) {
  TypeParam t(64);
  FlowKey a = key(5);
  FlowKey b = a;
  b.remote_port ^= 0x0100;
  ASSERT_EQ(t.insert(a, 1), 0);
  EXPECT_EQ(t.lookup(b), kNoFlow);
  ASSERT_EQ(t.insert(b, 2), 0);
  EXPECT_EQ(t.lookup(a), 1u);
  EXPECT_EQ(t.lookup(b), 2u);
}

TYPED_TEST_P(FlowTableCases, SameFourTupleOnTwoPortsIsTwoFlows) {
  TypeParam t(64);
  ASSERT_EQ(t.insert(key(9, 0), 1), 0);
  EXPECT_EQ(t.lookup(key(9, 1)), kNoFlow);
  ASSERT_EQ(t.insert(key(9, 1), 2), 0);
  EXPECT_EQ(t.lookup(key(9, 0)), 1u);
  EXPECT_EQ(t.lookup(key(9, 1)), 2u);
  EXPECT_TRUE(t.erase(key(9, 0)));
  EXPECT_EQ(t.lookup(key(9, 1)), 2u);
}

TYPED_TEST_P(FlowTableCases, DuplicateInsertIsRefusedAndKeepsValue) {
  TypeParam t(64);
  ASSERT_EQ(t.insert(key(3), 30), 0);
  EXPECT_EQ(t.insert(key(3), 31), -EEXIST);
  EXPECT_EQ(t.lookup(key(3)), 30u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.insert(key(4), kNoFlow), -EINVAL);  // kNoFlow is "absent"
  EXPECT_EQ(t.lookup(key(4)), kNoFlow);
  EXPECT_EQ(t.size(), 1u);
}

TYPED_TEST_P(FlowTableCases, LookupBulkMixesHitsAndMisses) {
  TypeParam t(256);
  for (uint32_t i = 0; i < 128; i += 2) ASSERT_EQ(t.insert(key(i), i + 1000), 0);
  std::vector<FlowKey> keys;
  for (uint32_t i = 0; i < FlowTable::kMaxBulk; ++i) keys.push_back(key(i * 3 % 128));
  const FlowKey* ptrs[FlowTable::kMaxBulk];
  for (unsigned i = 0; i < FlowTable::kMaxBulk; ++i) ptrs[i] = &keys[i];
  for (unsigned n : {0u, 1u, 31u, FlowTable::kMaxBulk}) {
    uint32_t vals[FlowTable::kMaxBulk];
    std::fill(vals, vals + FlowTable::kMaxBulk, 42u);
    t.lookup_bulk(ptrs, n, vals);
    for (unsigned i = 0; i < n; ++i) {
      const uint32_t id = i * 3 % 128;
      EXPECT_EQ(vals[i], id % 2 == 0 ? id + 1000 : kNoFlow) << "n=" << n << " i=" << i;
    }
    for (unsigned i = n; i < FlowTable::kMaxBulk; ++i) EXPECT_EQ(vals[i], 42u);  // untouched
  }
}

// Offer twice as many keys as the table holds: some are refused (all of
// them, past capacity; a few earlier for cuckoo), and the table holds
// exactly the accepted ones.
TYPED_TEST_P(FlowTableCases, FullTableRefusesAndStaysConsistent) {
  TypeParam t(1024);
  const uint32_t offered = static_cast<uint32_t>(t.capacity() * 2);
  std::vector<uint32_t> accepted, refused;
  for (uint32_t i = 0; i < offered; ++i) {
    const int rc = t.insert(random_key(i), i);
    ASSERT_TRUE(rc == 0 || rc == -ENOSPC) << rc;
    (rc == 0 ? accepted : refused).push_back(i);
  }
  EXPECT_LE(accepted.size(), t.capacity());
  EXPECT_GE(accepted.size(), t.capacity() * 9 / 10);
  if (kExactCapacity<TypeParam>) {
    EXPECT_EQ(accepted.size(), t.capacity());
  }
  EXPECT_EQ(t.size(), accepted.size());
  for (uint32_t i : accepted) ASSERT_EQ(t.lookup(random_key(i)), i);
  for (uint32_t i : refused) ASSERT_EQ(t.lookup(random_key(i)), kNoFlow);
  EXPECT_EQ(t.insert(random_key(accepted[0]), 1), -EEXIST);  // duplicates still say so

  // Freeing one slot makes room for the same key again (it goes back to one
  // of its own buckets, so this holds for cuckoo too).
  const uint32_t victim = accepted[accepted.size() / 2];
  ASSERT_TRUE(t.erase(random_key(victim)));
  EXPECT_EQ(t.lookup(random_key(victim)), kNoFlow);
  EXPECT_EQ(t.insert(random_key(victim), 5), 0);
  EXPECT_EQ(t.lookup(random_key(victim)), 5u);
  EXPECT_EQ(t.size(), accepted.size());
}

// 100k random operations on a key universe twice the capacity, so the table
// hovers at full (OpenFlowTable: load factor 1/2, long probe runs) and
// erases land inside probe runs; after every operation
// the table agrees with std::unordered_map, and every 1000 operations the
// whole universe is checked (an entry lost by a bad backward shift shows
// up as a miss).
TYPED_TEST_P(FlowTableCases, MatchesUnorderedMapUnderChurn) {
  constexpr uint32_t kCap = 1024;
  constexpr uint32_t kUniverse = kCap * 2;
  TypeParam t(kCap);
  std::unordered_map<FlowKey, uint32_t, FlowKeyHash> model;
  std::mt19937 rng(12345);
  std::uniform_int_distribution<uint32_t> pick(0, kUniverse - 1), op(0, 99);
  auto check_all = [&] {
    for (uint32_t i = 0; i < kUniverse; ++i) {
      auto it = model.find(random_key(i));
      ASSERT_EQ(t.lookup(random_key(i)), it == model.end() ? kNoFlow : it->second) << "key " << i;
    }
  };
  auto check_bulk = [&] {
    FlowKey keys[FlowTable::kMaxBulk];
    const FlowKey* ptrs[FlowTable::kMaxBulk];
    uint32_t vals[FlowTable::kMaxBulk];
    for (unsigned i = 0; i < FlowTable::kMaxBulk; ++i) {
      keys[i] = random_key(pick(rng));
      ptrs[i] = &keys[i];
    }
    t.lookup_bulk(ptrs, FlowTable::kMaxBulk, vals);
    for (unsigned i = 0; i < FlowTable::kMaxBulk; ++i) {
      auto it = model.find(keys[i]);
      ASSERT_EQ(vals[i], it == model.end() ? kNoFlow : it->second) << "bulk " << i;
    }
  };
  for (uint32_t step = 0; step < 100000; ++step) {
    const FlowKey k = random_key(pick(rng));
    const uint32_t o = op(rng);
    const bool present = model.count(k) != 0;
    if (o < 45) {
      const uint32_t val = step;
      const int rc = t.insert(k, val);
      if (present) {
        ASSERT_EQ(rc, -EEXIST);
      } else if (rc == -ENOSPC) {
        ASSERT_TRUE(!kExactCapacity<TypeParam> || model.size() == kCap) << model.size();
      } else {
        ASSERT_EQ(rc, 0);
        model.emplace(k, val);
      }
    } else if (o < 85) {
      ASSERT_EQ(t.erase(k), present);
      model.erase(k);
    } else if (o < 95) {
      auto it = model.find(k);
      ASSERT_EQ(t.lookup(k), it == model.end() ? kNoFlow : it->second);
    } else {
      check_bulk();
    }
    ASSERT_EQ(t.size(), model.size());
    ASSERT_LE(model.size(), t.capacity());
    if (step % 1000 == 0) check_all();
  }
  check_all();
}

REGISTER_TYPED_TEST_SUITE_P(FlowTableCases, InsertLookupErase, RemotePortAloneDistinguishes,
                            SameFourTupleOnTwoPortsIsTwoFlows,
                            DuplicateInsertIsRefusedAndKeepsValue, LookupBulkMixesHitsAndMisses,
                            FullTableRefusesAndStaysConsistent, MatchesUnorderedMapUnderChurn);

}  // namespace pmx::flow::test
