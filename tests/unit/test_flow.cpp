// OpenFlowTable, without EAL: the shared FlowTable cases, plus exact
// capacity and deletion inside clusters that wrap around the slot array.
#include "flow/open_flow_table.hpp"
#include "flow_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace pmx::flow::test {

INSTANTIATE_TYPED_TEST_SUITE_P(Open, FlowTableCases, OpenFlowTable);

namespace {

TEST(OpenFlowTable, RefusesExactlyAtCapacity) {
  OpenFlowTable zero(0);
  EXPECT_EQ(zero.insert(key(1), 1), -ENOSPC);
  EXPECT_EQ(zero.size(), 0u);

  OpenFlowTable t(3);
  EXPECT_GE(t.slot_count(), 2 * t.capacity());
  for (uint32_t i = 0; i < 3; ++i) ASSERT_EQ(t.insert(key(i), i), 0);
  EXPECT_EQ(t.insert(key(3), 3), -ENOSPC);
  EXPECT_EQ(t.lookup(key(3)), kNoFlow);
  EXPECT_EQ(t.size(), 3u);
  ASSERT_TRUE(t.erase(key(0)));
  EXPECT_EQ(t.insert(key(3), 3), 0);  // another key takes the freed place
  for (uint32_t i = 1; i < 4; ++i) EXPECT_EQ(t.lookup(key(i)), i);
}

// Keys whose home slots are the last two slots and the first two, so their
// probe runs merge and wrap from the end of the array to its start.
std::vector<FlowKey> wrapping_cluster(const OpenFlowTable& t, size_t count) {
  const size_t mask = t.slot_count() - 1;
  const size_t per_home = count / 4 + 1;
  std::vector<FlowKey> out;
  size_t found[4] = {};
  for (uint32_t i = 0; out.size() < count; ++i) {
    const size_t h = flow_hash(key(i)) & mask;
    const size_t slot = (h + 2) & mask;  // homes mask-1, mask, 0, 1 -> 0..3
    if (slot < 4 && found[slot] < per_home) {
      ++found[slot];
      out.push_back(key(i));
    }
  }
  return out;
}

// Backward shift: after any sequence of erases inside one cluster, every
// remaining key is still found and every erased one is gone.
TEST(OpenFlowTable, EraseInsideWrappingClusterKeepsOthersReachable) {
  OpenFlowTable t(16);  // 32 slots
  const std::vector<FlowKey> keys = wrapping_cluster(t, 14);
  std::mt19937 rng(7);
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (int round = 0; round < 500; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) ASSERT_EQ(t.insert(keys[i], static_cast<uint32_t>(i)), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<bool> gone(keys.size());
    for (size_t i : order) {
      ASSERT_TRUE(t.erase(keys[i]));
      gone[i] = true;
      for (size_t j = 0; j < keys.size(); ++j)
        ASSERT_EQ(t.lookup(keys[j]), gone[j] ? kNoFlow : j) << "round " << round;
    }
    ASSERT_EQ(t.size(), 0u);
  }
}

TEST(FlowHash, SpreadsKeysThatDifferInOnePort) {
  // 65536 keys differing only in the remote port over 2^17 slots: a good
  // hash leaves about 2^17 * e^-0.5 = 79.5k slots empty; a weak one
  // (identity on the port bits, say) would leave 2^16 or clump badly.
  constexpr size_t kSlots = size_t{1} << 17;
  std::vector<uint8_t> used(kSlots);
  for (uint32_t i = 0; i < 65536; ++i) used[flow_hash(key(i)) & (kSlots - 1)] = 1;
  const size_t empty = static_cast<size_t>(std::count(used.begin(), used.end(), 0));
  EXPECT_NEAR(static_cast<double>(empty), 79500.0, 1500.0);
}

}  // namespace
}  // namespace pmx::flow::test
