// Reply steering (lib/port/steer.hpp): the software Toeplitz hash against
// Microsoft's verification vectors, and the per-worker source tuple pools
// against an independent, bit-by-bit Toeplitz written from Microsoft's
// pseudocode. No EAL (query_rss() needs a port and is not covered here).
#include "port/steer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace pmx::port {
namespace {

constexpr uint32_t ip4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

const std::vector<uint8_t> kMsKey = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                     0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                     0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                     0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

std::vector<uint8_t> sym_key() {
  std::vector<uint8_t> k(40);
  for (size_t i = 0; i < k.size(); ++i) k[i] = (i % 2) ? 0x5a : 0x6d;
  return k;
}

// Microsoft's ComputeHash(): for each input bit, left to right, XOR in the
// leftmost 32 bits of K if the bit is set, then shift K left by one.
uint32_t ref_toeplitz(const std::vector<uint8_t>& key, const std::vector<uint8_t>& in) {
  auto key_bit = [&](size_t pos) -> uint32_t {
    return pos / 8 < key.size() ? (key[pos / 8] >> (7 - pos % 8)) & 1u : 0u;
  };
  uint32_t result = 0;
  for (size_t i = 0; i < in.size() * 8; ++i) {
    if (!((in[i / 8] >> (7 - i % 8)) & 1u)) continue;
    uint32_t window = 0;
    for (size_t j = 0; j < 32; ++j) window = window << 1 | key_bit(i + j);
    result ^= window;
  }
  return result;
}

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}
void put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}

// The received reply: SourceAddress | DestinationAddress | SourcePort | DestinationPort.
uint32_t ref_reply_hash(const std::vector<uint8_t>& key, uint32_t sip, uint16_t sport, uint32_t lip,
                        uint16_t lport) {
  std::vector<uint8_t> in;
  put32(in, sip);
  put32(in, lip);
  put16(in, sport);
  put16(in, lport);
  return ref_toeplitz(key, in);
}

// Microsoft "Verifying the RSS hash calculation", IPv4 table (= DPDK
// app/test/test_thash.c v4_tbl).
struct Vec {
  uint32_t dst_ip;
  uint16_t dst_port;
  uint32_t src_ip;
  uint16_t src_port;
  uint32_t l3, l4;
};
const Vec kVectors[] = {
    {ip4(161, 142, 100, 80), 1766, ip4(66, 9, 149, 187), 2794, 0x323e8fc2, 0x51ccc178},
    {ip4(65, 69, 140, 83), 4739, ip4(199, 92, 111, 2), 14230, 0xd718262a, 0xc626b0ea},
    {ip4(12, 22, 207, 184), 38024, ip4(24, 19, 198, 95), 12898, 0xd2d0a5de, 0x5c2b394a},
    {ip4(209, 142, 163, 6), 2217, ip4(38, 27, 205, 30), 48228, 0x82989176, 0xafc7327f},
    {ip4(202, 188, 127, 2), 1303, ip4(153, 39, 163, 191), 44251, 0x5d1809c5, 0x10e828a2},
};

TEST(Steer, SelfTestPasses) { EXPECT_TRUE(softrss_selftest()); }

TEST(Steer, MicrosoftVectors) {
  for (const Vec& v : kVectors) {
    // The packet of the table runs src -> dst: src plays the server.
    EXPECT_EQ(reply_hash(kMsKey, v.src_ip, v.src_port, v.dst_ip, v.dst_port), v.l4);
    EXPECT_EQ(reply_hash_l3(kMsKey, v.src_ip, v.dst_ip), v.l3);
    // The reference implementation agrees with the table too.
    EXPECT_EQ(ref_reply_hash(kMsKey, v.src_ip, v.src_port, v.dst_ip, v.dst_port), v.l4);
    std::vector<uint8_t> l3;
    put32(l3, v.src_ip);
    put32(l3, v.dst_ip);
    EXPECT_EQ(ref_toeplitz(kMsKey, l3), v.l3);
    // Swapping the direction changes the hash with this key.
    EXPECT_NE(reply_hash(kMsKey, v.dst_ip, v.dst_port, v.src_ip, v.src_port), v.l4);
  }
}

