// RteFlowTable: the shared FlowTable cases against rte_hash, plus what is
// particular to it (cuckoo refusals, capacity rounding, unique names,
// creation failure). Needs EAL, so this binary has its own main().
#include "flow/rte_flow_table.hpp"
#include "flow_cases.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace pmx::flow::test {

INSTANTIATE_TYPED_TEST_SUITE_P(Rte, FlowTableCases, RteFlowTable);

namespace {

TEST(RteFlowTable, CapacityIsWhatRteHashAllocated) {
  EXPECT_EQ(RteFlowTable(1000).capacity(), 1000u);
  EXPECT_EQ(RteFlowTable(3).capacity(), 8u);  // one bucket at least
}

// Filling a larger table with unstructured keys: cuckoo placement may
// refuse some before every slot is used; the table must hold exactly the
// keys it accepted, and refusals must stay rare.
TEST(RteFlowTable, FillUntilRefusedLeavesTableConsistent) {
  RteFlowTable t(1 << 16);
  std::vector<uint32_t> accepted;
  uint32_t first_refusal = 0;
  uint32_t i = 0;
  for (; i < 2 * t.capacity(); ++i) {
    const int rc = t.insert(random_key(i), i);
    ASSERT_TRUE(rc == 0 || rc == -ENOSPC) << rc;
    if (rc == 0) accepted.push_back(i);
    if (rc != 0 && first_refusal == 0) first_refusal = i + 1;
  }
  std::printf("first refusal at insert #%u, %zu of %zu accepted\n", first_refusal, accepted.size(),
              t.capacity());
  EXPECT_GT(first_refusal, 0u);
  EXPECT_GE(accepted.size(), t.capacity() * 9 / 10);
  EXPECT_EQ(t.size(), accepted.size());
  std::vector<bool> in(i);
  for (uint32_t a : accepted) in[a] = true;
  for (uint32_t k = 0; k < i; ++k) ASSERT_EQ(t.lookup(random_key(k)), in[k] ? k : kNoFlow) << k;
  // Erase half; the table keeps the other half and takes new keys again.
  for (size_t n = 0; n < accepted.size(); n += 2) ASSERT_TRUE(t.erase(random_key(accepted[n])));
  for (size_t n = 1; n < accepted.size(); n += 2)
    ASSERT_EQ(t.lookup(random_key(accepted[n])), accepted[n]);
  EXPECT_EQ(t.size(), accepted.size() / 2);
  EXPECT_EQ(t.insert(random_key(i), 1), 0);
}

TEST(RteFlowTable, TablesHaveUniqueNamesAndAreIndependent) {
  RteFlowTable a(64), b(64);
  ASSERT_EQ(a.insert(key(1), 1), 0);
  EXPECT_EQ(b.lookup(key(1)), kNoFlow);
  ASSERT_EQ(b.insert(key(1), 2), 0);
  EXPECT_EQ(a.lookup(key(1)), 1u);
}

TEST(RteFlowTable, CreationFailureThrowsAndNamesTheSize) {
  // 2^29 entries need ~16 GiB; the EAL heap here is 512 MiB.
  try {
    RteFlowTable t(size_t{1} << 29);
    FAIL() << "created a table larger than the heap";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("536870912"), std::string::npos) << e.what();
  }
  EXPECT_THROW(RteFlowTable(size_t{1} << 31), std::runtime_error);  // > RTE_HASH_ENTRIES_MAX
}

}  // namespace
}  // namespace pmx::flow::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // No hugepages, no PCI scan (the VM's virtio NIC stays with the kernel),
  // no shared config: a private, throw-away EAL. A per-process file prefix
  // keeps parallel runs apart.
  std::vector<std::string> args = {argv[0],
                                   "--no-huge",
                                   "--no-shconf",
                                   "--no-pci",
                                   "--file-prefix",
                                   "pmxflow" + std::to_string(getpid()),
                                   "-l",
                                   "0",
                                   "-m",
                                   "512",
                                   "--log-level=*:warning"};
  std::vector<char*> eal_argv;
  for (std::string& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return rc;
}
