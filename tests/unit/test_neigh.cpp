// Neighbour table: resolution queue, RFC 826 merge, aging on a manual clock,
// and deletion that keeps every entry reachable; the same for IPv6 entries
// (RFC 4861 7.3.2 states), which never collide with IPv4 ones.
#include "frames.hpp"
#include "net/neigh.hpp"

#include <gtest/gtest.h>

#include <set>

namespace pmx::net {
namespace {

using Table = NeighTable<int, 2>;
constexpr NeighTimes kTimes{1000, 100, 3};

struct Recorder {
  std::vector<int> released, dropped;
  std::vector<IpAddr> requests, expired;
  std::vector<NeighState> request_states;  // the entry's state when its request went out
  auto release() {
    return [this](int p, const rte_ether_addr&) { released.push_back(p); };
  }
  void age(Table& t, uint64_t now) {
    t.age(
        now,
        [this](const Table::Entry& e) {
          requests.push_back(e.ip);
          request_states.push_back(e.state);
        },
        [this](int p) { dropped.push_back(p); },
        [this](const Table::Entry& e) { expired.push_back(e.ip); });
  }
};

TEST(Neigh, HoldThenLearnReleasesInOrder) {
  Table t(16, kTimes);
  Recorder r;
  const auto ip = test::ip("198.18.0.2");
  EXPECT_EQ(t.lookup(0, ip), nullptr);
  EXPECT_EQ(t.hold(0, ip, 1, 0), Table::Hold::SendRequest);
  EXPECT_EQ(t.hold(0, ip, 2, 0), Table::Hold::Queued);
  EXPECT_EQ(t.hold(0, ip, 3, 0), Table::Hold::QueueFull);  // bounded (kPending = 2)
  EXPECT_EQ(t.lookup(0, ip), nullptr);                     // still incomplete
  EXPECT_EQ(t.learn(0, ip, test::mac(2), 5, false, r.release()), Table::Learn::Changed);
  EXPECT_EQ(r.released, (std::vector<int>{1, 2}));
  ASSERT_NE(t.lookup(0, ip), nullptr);
  EXPECT_EQ(t.learn(0, ip, test::mac(2), 6, false, r.release()), Table::Learn::Refreshed);
  EXPECT_EQ(t.learn(0, ip, test::mac(3), 7, false, r.release()), Table::Learn::Changed);
}

TEST(Neigh, MergeDoesNotCreateUnlessAsked) {
  Table t(16, kTimes);
  Recorder r;
  EXPECT_EQ(t.learn(0, test::ip("198.18.0.9"), test::mac(9), 0, false, r.release()),
            Table::Learn::Ignored);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.learn(0, test::ip("198.18.0.9"), test::mac(9), 0, true, r.release()),
            Table::Learn::Changed);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.lookup(1, test::ip("198.18.0.9")), nullptr);  // other port: other entry
}