TEST(Steer, SymmetricKeyIsSymmetric) {
  const auto k = sym_key();
  for (const Vec& v : kVectors) {
    uint32_t fwd = reply_hash(k, v.src_ip, v.src_port, v.dst_ip, v.dst_port);
    EXPECT_EQ(fwd, reply_hash(k, v.dst_ip, v.dst_port, v.src_ip, v.src_port));
    EXPECT_EQ(fwd, ref_reply_hash(k, v.src_ip, v.src_port, v.dst_ip, v.dst_port));
  }
}

TEST(Steer, SoftRssMatchesReferenceOnManyTuples) {
  const auto sk = sym_key();
  uint32_t x = 12345;
  auto rnd = [&] { return x = x * 1664525u + 1013904223u; };
  for (int i = 0; i < 2000; ++i) {
    uint32_t sip = rnd(), lip = rnd();
    auto sp = static_cast<uint16_t>(rnd() >> 16), lp = static_cast<uint16_t>(rnd() >> 16);
    ASSERT_EQ(reply_hash(kMsKey, sip, sp, lip, lp), ref_reply_hash(kMsKey, sip, sp, lip, lp));
    ASSERT_EQ(reply_hash(sk, sip, sp, lip, lp), ref_reply_hash(sk, sip, sp, lip, lp));
  }
}

std::vector<uint16_t> round_robin(size_t n, uint16_t queues) {
  std::vector<uint16_t> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = static_cast<uint16_t>(i % queues);
  return r;
}

RssInfo toeplitz(std::vector<uint8_t> key, std::vector<uint16_t> reta, uint16_t nq) {
  RssInfo r;
  r.mode = RssInfo::Mode::Toeplitz;
  r.key = std::move(key);
  r.reta = std::move(reta);
  r.nb_queues = nq;
  r.why = "test";
  return r;
}

PoolSpec spec(uint16_t workers,
              std::vector<uint32_t> ips = {ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), ip4(10, 0, 1, 7)},
              uint16_t lo = 32768, uint16_t hi = 32768 + 1499) {
  PoolSpec s;
  s.server_ip = ip4(192, 168, 5, 9);
  s.server_port = 443;
  s.src_ips = std::move(ips);
  s.port_lo = lo;
  s.port_hi = hi;
  s.workers = workers;
  return s;
}

// Checks every TuplePools invariant with `queue_of` recomputed independently.
template <typename QueueOf>
void check_pools(const TuplePools& tp, const PoolSpec& s, QueueOf queue_of) {
  ASSERT_EQ(tp.per_worker.size(), s.workers);
  std::set<std::pair<uint32_t, uint16_t>> seen;
  for (size_t w = 0; w < tp.per_worker.size(); ++w) {
    const auto& pool = tp.per_worker[w];
    for (size_t k = 0; k < pool.size(); ++k) {
      const SrcTuple& t = pool[k];
      ASSERT_EQ(queue_of(t), w) << "worker " << w << " tuple " << t.ip << ":" << t.port;
      ASSERT_TRUE(seen.insert({t.ip, t.port}).second) << "tuple in two pools or twice";
      ASSERT_GE(t.port, s.port_lo);
      ASSERT_LE(t.port, s.port_hi);
      ASSERT_NE(std::find(s.src_ips.begin(), s.src_ips.end(), t.ip), s.src_ips.end());
      if (k) {  // ports ascending, IPs in spec order within a port
        const SrcTuple& prev = pool[k - 1];
        ASSERT_LE(prev.port, t.port);
        if (prev.port == t.port) {
          auto pi = std::find(s.src_ips.begin(), s.src_ips.end(), prev.ip);
          auto ti = std::find(s.src_ips.begin(), s.src_ips.end(), t.ip);
          ASSERT_LT(pi, ti);
        }
      }
    }
  }
  // Complete: every tuple whose queue is a worker's is in some pool.
  size_t expect = 0;
  for (uint32_t ip : s.src_ips)
    for (uint32_t p = s.port_lo; p <= s.port_hi; ++p)
      if (queue_of(SrcTuple{ip, static_cast<uint16_t>(p)}) < s.workers) ++expect;
  EXPECT_EQ(seen.size(), expect);
}

