// The engine's building blocks on their own: RangeSet, ByteRing, BufPool,
// TimerWheel, ListenerTable and sequence-number comparison.
#include "service/catalog.hpp"
#include "tcp/buffers.hpp"
#include "tcp/listener.hpp"
#include "tcp/seq.hpp"
#include "tcp/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

namespace pmx::tcp {
namespace {

// --- Seq

TEST(Seq, ComparesAcrossTheWrap) {
  const Seq a(0xfffffff0u), b(0x10u);
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b > a);
  EXPECT_EQ(b - a, 0x20);
  EXPECT_EQ(seq_dist(a, b), 0x20u);
  EXPECT_EQ(a + 0x20u, b);
  EXPECT_EQ(seq_max(a, b), b);
  EXPECT_EQ(seq_min(a, b), a);
  EXPECT_TRUE(Seq(5) <= Seq(5));
  EXPECT_FALSE(Seq(5) < Seq(5));
}

// --- RangeSet

std::vector<std::pair<uint32_t, uint32_t>> ranges(const RangeSet& r) {
  std::vector<std::pair<uint32_t, uint32_t>> v;
  for (uint8_t i = 0; i < r.size(); ++i) v.emplace_back(r[i].l.v, r[i].r.v);
  return v;
}
using V = std::vector<std::pair<uint32_t, uint32_t>>;

TEST(RangeSet, KeepsRangesSortedAndDisjoint) {
  RangeSet r;
  EXPECT_TRUE(r.add(Seq(30), Seq(40)));
  EXPECT_TRUE(r.add(Seq(10), Seq(20)));
  EXPECT_TRUE(r.add(Seq(50), Seq(60)));
  EXPECT_EQ(ranges(r), (V{{10, 20}, {30, 40}, {50, 60}}));
  EXPECT_TRUE(r.add(Seq(5), Seq(5)));  // empty: nothing
  EXPECT_EQ(r.size(), 3u);
}

TEST(RangeSet, MergesOverlappingAndAdjacent) {
  RangeSet r;
  r.add(Seq(10), Seq(20));
  r.add(Seq(30), Seq(40));
  r.add(Seq(50), Seq(60));
  EXPECT_TRUE(r.add(Seq(20), Seq(30)));  // touches both neighbours
  EXPECT_EQ(ranges(r), (V{{10, 40}, {50, 60}}));
  EXPECT_TRUE(r.add(Seq(35), Seq(55)));  // overlaps both
  EXPECT_EQ(ranges(r), (V{{10, 60}}));
  EXPECT_TRUE(r.add(Seq(0), Seq(100)));  // swallows everything
  EXPECT_EQ(ranges(r), (V{{0, 100}}));
  EXPECT_TRUE(r.add(Seq(20), Seq(30)));  // inside
  EXPECT_EQ(ranges(r), (V{{0, 100}}));
}

TEST(RangeSet, RefusesAFifthRangeButStillMerges) {
  RangeSet r;
  for (uint32_t i = 0; i < RangeSet::kMax; ++i) ASSERT_TRUE(r.add(Seq(10 * i), Seq(10 * i + 5)));
  const V before = ranges(r);
  EXPECT_FALSE(r.add(Seq(100), Seq(110)));
  EXPECT_EQ(ranges(r), before);         // unchanged
  EXPECT_TRUE(r.add(Seq(5), Seq(10)));  // merges 0-5 and 10-15: no new range needed
  EXPECT_EQ(ranges(r), (V{{0, 15}, {20, 25}, {30, 35}}));
  EXPECT_TRUE(r.add(Seq(100), Seq(110)));
}

TEST(RangeSet, DropBelowTrimsAndForgets) {
  RangeSet r;
  r.add(Seq(10), Seq(20));
  r.add(Seq(30), Seq(40));
  r.drop_below(Seq(15));
  EXPECT_EQ(ranges(r), (V{{15, 20}, {30, 40}}));
  r.drop_below(Seq(30));
  EXPECT_EQ(ranges(r), (V{{30, 40}}));
  r.drop_below(Seq(40));
  EXPECT_TRUE(r.empty());
}

TEST(RangeSet, FindAndContains) {
  RangeSet r;
  r.add(Seq(10), Seq(20));
  EXPECT_EQ(r.find(Seq(9)), nullptr);
  ASSERT_NE(r.find(Seq(10)), nullptr);
  EXPECT_EQ(r.find(Seq(19))->l, Seq(10));
  EXPECT_EQ(r.find(Seq(20)), nullptr);
  EXPECT_TRUE(r.contains(Seq(12), Seq(20)));
  EXPECT_FALSE(r.contains(Seq(12), Seq(21)));
}

TEST(RangeSet, WorksAcrossTheSequenceWrap) {
  RangeSet r;
  r.add(Seq(0xfffffff0u), Seq(0xfffffffau));
  r.add(Seq(0x5), Seq(0x10));
  EXPECT_EQ(ranges(r), (V{{0xfffffff0u, 0xfffffffau}, {0x5, 0x10}}));
  r.add(Seq(0xfffffffau), Seq(0x5));
  EXPECT_EQ(ranges(r), (V{{0xfffffff0u, 0x10}}));
  r.drop_below(Seq(0x2));
  EXPECT_EQ(ranges(r), (V{{0x2, 0x10}}));
}

// --- ByteRing and BufPool

std::string read(const ByteRing& r, uint32_t off, uint32_t n) {
  std::string s;
  for (const auto& sp : r.peek(off, n))
    s.append(reinterpret_cast<const char*>(sp.data()), sp.size());
  return s;
}
const uint8_t* u8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(ByteRing, AppendConsumeAndWrap) {
  std::vector<uint8_t> mem(8);
  ByteRing r;
  r.attach(mem.data(), 8);
  EXPECT_EQ(r.append(u8("abcdef"), 6), 6u);
  r.consume(4);  // head at 4
  EXPECT_EQ(r.space(), 6u);
  EXPECT_EQ(r.append(u8("ghijklmn"), 8), 6u);  // only 6 fit, wrapping
  EXPECT_EQ(r.size(), 8u);
  EXPECT_EQ(read(r, 0, 8), "efghijkl");
  const auto sp = r.peek(0, 8);
  EXPECT_EQ(sp[0].size(), 4u);  // two pieces: the end, then the start of mem
  EXPECT_EQ(sp[1].size(), 4u);
  EXPECT_EQ(read(r, 3, 3), "hij");
  r.consume(8);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.detach(), mem.data());
  EXPECT_FALSE(r.attached());
}