TEST(Neigh, UnansweredRequestsRetransmitThenDrop) {
  Table t(16, kTimes);
  Recorder r;
  const auto ip = test::ip("198.18.0.2");
  t.hold(0, ip, 7, 0);  // request 1 sent by the caller
  r.age(t, 99);
  EXPECT_TRUE(r.requests.empty());
  r.age(t, 100);  // request 2
  r.age(t, 200);  // request 3
  EXPECT_EQ(r.requests.size(), 2u);
  EXPECT_TRUE(r.dropped.empty());
  r.age(t, 300);  // max_probes reached: give up
  EXPECT_EQ(r.dropped, std::vector<int>{7});
  EXPECT_EQ(r.expired.size(), 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(Neigh, StaleEntryInUseIsProbedAndKeptWhenAnswered) {
  Table t(16, kTimes);
  Recorder r;
  const auto ip = test::ip("198.18.0.2");
  t.learn(0, ip, test::mac(2), 0, true, r.release());
  r.age(t, 1000);                       // stale
  EXPECT_NE(t.lookup(0, ip), nullptr);  // still used, and marks it used
  r.age(t, 1001);                       // probe
  EXPECT_EQ(r.requests.size(), 1u);
  t.learn(0, ip, test::mac(2), 1050, false, r.release());
  r.age(t, 1500);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(r.expired.empty());
}

TEST(Neigh, StaleUnusedEntryExpires) {
  Table t(16, kTimes);
  Recorder r;
  t.learn(0, test::ip("198.18.0.2"), test::mac(2), 0, true, r.release());
  r.age(t, 1000);
  r.age(t, 1999);
  EXPECT_EQ(t.size(), 1u);
  r.age(t, 2000);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(r.requests.empty());
}

TEST(Neigh, FullTableRefusesAndDeletionKeepsOthersReachable) {
  Table t(8, kTimes);  // 16 slots, at most 8 entries
  Recorder r;
  std::vector<Ipv4Addr> ips;
  for (uint32_t i = 0; i < 8; ++i) {
    ips.push_back(Ipv4Addr::from_host(0xc6120000u + i * 16));  // cluster some homes
    ASSERT_EQ(t.hold(0, ips.back(), int(i), 0), Table::Hold::SendRequest);
  }
  EXPECT_EQ(t.hold(0, test::ip("198.18.9.9"), 99, 0), Table::Hold::TableFull);
  // Resolve every other one; the rest expire after max_probes.
  for (size_t i = 0; i < ips.size(); i += 2)
    t.learn(0, ips[i], test::mac(uint8_t(i)), 1, false, r.release());
  for (uint64_t now = 100; now <= 400; now += 100) r.age(t, now);
  EXPECT_EQ(t.size(), 4u);
  for (size_t i = 0; i < ips.size(); ++i)
    EXPECT_EQ(t.lookup(0, ips[i]) != nullptr, i % 2 == 0) << i;
  EXPECT_EQ(r.dropped.size(), 4u);
}

}  // namespace
}  // namespace pmx::net

namespace pmx::net {
namespace {

// Frames waiting over all hops are bounded: a flood towards many unresolved
// addresses cannot take the mbuf pool. Released and dropped frames give
// their place back.
TEST(Neigh, HeldFramesHaveOneBudgetForAllHops) {
  Table t(64, kTimes, 5);
  Recorder r;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(t.hold(0, Ipv4Addr::from_host(0xc6130000u + static_cast<uint32_t>(i)), i, 0),
              Table::Hold::SendRequest);
  EXPECT_EQ(t.held(), 5u);
  EXPECT_EQ(t.hold(0, test::ip("198.19.1.1"), 99, 0), Table::Hold::BudgetFull);
  EXPECT_EQ(t.size(), 5u);  // no entry made for it either
  t.learn(0, Ipv4Addr::from_host(0xc6130000u), test::mac(4), 1, false, r.release());
  EXPECT_EQ(t.held(), 4u);
  EXPECT_EQ(t.hold(0, test::ip("198.19.1.1"), 99, 1), Table::Hold::SendRequest);
  for (uint64_t now = 100; now <= 1000; now += 100) r.age(t, now);  // the rest give up
  EXPECT_EQ(r.dropped.size(), 5u);
  EXPECT_EQ(t.held(), 0u);
}

}  // namespace
}  // namespace pmx::net

