// Source steering over address ranges (issue 14, lib/port/src_steer.cpp):
// every tuple a worker walks to is one whose reply rte_softrss (the NIC's
// Toeplitz, reply_queue()) steers to that worker, the per-worker counts are
// exact, and a 2^20-address range costs no memory per address.
#include "port/src_steer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace pmx::port {
namespace {

const std::vector<uint8_t> kKey = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                   0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                   0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                   0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

RssInfo toeplitz(size_t reta, uint16_t nq) {
  RssInfo r;
  r.mode = RssInfo::Mode::Toeplitz;
  r.key = kKey;
  for (size_t i = 0; i < reta; ++i) r.reta.push_back(static_cast<uint16_t>(i % nq));
  r.nb_queues = nq;
  r.v6_tcp = true;
  r.why = "test";
  return r;
}

RangeSpec spec4(uint32_t n_src, uint16_t lo, uint16_t hi, uint16_t workers) {
  RangeSpec s;
  s.server_ip = 0xc6130050;  // 198.19.0.80
  s.server_port = 80;
  s.src_lo = 0xc6120010;  // 198.18.0.16
  s.n_src = n_src;
  s.port_lo = lo;
  s.port_hi = hi;
  s.workers = workers;
  return s;
}

RangeSpec spec6(uint32_t n_src, uint16_t lo, uint16_t hi, uint16_t workers) {
  RangeSpec s = spec4(n_src, lo, hi, workers);
  s.v6 = true;
  s.server6 = *net::parse_ipv6("2001:2:0:1::80");
  s.src6_lo = *net::parse_ipv6("2001:2::ffff:fff0");  // the range crosses 32 bits
  return s;
}

net::Ipv6Addr addr6(const RangeSpec& s, uint32_t k) {
  return net::Ifaddr6{s.src6_lo, 64, k + 1}.at(k);
}

uint16_t ref_queue(const RssInfo& info, const RangeSpec& s, uint32_t k, uint16_t port) {
  return s.v6 ? reply_queue6(info, s.server6, s.server_port, addr6(s, k), port)
              : reply_queue(info, s.server_ip, s.server_port, s.src_lo + k, port);
}

// Every tuple: the arithmetic queue is the NIC's; each worker's walk visits
// exactly its tuples, each once, then wraps to its first.
void check_all(const RssInfo& info, const RangeSpec& s) {
  SrcSteer st;
  ASSERT_EQ(st.build(info, s), "");
  std::vector<uint64_t> want(s.workers, 0);
  for (uint32_t k = 0; k < s.n_src; ++k)
    for (uint32_t p = s.port_lo; p <= s.port_hi; ++p) {
      const uint16_t q = ref_queue(info, s, k, static_cast<uint16_t>(p));
      ASSERT_EQ(st.queue(k, static_cast<uint16_t>(p)), q) << k << " " << p;
      if (q < s.workers) ++want[q];
    }
  for (uint16_t w = 0; w < s.workers; ++w) {
    ASSERT_EQ(st.tuples(w), want[w]) << "worker " << w;
    std::set<std::pair<uint32_t, uint16_t>> seen;
    SrcSteer::Cursor c = st.begin();
    for (uint64_t i = 0; i < want[w]; ++i) {
      st.next(w, c);
      const uint16_t port = st.port_of(c);
      ASSERT_EQ(ref_queue(info, s, c.k, port), w);
      ASSERT_TRUE(seen.insert({c.k, port}).second) << "tuple twice in one round";
    }
    SrcSteer::Cursor first = st.begin();
    st.next(w, first);
    st.next(w, c);  // wraps round
    EXPECT_EQ(c.k, first.k);
    EXPECT_EQ(c.port, first.port);
  }
}

TEST(SrcSteer, ToeplitzMatchesSoftrssForEveryTupleIpv4) {
  check_all(toeplitz(128, 2), spec4(37, 49152, 49152 + 299, 2));
  check_all(toeplitz(512, 4), spec4(256, 1000, 1255, 4));
  check_all(toeplitz(128, 3), spec4(5, 65500, 65535, 2));  // queue 2 has no worker
}

TEST(SrcSteer, ToeplitzMatchesSoftrssForEveryTupleIpv6) {
  check_all(toeplitz(128, 2), spec6(40, 32768, 32768 + 199, 2));
  check_all(toeplitz(512, 4), spec6(300, 1000, 1099, 4));
}

TEST(SrcSteer, SingleAndQueuePair) {
  RssInfo one;
  one.mode = RssInfo::Mode::Single;
  one.nb_queues = 1;
  check_all(one, spec4(10, 40000, 40009, 1));
  RssInfo qp;
  qp.mode = RssInfo::Mode::QueuePair;
  qp.nb_queues = 3;
  check_all(qp, spec4(10, 1000, 1100, 3));
}

// 2^20 addresses x the whole dynamic range: built from 10 tables of 256
// words (the object's size does not depend on the range), counts exact in
// total, and random tuples of each worker's walk are its own.
TEST(SrcSteer, MillionAddressRangeHasNoPerAddressTable) {
  for (const bool v6 : {false, true}) {
    const RangeSpec s =
        v6 ? spec6(SrcSteer::kMaxSrc, 49152, 65535, 2) : spec4(SrcSteer::kMaxSrc, 49152, 65535, 2);
    const RssInfo info = toeplitz(512, 2);
    SrcSteer st;
    ASSERT_EQ(st.build(info, s), "");
    EXPECT_LE(sizeof st, 11 * 1024u);  // the tables; the RETA and counts are per worker/queue
    EXPECT_EQ(st.tuples(0) + st.tuples(1), uint64_t{SrcSteer::kMaxSrc} * 16384);
    EXPECT_GT(st.tuples(0), 0u);
    EXPECT_GT(st.tuples(1), 0u);
    std::mt19937 rng(7);
    for (uint16_t w = 0; w < 2; ++w) {
      SrcSteer::Cursor c = st.begin();
      c.k = static_cast<uint32_t>(rng() % s.n_src);
      for (int i = 0; i < 2000; ++i) {
        st.next(w, c);
        ASSERT_EQ(ref_queue(info, s, c.k, st.port_of(c)), w);
      }
    }
  }
}

TEST(SrcSteer, RefusesWhatItCannotSteer) {
  SrcSteer st;
  RssInfo un;
  un.mode = RssInfo::Mode::Unpredictable;
  un.why = "kernel fanout";
  EXPECT_NE(st.build(un, spec4(4, 1000, 2000, 2)).find("kernel fanout"), std::string::npos);
  EXPECT_NE(st.build(toeplitz(128, 2), spec4(0, 1000, 2000, 2)), "");
  EXPECT_NE(st.build(toeplitz(128, 2), spec4(SrcSteer::kMaxSrc + 1, 1000, 2000, 2)), "");
  EXPECT_NE(st.build(toeplitz(128, 2), spec4(4, 2000, 1000, 2)), "");
  EXPECT_NE(st.build(toeplitz(100, 2), spec4(4, 1000, 2000, 2)), "");  // RETA not 2^k
  RssInfo v4only = toeplitz(128, 2);
  v4only.v6_tcp = false;
  EXPECT_NE(st.build(v4only, spec6(4, 1000, 2000, 2)), "");
  // A RETA that never names worker 1.
  RssInfo zero = toeplitz(128, 1);
  EXPECT_NE(st.build(zero, spec4(4, 1000, 2000, 2)).find("worker(s) 1"), std::string::npos);
}

}  // namespace
}  // namespace pmx::port