void check_toeplitz(const RssInfo& info, const PoolSpec& s) {
  TuplePools tp = build_tuple_pools(info, s);
  ASSERT_TRUE(tp.ok()) << tp.error;
  auto ref_queue = [&](const SrcTuple& t) -> size_t {
    uint32_t h = ref_reply_hash(info.key, s.server_ip, s.server_port, t.ip, t.port);
    return info.reta[h % info.reta.size()];
  };
  check_pools(tp, s, ref_queue);
  // reply_queue() agrees (that is what the generator may assert on).
  for (size_t w = 0; w < tp.per_worker.size(); ++w)
    for (size_t k = 0; k < tp.per_worker[w].size(); k += 97) {
      const SrcTuple& t = tp.per_worker[w][k];
      EXPECT_EQ(reply_queue(info, s.server_ip, s.server_port, t.ip, t.port), w);
    }
}

TEST(SteerPools, ToeplitzRoundRobinTwoQueues) {
  check_toeplitz(toeplitz(kMsKey, round_robin(128, 2), 2), spec(2));
  check_toeplitz(toeplitz(sym_key(), round_robin(128, 2), 2), spec(2));
}

TEST(SteerPools, ToeplitzRoundRobinThreeQueues) {
  check_toeplitz(toeplitz(kMsKey, round_robin(128, 3), 3), spec(3));
  check_toeplitz(toeplitz(sym_key(), round_robin(128, 3), 3), spec(3));
  // A 512-entry RETA (i40e, mlx5) and a single source IP.
  check_toeplitz(toeplitz(kMsKey, round_robin(512, 3), 3), spec(3, {ip4(10, 9, 8, 7)}));
}

TEST(SteerPools, ToeplitzUnevenReta) {
  // 96 entries to queue 0, 24 to 1, 4 to 2, and 4 to a queue (3) beyond
  // the workers, whose tuples nobody may take.
  std::vector<uint16_t> reta(128);
  for (size_t i = 0; i < reta.size(); ++i)
    reta[i] = i % 16 < 12 ? 0 : i % 16 < 15 ? 1 : (i % 32 == 15 ? 2 : 3);
  for (const auto& key : {kMsKey, sym_key()}) {
    RssInfo info = toeplitz(key, reta, 4);
    check_toeplitz(info, spec(3));
    TuplePools tp = build_tuple_pools(info, spec(3));
    EXPECT_GT(tp.per_worker[0].size(), tp.per_worker[1].size());
    EXPECT_GT(tp.per_worker[1].size(), tp.per_worker[2].size());
  }
}

TEST(SteerPools, ToeplitzFullEphemeralRange) {
  // The whole Linux default range from two IPs: the shortcut through
  // linearity must still agree with rte_softrss on every tuple.
  RssInfo info = toeplitz(sym_key(), round_robin(128, 4), 4);
  PoolSpec s = spec(4, {ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)}, 32768, 60999);
  TuplePools tp = build_tuple_pools(info, s);
  ASSERT_TRUE(tp.ok()) << tp.error;
  size_t total = 0;
  for (size_t w = 0; w < 4; ++w) {
    total += tp.per_worker[w].size();
    for (const SrcTuple& t : tp.per_worker[w])
      ASSERT_EQ(reply_queue(info, s.server_ip, s.server_port, t.ip, t.port), w);
    // Round robin RETA: each worker gets roughly a quarter.
    EXPECT_GT(tp.per_worker[w].size(), 2 * 28232 / 4 * 9 / 10);
  }
  EXPECT_EQ(total, 2u * 28232u);
}

TEST(SteerPools, EmptyPoolIsAnError) {
  // The RETA never names queue 2 (nor 1 in the second case).
  TuplePools tp = build_tuple_pools(toeplitz(kMsKey, round_robin(128, 2), 3), spec(3));
  EXPECT_FALSE(tp.ok());
  EXPECT_NE(tp.error.find("worker(s) 2 "), std::string::npos) << tp.error;
  ASSERT_EQ(tp.per_worker.size(), 3u);
  EXPECT_TRUE(tp.per_worker[2].empty());
  EXPECT_FALSE(tp.per_worker[0].empty());

  tp = build_tuple_pools(toeplitz(kMsKey, std::vector<uint16_t>(128, 0), 3), spec(3));
  EXPECT_NE(tp.error.find("worker(s) 1, 2 "), std::string::npos) << tp.error;
}

