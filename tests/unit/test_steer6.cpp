// Reply steering over IPv6 (lib/port/steer.hpp): reply_hash6 against the
// IPv6 table of Microsoft's "Verifying the RSS hash calculation", the v6
// tuple pools with every invariant checked on every tuple against an
// independent bit-by-bit Toeplitz, and passive_owner6(). No EAL.
#include "port/steer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace pmx::port {
namespace {

const std::vector<uint8_t> kMsKey = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                     0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                     0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                     0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

std::vector<uint8_t> sym_key() {
  std::vector<uint8_t> k(40);
  for (size_t i = 0; i < k.size(); ++i) k[i] = (i % 2) ? 0x5a : 0x6d;
  return k;
}

net::Ipv6Addr v6(const char* s) {
  auto a = net::parse_ipv6(s);
  EXPECT_TRUE(a) << s;
  return a.value_or(net::Ipv6Addr{});
}

// Microsoft's ComputeHash() (see test_steer.cpp), written again here so that
// this file checks rte_softrss on the IPv6 layout independently.
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

// SourceAddress | DestinationAddress [| SourcePort | DestinationPort], wire order.
uint32_t ref_hash6(const std::vector<uint8_t>& key, const net::Ipv6Addr& sip, uint16_t sport,
                   const net::Ipv6Addr& lip, uint16_t lport, bool l4 = true) {
  std::vector<uint8_t> in(sip.b.begin(), sip.b.end());
  in.insert(in.end(), lip.b.begin(), lip.b.end());
  if (l4) {
    for (uint16_t p : {sport, lport}) {
      in.push_back(static_cast<uint8_t>(p >> 8));
      in.push_back(static_cast<uint8_t>(p));
    }
  }
  return ref_toeplitz(key, in);
}

// Microsoft "Verifying the RSS hash calculation", IPv6 table (the packet
// runs src -> dst; in reply terms src is the server).
struct Vec6 {
  const char* dst;
  uint16_t dst_port;
  const char* src;
  uint16_t src_port;
  uint32_t l3, l4;
};
const Vec6 kVectors6[] = {
    {"3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d},
    {"ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf},
    {"fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4b61e985,
     0x02d1feef},
};

TEST(Steer6, MicrosoftIpv6Vectors) {
  for (const Vec6& v : kVectors6) {
    const net::Ipv6Addr d = v6(v.dst), s = v6(v.src);
    EXPECT_EQ(reply_hash6(kMsKey, s, v.src_port, d, v.dst_port), v.l4) << v.src;
    EXPECT_EQ(reply_hash6_l3(kMsKey, s, d), v.l3) << v.src;
    EXPECT_EQ(ref_hash6(kMsKey, s, v.src_port, d, v.dst_port), v.l4) << v.src;
    EXPECT_EQ(ref_hash6(kMsKey, s, 0, d, 0, false), v.l3) << v.src;
    EXPECT_NE(reply_hash6(kMsKey, d, v.dst_port, s, v.src_port), v.l4) << v.src;
    // The symmetric key hashes both directions alike.
    EXPECT_EQ(reply_hash6(sym_key(), s, v.src_port, d, v.dst_port),
              reply_hash6(sym_key(), d, v.dst_port, s, v.src_port));
  }
  // The start-up self-test covers these rows too.
  EXPECT_TRUE(softrss_selftest());
}

TEST(Steer6, SoftRssMatchesReferenceOnManyTuples) {
  uint32_t x = 4242;
  auto rnd = [&] { return x = x * 1664525u + 1013904223u; };
  for (int i = 0; i < 1000; ++i) {
    net::Ipv6Addr a, b;
    for (auto& byte : a.b) byte = static_cast<uint8_t>(rnd() >> 24);
    for (auto& byte : b.b) byte = static_cast<uint8_t>(rnd() >> 24);
    auto sp = static_cast<uint16_t>(rnd() >> 16), lp = static_cast<uint16_t>(rnd() >> 16);
    ASSERT_EQ(reply_hash6(kMsKey, a, sp, b, lp), ref_hash6(kMsKey, a, sp, b, lp));
    ASSERT_EQ(reply_hash6(sym_key(), a, sp, b, lp), ref_hash6(sym_key(), a, sp, b, lp));
  }
}

std::vector<uint16_t> round_robin(size_t n, uint16_t queues) {
  std::vector<uint16_t> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = static_cast<uint16_t>(i % queues);
  return r;
}

RssInfo toeplitz6(std::vector<uint8_t> key, std::vector<uint16_t> reta, uint16_t nq) {
  RssInfo r;
  r.mode = RssInfo::Mode::Toeplitz;
  r.key = std::move(key);
  r.reta = std::move(reta);
  r.nb_queues = nq;
  r.v6_tcp = true;
  r.why = "test";
  return r;
}

// Sources 2001:2::1, 2001:2::2 and one across a 32-bit boundary of the low
// half; server [2001:2:0:1::80]:443.
PoolSpec spec6(uint16_t workers, uint16_t lo = 32768, uint16_t hi = 32768 + 1499) {
  PoolSpec s;
  s.v6 = true;
  s.server6 = v6("2001:2:0:1::80");
  s.server_port = 443;
  s.src_ips6 = {v6("2001:2::1"), v6("2001:2::2"), v6("2001:2::1:0:0")};
  s.port_lo = lo;
  s.port_hi = hi;
  s.workers = workers;
  return s;
}

// Every TuplePools invariant (steer.hpp) over every tuple, with the queue
// recomputed by ref_hash6(), plus reply_queue6() on each.
void check_pools6(const RssInfo& info, const PoolSpec& s) {
  const TuplePools tp = build_tuple_pools(info, s);
  ASSERT_TRUE(tp.ok()) << tp.error;
  ASSERT_EQ(tp.per_worker.size(), s.workers);
  auto ref_queue = [&](uint32_t ip, uint16_t port) -> size_t {
    const uint32_t h = ref_hash6(info.key, s.server6, s.server_port, s.src_ips6.at(ip), port);
    return info.reta[h % info.reta.size()];
  };
  std::set<std::pair<uint32_t, uint16_t>> seen;
  for (size_t w = 0; w < s.workers; ++w) {
    const auto& pool = tp.per_worker[w];
    ASSERT_FALSE(pool.empty()) << w;
    for (size_t k = 0; k < pool.size(); ++k) {
      const SrcTuple& t = pool[k];
      ASSERT_LT(t.ip, s.src_ips6.size());
      ASSERT_EQ(ref_queue(t.ip, t.port), w);
      ASSERT_EQ(reply_queue6(info, s.server6, s.server_port, s.src_ips6[t.ip], t.port), w);
      ASSERT_TRUE(seen.insert({t.ip, t.port}).second) << "tuple in two pools or twice";
      ASSERT_GE(t.port, s.port_lo);
      ASSERT_LE(t.port, s.port_hi);
      if (k) {  // ports ascending, addresses in spec order within a port
        const SrcTuple& prev = pool[k - 1];
        ASSERT_LE(prev.port, t.port);
        if (prev.port == t.port) {
          ASSERT_LT(prev.ip, t.ip);
        }
      }
    }
  }
  size_t expect = 0;  // complete: every tuple whose queue is a worker's
  for (uint32_t ip = 0; ip < s.src_ips6.size(); ++ip)
    for (uint32_t p = s.port_lo; p <= s.port_hi; ++p)
      if (ref_queue(ip, static_cast<uint16_t>(p)) < s.workers) ++expect;
  EXPECT_EQ(seen.size(), expect);
}

TEST(Steer6Pools, ToeplitzInvariantsOnEveryTuple) {
  for (const auto& key : {kMsKey, sym_key()}) {
    check_pools6(toeplitz6(key, round_robin(128, 2), 2), spec6(2));
    check_pools6(toeplitz6(key, round_robin(128, 3), 3), spec6(3));
    check_pools6(toeplitz6(key, round_robin(512, 4), 4), spec6(4));
  }
  // A 52-byte key (i40e): only the first 40 bytes matter for IPv6/TCP.
  std::vector<uint8_t> k52 = kMsKey;
  k52.resize(52, 0xa5);
  check_pools6(toeplitz6(k52, round_robin(64, 2), 2), spec6(2));
}

TEST(Steer6Pools, UnevenRetaLeavesQueuesBeyondTheWorkersOut) {
  std::vector<uint16_t> reta(128);
  for (size_t i = 0; i < reta.size(); ++i) reta[i] = i % 4 == 3 ? 3 : static_cast<uint16_t>(i % 3);
  check_pools6(toeplitz6(kMsKey, reta, 4), spec6(3));
}

TEST(Steer6Pools, SingleAndQueuePair) {
  RssInfo one;
  one.mode = RssInfo::Mode::Single;
  one.nb_queues = 1;
  PoolSpec s = spec6(1, 40000, 40009);
  TuplePools tp = build_tuple_pools(one, s);
  ASSERT_TRUE(tp.ok()) << tp.error;
  ASSERT_EQ(tp.per_worker[0].size(), 30u);
  EXPECT_EQ(tp.per_worker[0][0], (SrcTuple{0, 40000}));  // index 0: 2001:2::1
  EXPECT_EQ(tp.per_worker[0][1], (SrcTuple{1, 40000}));
  EXPECT_EQ(tp.per_worker[0][2], (SrcTuple{2, 40000}));
  EXPECT_EQ(tp.per_worker[0][3], (SrcTuple{0, 40001}));

  RssInfo qp;
  qp.mode = RssInfo::Mode::QueuePair;
  qp.nb_queues = 2;
  tp = build_tuple_pools(qp, spec6(2, 1000, 1099));
  ASSERT_TRUE(tp.ok()) << tp.error;
  for (size_t w = 0; w < 2; ++w) {
    EXPECT_EQ(tp.per_worker[w].size(), 150u);
    for (const SrcTuple& t : tp.per_worker[w]) ASSERT_EQ(t.port % 2, w);
  }
}

TEST(Steer6Pools, RefusesWhatItCannotSteer) {
  // The port hashes IPv4/TCP only: where an IPv6 reply lands is unknown.
  RssInfo v4only = toeplitz6(kMsKey, round_robin(128, 2), 2);
  v4only.v6_tcp = false;
  TuplePools tp = build_tuple_pools(v4only, spec6(2));
  EXPECT_FALSE(tp.ok());
  EXPECT_NE(tp.error.find("ipv6-tcp"), std::string::npos) << tp.error;
  EXPECT_EQ(reply_queue6(v4only, v6("2001:2::2"), 80, v6("2001:2::1"), 40000), kNoQueue);
  // A 16-byte key covers the IPv4 tuple, not the IPv6 one.
  std::vector<uint8_t> k16(kMsKey.begin(), kMsKey.begin() + 16);
  tp = build_tuple_pools(toeplitz6(k16, round_robin(128, 2), 2), spec6(2));
  EXPECT_FALSE(tp.ok());
  EXPECT_NE(tp.error.find("40"), std::string::npos) << tp.error;
  // A duplicate address; none at all.
  PoolSpec dup = spec6(2);
  dup.src_ips6.push_back(dup.src_ips6[1]);
  EXPECT_FALSE(build_tuple_pools(toeplitz6(kMsKey, round_robin(128, 2), 2), dup).ok());
  PoolSpec none = spec6(2);
  none.src_ips6.clear();
  none.src_ips = {1, 2};  // IPv4 sources do not count for an IPv6 pool
  EXPECT_FALSE(build_tuple_pools(toeplitz6(kMsKey, round_robin(128, 2), 2), none).ok());
}

// ---- passive_owner6()

TEST(PassiveOwner6, ToeplitzIsTheQueueTheNicPicks) {
  const net::Ipv6Addr local = v6("2001:2::1"), peer = v6("2001:2::2");
  for (const auto& key : {kMsKey, sym_key()}) {
    const RssInfo info = toeplitz6(key, round_robin(128, 3), 3);
    for (uint16_t rp = 40000; rp < 40500; ++rp) {
      const uint32_t h = ref_hash6(key, peer, rp, local, 80);
      ASSERT_EQ(passive_owner6(info, local, 80, peer, rp, 3), info.reta[h % 128]) << rp;
    }
  }
}

TEST(PassiveOwner6, WithoutIpv6HashingFallsBackToTheSymmetricHash) {
  const net::Ipv6Addr local = v6("2001:2::1"), peer = v6("2001:2::2");
  RssInfo info = toeplitz6(kMsKey, round_robin(128, 2), 2);
  info.v6_tcp = false;
  RssInfo un;  // Unpredictable
  for (uint16_t rp = 40000; rp < 40200; ++rp) {
    const uint16_t o = passive_owner6(info, local, 80, peer, rp, 2);
    ASSERT_LT(o, 2);
    ASSERT_EQ(o, passive_owner6(un, local, 80, peer, rp, 2));
  }
}

TEST(PassiveOwner6, QueuePairSingleAndOneWorker) {
  const net::Ipv6Addr local = v6("2001:2::1"), peer = v6("2001:2::2");
  RssInfo qp;
  qp.mode = RssInfo::Mode::QueuePair;
  qp.nb_queues = 2;
  EXPECT_EQ(passive_owner6(qp, local, 80, peer, 50000, 2), 0);
  EXPECT_EQ(passive_owner6(qp, local, 80, peer, 50001, 2), 1);
  RssInfo one;
  one.mode = RssInfo::Mode::Single;
  EXPECT_EQ(passive_owner6(one, local, 80, peer, 50001, 4), 0);
  RssInfo un;
  for (uint16_t rp = 1; rp < 100; ++rp) EXPECT_EQ(passive_owner6(un, local, 80, peer, rp, 1), 0);
}

TEST(PassiveOwner6, UnpredictableSpreadsEvenlyAndIsSymmetric) {
  RssInfo info;  // Unpredictable
  const net::Ipv6Addr local = v6("2001:2::1");
  for (uint16_t workers : {2, 3, 4, 7}) {
    std::vector<unsigned> per(workers);
    for (uint8_t c = 0; c < 4; ++c) {
      net::Ipv6Addr peer = v6("2001:2::100");
      peer.b[15] = static_cast<uint8_t>(peer.b[15] + c);
      peer.b[3] = static_cast<uint8_t>(c * 7);  // also vary a high word
      for (uint32_t rp = 32768; rp < 32768 + 4000; ++rp) {
        const auto p = static_cast<uint16_t>(rp);
        const uint16_t o = passive_owner6(info, local, 8080, peer, p, workers);
        ASSERT_LT(o, workers);
        ++per[o];
        ASSERT_EQ(sym_tuple_hash6(local, 8080, peer, p), sym_tuple_hash6(peer, p, local, 8080));
      }
    }
    for (unsigned n : per) {
      EXPECT_GT(n, 16000 / workers * 9 / 10) << workers;
      EXPECT_LT(n, 16000 / workers * 11 / 10) << workers;
    }
  }
}

}  // namespace
}  // namespace pmx::port