namespace pmx::net {
namespace {

IpAddr ip6(const char* s) { return IpAddr::of(*parse_ipv6(s)); }

NeighState state_of(const Table& t, uint16_t port, const IpAddr& ip) {
  NeighState st = NeighState::Free;
  t.for_each([&](const Table::Entry& e) {
    if (e.iface == port && e.ip == ip) st = e.state;
  });
  return st;
}

// RFC 4861 7.3.2 on the manual clock: INCOMPLETE (NS sent) -> REACHABLE (NA)
// -> STALE (ReachableTime passed) -> PROBE (used while stale: an NS, which
// the caller sends unicast) -> removed after max_probes unanswered NSs.
TEST(Neigh, Ipv6EntryWalksEveryState) {
  Table t(16, kTimes);
  Recorder r;
  const IpAddr a = ip6("2001:2::2");
  EXPECT_EQ(t.hold(0, a, 1, 0), Table::Hold::SendRequest);
  EXPECT_EQ(state_of(t, 0, a), NeighState::Incomplete);
  EXPECT_EQ(t.learn(0, a, test::mac(2), 10, false, r.release()), Table::Learn::Changed);
  EXPECT_EQ(r.released, std::vector<int>{1});
  EXPECT_EQ(state_of(t, 0, a), NeighState::Reachable);
  r.age(t, 1009);
  EXPECT_EQ(state_of(t, 0, a), NeighState::Reachable);
  r.age(t, 1010);
  EXPECT_EQ(state_of(t, 0, a), NeighState::Stale);
  ASSERT_NE(t.lookup(0, a), nullptr);  // still used while stale
  r.age(t, 1011);
  EXPECT_EQ(state_of(t, 0, a), NeighState::Probe);
  ASSERT_EQ(r.requests, std::vector<IpAddr>{a});
  EXPECT_EQ(r.request_states, std::vector<NeighState>{NeighState::Probe});
  r.age(t, 1111);  // second probe
  r.age(t, 1211);  // third
  EXPECT_EQ(r.requests.size(), 3u);
  EXPECT_EQ(t.size(), 1u);
  r.age(t, 1311);  // max_probes unanswered: removed
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(r.expired, std::vector<IpAddr>{a});
}

// An IPv4 address and the IPv6 address with the same last four bytes (and
// zeros before) are different neighbours, on any port.
TEST(Neigh, Ipv4AndIpv6EntriesNeverCollide) {
  Table t(16, kTimes);
  Recorder r;
  const IpAddr v4 = test::ip("198.18.0.2");
  const IpAddr v6 = ip6("::c612:2");
  ASSERT_EQ(v4.b, v6.b);  // the same bytes: only the family differs
  EXPECT_EQ(t.learn(0, v4, test::mac(4), 0, true, r.release()), Table::Learn::Changed);
  EXPECT_EQ(t.lookup(0, v6), nullptr);
  EXPECT_EQ(t.hold(0, v6, 6, 0), Table::Hold::SendRequest);
  EXPECT_EQ(t.learn(0, v6, test::mac(6), 1, false, r.release()), Table::Learn::Changed);
  ASSERT_NE(t.lookup(0, v4), nullptr);
  ASSERT_NE(t.lookup(0, v6), nullptr);
  EXPECT_EQ(t.lookup(0, v4)->addr_bytes[5], 4);
  EXPECT_EQ(t.lookup(0, v6)->addr_bytes[5], 6);
  EXPECT_EQ(t.size(), 2u);
}

// Many IPv6 neighbours in one /64 and IPv4 ones side by side: every entry
// stays reachable after others are removed (backward-shift deletion over
// the 16-byte key).
TEST(Neigh, MixedFamiliesSurviveDeletion) {
  Table t(64, kTimes);
  Recorder r;
  std::vector<IpAddr> all;
  for (uint8_t i = 1; i <= 20; ++i) {
    Ipv6Addr a = *parse_ipv6("2001:2::");
    a.b[15] = i;
    all.push_back(IpAddr::of(a));
    all.push_back(IpAddr::of(Ipv4Addr::from_host(0xc6120000u + i)));
  }
  for (size_t i = 0; i < all.size(); ++i)
    t.learn(0, all[i], test::mac(uint8_t(i)), i % 3 == 0 ? 0 : 1000, true, r.release());
  r.age(t, 1000);  // the i % 3 == 0 ones go stale
  r.age(t, 2000);  // and, unused, are removed
  for (size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(t.lookup(0, all[i]) != nullptr, i % 3 != 0) << to_string(all[i]);
}

}  // namespace
}  // namespace pmx::net