TEST(SteerPools, QueuePairSlices) {
  RssInfo info;
  info.mode = RssInfo::Mode::QueuePair;
  info.nb_queues = 3;
  PoolSpec s = spec(3, {ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)}, 1000, 1100);
  TuplePools tp = build_tuple_pools(info, s);
  ASSERT_TRUE(tp.ok()) << tp.error;
  check_pools(tp, s, [](const SrcTuple& t) -> size_t { return t.port % 3; });
  size_t total = 0;
  for (const auto& p : tp.per_worker) total += p.size();
  EXPECT_EQ(total, 2u * 101u);                     // every tuple, once
  EXPECT_EQ(reply_queue(info, 0, 0, 0, 1000), 1);  // 1000 % 3
}

TEST(SteerPools, SingleQueueTakesEverything) {
  RssInfo info;
  info.mode = RssInfo::Mode::Single;
  info.nb_queues = 1;
  PoolSpec s = spec(1, {ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)}, 40000, 40009);
  TuplePools tp = build_tuple_pools(info, s);
  ASSERT_TRUE(tp.ok()) << tp.error;
  ASSERT_EQ(tp.per_worker.size(), 1u);
  check_pools(tp, s, [](const SrcTuple&) -> size_t { return 0; });
  ASSERT_EQ(tp.per_worker[0].size(), 20u);
  // Interleaved: consecutive picks alternate the source IP.
  EXPECT_EQ(tp.per_worker[0][0], (SrcTuple{ip4(10, 0, 0, 1), 40000}));
  EXPECT_EQ(tp.per_worker[0][1], (SrcTuple{ip4(10, 0, 0, 2), 40000}));
  EXPECT_EQ(tp.per_worker[0][2], (SrcTuple{ip4(10, 0, 0, 1), 40001}));
  // Two workers on one queue: worker 1 would never see a reply.
  EXPECT_FALSE(build_tuple_pools(info, spec(2)).ok());
}

TEST(SteerPools, RefusesWhatItCannotSteer) {
  RssInfo un;
  un.mode = RssInfo::Mode::Unpredictable;
  un.nb_queues = 2;
  un.why = "port 0 (net_af_packet): the PMD has no RSS";
  TuplePools tp = build_tuple_pools(un, spec(2));
  EXPECT_FALSE(tp.ok());
  EXPECT_NE(tp.error.find("net_af_packet"), std::string::npos);
  EXPECT_TRUE(tp.per_worker.empty());
  EXPECT_EQ(reply_queue(un, 1, 2, 3, 4), kNoQueue);

  // RETA size not a power of two; key too short.
  EXPECT_FALSE(build_tuple_pools(toeplitz(kMsKey, round_robin(100, 2), 2), spec(2)).ok());
  EXPECT_EQ(reply_queue(toeplitz(kMsKey, round_robin(100, 2), 2), 1, 2, 3, 4), kNoQueue);
  EXPECT_FALSE(build_tuple_pools(toeplitz({1, 2, 3}, round_robin(128, 2), 2), spec(2)).ok());

  // Bad specs.
  RssInfo ok = toeplitz(kMsKey, round_robin(128, 2), 2);
  EXPECT_FALSE(build_tuple_pools(ok, spec(0)).ok());
  EXPECT_FALSE(build_tuple_pools(ok, spec(2, {})).ok());
  EXPECT_FALSE(build_tuple_pools(ok, spec(2, {1, 2, 1})).ok());
  EXPECT_FALSE(build_tuple_pools(ok, spec(2, {1}, 0, 10)).ok());
  EXPECT_FALSE(build_tuple_pools(ok, spec(2, {1}, 20, 10)).ok());
  // The top port is reachable without the loop wrapping.
  TuplePools top = build_tuple_pools(ok, spec(2, {1, 2, 3, 4}, 65500, 65535));
  ASSERT_TRUE(top.ok()) << top.error;
  EXPECT_EQ(top.per_worker[0].size() + top.per_worker[1].size(), 4u * 36u);
}