TEST(ByteRing, WriteAtBeyondTheOccupiedPartThenCommit) {
  std::vector<uint8_t> mem(8);
  ByteRing r;
  r.attach(mem.data(), 8);
  r.append(u8("abcdef"), 6);
  r.consume(5);                 // "f" at 5
  r.write_at(3, u8("xyz"), 3);  // out of order: offsets 3..5 from head (wraps)
  r.write_at(1, u8("uv"), 2);   // fills the hole
  r.commit(5);
  EXPECT_EQ(read(r, 0, 6), "fuvxyz");
}

// Data written beyond the occupied part (out-of-order reassembly) must stay
// where it is when the occupied part is consumed to empty.
TEST(ByteRing, ConsumingToEmptyKeepsDataBeyond) {
  std::vector<uint8_t> mem(16);
  ByteRing r;
  r.attach(mem.data(), 16);
  r.append(u8("abc"), 3);
  r.write_at(5, u8("XY"), 2);  // two bytes after a hole of two
  r.consume(3);                // empty now
  r.write_at(0, u8("de"), 2);
  r.commit(4);
  EXPECT_EQ(read(r, 0, 4), "deXY");
}

TEST(ByteRing, ReserveThenCommit) {
  std::vector<uint8_t> mem(8);
  ByteRing r;
  r.attach(mem.data(), 8);
  r.append(u8("abcdef"), 6);
  r.consume(6);
  r.append(u8("ab"), 2);
  auto sp = r.reserve(5);
  EXPECT_EQ(sp[0].size() + sp[1].size(), 5u);
  std::string fill = "VWXYZ";
  size_t k = 0;
  for (auto& s : sp)
    for (auto& b : s) b = static_cast<uint8_t>(fill[k++]);
  r.commit(5);
  EXPECT_EQ(read(r, 0, 7), "abVWXYZ");
}

// An empty ring starts again at the beginning of its memory: the next
// writes land there in one piece, however far the head had walked.
TEST(ByteRing, RewindIfEmptyStartsAtTheBeginning) {
  std::vector<uint8_t> mem(8);
  ByteRing r;
  r.attach(mem.data(), 8);
  r.append(u8("abcdef"), 6);
  r.consume(6);  // empty, the head at 6
  r.rewind_if_empty();
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.space(), 8u);
  const auto free = r.reserve(8);
  EXPECT_EQ(free[0].data(), mem.data());
  EXPECT_EQ(free[0].size(), 8u);
  EXPECT_EQ(free[1].size(), 0u);
  EXPECT_EQ(r.append(u8("ABCDEFGH"), 8), 8u);
  const auto sp = r.peek(0, 8);
  EXPECT_EQ(sp[0].data(), mem.data());
  EXPECT_EQ(sp[0].size(), 8u);  // not wrapped
  EXPECT_EQ(sp[1].size(), 0u);
  EXPECT_EQ(read(r, 0, 8), "ABCDEFGH");
  // Already at the start: nothing changes.
  r.consume(8);
  r.rewind_if_empty();
  r.rewind_if_empty();
  r.append(u8("xy"), 2);
  EXPECT_EQ(r.peek(0, 2)[0].data(), mem.data());
  EXPECT_EQ(read(r, 0, 2), "xy");
}

// A ring that holds anything is left alone, wrapped or not.
TEST(ByteRing, RewindIfEmptyLeavesAnOccupiedRingAlone) {
  std::vector<uint8_t> mem(8);
  ByteRing r;
  r.attach(mem.data(), 8);
  r.append(u8("abcdef"), 6);
  r.consume(4);  // "ef" at 4
  r.rewind_if_empty();
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.peek(0, 2)[0].data(), mem.data() + 4);
  EXPECT_EQ(read(r, 0, 2), "ef");
  EXPECT_EQ(r.append(u8("ghijkl"), 6), 6u);  // wraps
  r.consume(5);                              // "jkl" at 1, across nothing
  r.rewind_if_empty();
  EXPECT_EQ(r.peek(0, 3)[0].data(), mem.data() + 1);
  EXPECT_EQ(read(r, 0, 3), "jkl");
  r.consume(1);
  r.rewind_if_empty();
  EXPECT_EQ(read(r, 0, 2), "kl");
  r.consume(2);
  r.rewind_if_empty();  // now empty: back to the start
  r.append(u8("m"), 1);
  EXPECT_EQ(r.peek(0, 1)[0].data(), mem.data());
}

TEST(BufPool, HandsOutEachBlockOnce) {
  BufPool p(64, 3);
  EXPECT_EQ(p.total(), 3u);
  uint8_t* a = p.get();
  uint8_t* b = p.get();
  uint8_t* c = p.get();
  EXPECT_EQ(p.get(), nullptr);
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_EQ(p.available(), 0u);
  p.put(b);
  EXPECT_EQ(p.available(), 1u);
  EXPECT_EQ(p.get(), b);
  p.put(a);
  p.put(b);
  p.put(c);
  EXPECT_EQ(p.available(), 3u);
}

// --- TimerWheel