// ---- passive_owner(): which worker owns a connection we accepted

constexpr uint32_t kLocal = ip4(198, 18, 0, 1), kPeer = ip4(198, 18, 0, 2);

TEST(PassiveOwner, ToeplitzIsTheQueueTheNicPicks) {
  // With RSS the owner is where the NIC delivers the segments: the
  // reference Toeplitz over the received segment (peer -> us), then the
  // RETA. Then nothing needs a handoff.
  for (const auto& key : {kMsKey, sym_key()}) {
    const RssInfo info = toeplitz(key, round_robin(128, 3), 3);
    for (uint16_t rp = 40000; rp < 40500; ++rp) {
      const uint32_t h = ref_reply_hash(key, kPeer, rp, kLocal, 80);
      ASSERT_EQ(passive_owner(info, kLocal, 80, kPeer, rp, 3), info.reta[h % 128]) << rp;
    }
  }
}

TEST(PassiveOwner, ToeplitzQueueBeyondTheWorkersFallsBackToTheHash) {
  RssInfo info = toeplitz(kMsKey, std::vector<uint16_t>(128, 5), 6);  // every entry: queue 5
  for (uint16_t rp = 40000; rp < 40100; ++rp) {
    const uint16_t o = passive_owner(info, kLocal, 80, kPeer, rp, 2);
    EXPECT_LT(o, 2);
    info.mode = RssInfo::Mode::Unpredictable;
    EXPECT_EQ(o, passive_owner(info, kLocal, 80, kPeer, rp, 2));
    info.mode = RssInfo::Mode::Toeplitz;
  }
}

TEST(PassiveOwner, QueuePairFollowsThePeersPort) {
  RssInfo info;
  info.mode = RssInfo::Mode::QueuePair;
  info.nb_queues = 2;
  EXPECT_EQ(passive_owner(info, kLocal, 80, kPeer, 50000, 2), 0);
  EXPECT_EQ(passive_owner(info, kLocal, 80, kPeer, 50001, 2), 1);
  EXPECT_EQ(passive_owner(info, kLocal, 81, kPeer, 50001, 2), 1);  // our port does not matter
}

TEST(PassiveOwner, SingleQueueAndOneWorkerAreWorkerZero) {
  RssInfo info;
  info.mode = RssInfo::Mode::Single;
  EXPECT_EQ(passive_owner(info, kLocal, 80, kPeer, 50001, 4), 0);
  info.mode = RssInfo::Mode::Unpredictable;
  for (uint16_t rp = 1; rp < 200; ++rp) EXPECT_EQ(passive_owner(info, kLocal, 80, kPeer, rp, 1), 0);
}

TEST(PassiveOwner, UnpredictableSpreadsEvenlyAndIsSymmetric) {
  RssInfo info;  // Unpredictable (net_af_packet with qpairs > 1)
  for (uint16_t workers : {2, 3, 4, 7}) {
    std::vector<unsigned> per(workers);
    for (uint32_t c = 0; c < 4; ++c)
      for (uint32_t rp = 32768; rp < 32768 + 4000; ++rp) {
        const uint16_t o =
            passive_owner(info, kLocal, 8080, kPeer + c, static_cast<uint16_t>(rp), workers);
        ASSERT_LT(o, workers);
        ++per[o];
        // The rule is a function of the tuple: the same answer every time,
        // and the hash does not depend on which end is "local".
        ASSERT_EQ(o,
                  passive_owner(info, kLocal, 8080, kPeer + c, static_cast<uint16_t>(rp), workers));
        ASSERT_EQ(sym_tuple_hash(kLocal, 8080, kPeer + c, static_cast<uint16_t>(rp)),
                  sym_tuple_hash(kPeer + c, static_cast<uint16_t>(rp), kLocal, 8080));
      }
    // 16,000 tuples: each worker within 10 % of its fair share.
    for (unsigned n : per) {
      EXPECT_GT(n, 16000 / workers * 9 / 10) << workers;
      EXPECT_LT(n, 16000 / workers * 11 / 10) << workers;
    }
  }
}

}  // namespace
}  // namespace pmx::port