TEST(TimerWheel, FiresAtTheTickNotBefore) {
  TimerWheel w(8);
  std::vector<uint32_t> fired;
  auto fire = [&](uint32_t id) { fired.push_back(id); };
  w.advance(100, fire);
  w.schedule(1, 105);
  w.schedule(2, 103);
  EXPECT_EQ(w.armed_count(), 2u);
  w.advance(102, fire);
  EXPECT_TRUE(fired.empty());
  w.advance(103, fire);
  EXPECT_EQ(fired, std::vector<uint32_t>{2});
  w.advance(110, fire);
  EXPECT_EQ(fired, (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(w.armed_count(), 0u);
}

TEST(TimerWheel, PastDeadlineFiresOnNextAdvance) {
  TimerWheel w(4);
  std::vector<uint32_t> fired;
  auto fire = [&](uint32_t id) { fired.push_back(id); };
  w.advance(50, fire);
  w.schedule(0, 10);
  EXPECT_EQ(w.deadline(0), 51u);
  w.advance(51, fire);
  EXPECT_EQ(fired, std::vector<uint32_t>{0});
}

TEST(TimerWheel, CancelAndReschedule) {
  TimerWheel w(4);
  std::vector<uint32_t> fired;
  auto fire = [&](uint32_t id) { fired.push_back(id); };
  w.schedule(0, 10);
  w.schedule(1, 10);
  w.schedule(2, 10);
  w.cancel(1);
  w.cancel(1);  // twice is harmless
  w.schedule(2, 20);
  EXPECT_EQ(w.armed_count(), 2u);
  w.advance(15, fire);
  EXPECT_EQ(fired, std::vector<uint32_t>{0});
  w.advance(20, fire);
  EXPECT_EQ(fired, (std::vector<uint32_t>{0, 2}));
}

// A deadline more than one lap ahead waits in its slot for later laps.
TEST(TimerWheel, FarDeadlineFiresExactlyOnTime) {
  TimerWheel w(4);
  std::vector<uint64_t> fired_at;
  uint64_t now = 0;
  auto fire = [&](uint32_t) { fired_at.push_back(now); };
  const uint64_t far = 3 * TimerWheel::kSlots + 17;
  w.schedule(0, far);
  w.schedule(1, TimerWheel::kSlots);  // same slot as tick 0, one lap on
  for (now = 1; now <= far + 5; ++now) w.advance(now, fire);
  EXPECT_EQ(fired_at, (std::vector<uint64_t>{TimerWheel::kSlots, far}));
}

// A jump over many laps at once still fires every due timer, once.
TEST(TimerWheel, LongJumpFiresEverythingDueOnce) {
  TimerWheel w(16);
  std::vector<uint32_t> fired;
  auto fire = [&](uint32_t id) { fired.push_back(id); };
  for (uint32_t i = 0; i < 10; ++i) w.schedule(i, 1 + i * 1000);
  w.schedule(10, 100000);
  w.advance(50000, fire);
  EXPECT_EQ(fired.size(), 10u);
  EXPECT_TRUE(w.armed(10));
  w.advance(99999, fire);
  EXPECT_EQ(fired.size(), 10u);
  w.advance(100000, fire);
  EXPECT_EQ(fired.size(), 11u);
}

// fire() may re-arm the timer that fires, cancel or move others in the same
// slot, and the walk over the slot stays correct.
TEST(TimerWheel, ReArmingInsideFire) {
  TimerWheel w(8);
  std::vector<std::pair<uint32_t, uint64_t>> log;
  uint64_t now = 0;
  int zero = 0;
  auto fire = [&](uint32_t id) {
    log.emplace_back(id, now);
    if (id == 0 && ++zero < 4) w.schedule(0, now + 10);    // periodic
    if (id == 1) w.cancel(2);                              // the next one in the slot
    if (id == 3) w.schedule(4, now + TimerWheel::kSlots);  // into this slot, next lap
  };
  // All share slot 5; each is pushed at the head: the walk is 0, 4, 3, 1, 2.
  w.schedule(2, 5);
  w.schedule(1, 5);
  w.schedule(3, 5);
  w.schedule(4, 5);
  w.schedule(0, 5);
  for (now = 1; now <= 40; ++now) w.advance(now, fire);
  const std::vector<std::pair<uint32_t, uint64_t>> want = {{0, 5},  {4, 5},  {3, 5}, {1, 5},
                                                           {0, 15}, {0, 25}, {0, 35}};
  EXPECT_EQ(log, want);
  EXPECT_FALSE(w.armed(2));
  EXPECT_TRUE(w.armed(4));
  EXPECT_EQ(w.deadline(4), 5 + TimerWheel::kSlots);
  EXPECT_EQ(w.armed_count(), 1u);
}

// Re-arming into the slot being walked, as the one firing, does not loop.
TEST(TimerWheel, ReArmSameSlotNextLapInsideFire) {
  TimerWheel w(2);
  int n = 0;
  auto fire = [&](uint32_t id) {
    ++n;
    w.schedule(id, w.now() + TimerWheel::kSlots);
  };
  w.schedule(0, 7);
  w.schedule(1, 7);
  w.advance(7, fire);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(w.deadline(0), 7 + TimerWheel::kSlots);
  w.advance(7 + TimerWheel::kSlots - 1, fire);
  EXPECT_EQ(n, 2);
  w.advance(7 + TimerWheel::kSlots, fire);
  EXPECT_EQ(n, 4);
}

// --- ListenerTable

net::IpAddr A(uint32_t be) { return net::IpAddr::of(net::Ipv4Addr{be}); }
net::IpAddr A6(const char* s) { return net::IpAddr::of(*net::parse_ipv6(s)); }

ListenSpec spec(net::IpAddr ip, uint16_t port, ServiceKind k = service::kind::Echo) {
  return ListenSpec{.ip = ip, .port = port, .service = {.kind = k}};
}
ListenSpec spec(uint32_t ip, uint16_t port, ServiceKind k = service::kind::Echo) {
  return spec(A(ip), port, k);
}

TEST(ListenerTable, ExactBeatsWildcard) {
  ListenerTable t;
  const int wild = t.add(spec(0, 80, service::kind::Discard));
  const int exact = t.add(spec(0x0100000a, 80, service::kind::Http));
  ASSERT_GE(wild, 0);
  ASSERT_GE(exact, 0);
  ListenerTable::Match m;
  EXPECT_EQ(t.lookup(A(0x0100000a), 80, m), exact);
  EXPECT_EQ(m, ListenerTable::Match::Exact);
  EXPECT_EQ(t.lookup(A(0x0200000a), 80, m), wild);
  EXPECT_EQ(m, ListenerTable::Match::Wildcard);
  EXPECT_EQ(t.lookup(A(0x0100000a), 81, m), Listener::kNoListener);
  EXPECT_EQ(m, ListenerTable::Match::None);
  EXPECT_EQ(t.size(), 2u);

  // Added in the other order, the same answers.
  ListenerTable u;
  const int e2 = u.add(spec(0x0100000a, 80));
  const int w2 = u.add(spec(0, 80));
  EXPECT_EQ(u.lookup(A(0x0100000a), 80, m), e2);
  EXPECT_EQ(u.lookup(A(0x0300000a), 80, m), w2);
}

TEST(ListenerTable, DuplicateIsRefused) {
  ListenerTable t;
  ASSERT_GE(t.add(spec(0, 7)), 0);
  EXPECT_EQ(t.add(spec(0, 7)), -EEXIST);
  EXPECT_GE(t.add(spec(0x0100000a, 7)), 0);  // another address, same port: fine
  EXPECT_EQ(t.add(spec(0x0100000a, 7)), -EEXIST);
  EXPECT_EQ(t.size(), 2u);
}

TEST(ListenerTable, RemoveUnlinksOnlyThatListener) {
  ListenerTable t;
  const int a = t.add(spec(0, 80));
  const int b = t.add(spec(0x0100000a, 80));
  const int c = t.add(spec(0x0200000a, 80));
  EXPECT_EQ(t.remove(A(0x0100000a), 80), b);
  EXPECT_EQ(t.remove(A(0x0100000a), 80), -ENOENT);
  ListenerTable::Match m;
  EXPECT_EQ(t.lookup(A(0x0100000a), 80, m), a);  // falls back to the wildcard
  EXPECT_EQ(m, ListenerTable::Match::Wildcard);
  EXPECT_EQ(t.lookup(A(0x0200000a), 80, m), c);
  EXPECT_EQ(t.remove(A(0), 80), a);
  EXPECT_EQ(t.lookup(A(0x0100000a), 80, m), Listener::kNoListener);
  EXPECT_EQ(t.lookup(A(0x0200000a), 80, m), c);
  EXPECT_EQ(t.size(), 1u);
  // The freed slots are used again.
  EXPECT_GE(t.add(spec(0, 80)), 0);
  EXPECT_EQ(t.size(), 2u);
}

// 0.0.0.0 takes IPv4 only and [::] IPv6 only; an exact IPv6 address beats
// [::] as an exact IPv4 one beats 0.0.0.0.
TEST(ListenerTable, WildcardsAreOnePerFamily) {
  ListenerTable t;
  const int w4 = t.add(spec(0, 80, service::kind::Discard));
  ListenerTable::Match m;
  EXPECT_EQ(t.lookup(A6("2001:2::1"), 80, m), Listener::kNoListener);  // a v4 listener, a v6 SYN
  EXPECT_EQ(m, ListenerTable::Match::None);
  const int w6 = t.add(spec(A6("::"), 80, service::kind::Http));
  const int e6 = t.add(spec(A6("2001:2::1"), 80, service::kind::Echo));
  ASSERT_GE(w6, 0);
  ASSERT_GE(e6, 0);
  EXPECT_EQ(t.add(spec(A6("::"), 80)), -EEXIST);
  EXPECT_EQ(t.lookup(A6("2001:2::1"), 80, m), e6);
  EXPECT_EQ(m, ListenerTable::Match::Exact);
  EXPECT_EQ(t.lookup(A6("2001:2::2"), 80, m), w6);
  EXPECT_EQ(m, ListenerTable::Match::Wildcard);
  EXPECT_EQ(t.lookup(A(0x0100000a), 80, m), w4);
  EXPECT_EQ(m, ListenerTable::Match::Wildcard);
  // Removing [::] leaves IPv6 SYNs to other addresses without a listener.
  EXPECT_EQ(t.remove(A6("::"), 80), w6);
  EXPECT_EQ(t.lookup(A6("2001:2::2"), 80, m), Listener::kNoListener);
  EXPECT_EQ(t.lookup(A(0x0200000a), 80, m), w4);
}

TEST(ListenerTable, FullTableSaysNoSpace) {
  ListenerTable t;
  for (uint16_t i = 0; i < ListenerTable::kMax; ++i) ASSERT_GE(t.add(spec(0, 1000 + i)), 0);
  EXPECT_EQ(t.add(spec(0, 5)), -ENOSPC);
  uint32_t n = 0;
  t.for_each([&](uint16_t, const Listener&) { ++n; });
  EXPECT_EQ(n, ListenerTable::kMax);
}

}  // namespace
}  // namespace pmx::tcp
