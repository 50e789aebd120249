#include "frames.hpp"
#include "net/ipv4.hpp"

#include <gtest/gtest.h>

#include <array>

namespace pmx::net {
namespace {

using stats::Ctr;
using test::Echo;
using test::echo_frame;

// The header from RFC 1071-style worked examples: checksum 0xb861.
TEST(Checksum, KnownIpv4Header) {
  uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  uint16_t ck = inet_checksum(h, sizeof h);
  EXPECT_EQ(rte_be_to_cpu_16(ck), 0xb861);
  std::memcpy(h + 10, &ck, 2);
  EXPECT_EQ(inet_checksum(h, sizeof h), 0);  // verifying gives zero
}

TEST(Checksum, OddLength) {
  const uint8_t d[3] = {0x01, 0x02, 0x03};  // words 0x0102 + 0x0300 = 0x0402
  EXPECT_EQ(rte_be_to_cpu_16(inet_checksum(d, 3)), static_cast<uint16_t>(~0x0402));
}

// The 64-bit sum against DPDK's 16-bit rte_raw_cksum, the reference: every
// length from 0 to 300 (all tails: 32-, 8-, 4-, 2- and 1-byte steps), at odd
// and even buffer addresses, on bytes that make the carries wrap (0xff..)
// and on random ones, with and without a running sum carried in.
TEST(Checksum, SameAsDpdksReferenceSum) {
  std::array<uint8_t, 320> buf{};
  uint32_t x = 12345;
  for (int fill = 0; fill < 2; ++fill) {
    for (auto& b : buf) {
      x = x * 1103515245u + 12345u;
      b = fill == 0 ? 0xff : static_cast<uint8_t>(x >> 16);
    }
    for (size_t align = 0; align < 2; ++align)
      for (size_t len = 0; len <= 300; ++len) {
        SCOPED_TRACE(testing::Message() << "fill " << fill << " align " << align << " len " << len);
        const uint8_t* p = buf.data() + align;
        const uint16_t want = static_cast<uint16_t>(~rte_raw_cksum(p, len));
        EXPECT_EQ(inet_checksum(p, len), want);
        // A pseudo-header-like running sum carried in.
        const uint64_t pre =
            csum_pseudo(rte_cpu_to_be_32(0xc6120001u), rte_cpu_to_be_32(0xc6120002u), 6,
                        static_cast<uint16_t>(len));
        const uint32_t ref = rte_cpu_to_be_16(0xc612) + rte_cpu_to_be_16(0x0001) +
                             rte_cpu_to_be_16(0xc612) + rte_cpu_to_be_16(0x0002) +
                             rte_cpu_to_be_16(6) + rte_cpu_to_be_16(static_cast<uint16_t>(len));
        const uint32_t ref_sum = __rte_raw_cksum(p, len, ref);
        EXPECT_EQ(csum_fold(csum_partial(p, len, pre)), __rte_raw_cksum_reduce(ref_sum));
      }
  }
}

struct Case {
  const char* name;
  Echo e;
  Ctr want;
};

class Ipv4Reject : public ::testing::TestWithParam<Case> {};

TEST_P(Ipv4Reject, CountsTheRightReason) {
  auto f = echo_frame(GetParam().e);
  Ipv4View v;
  auto r =
      parse_ipv4(f.data() + 14, static_cast<uint16_t>(f.size() - 14), test::port_ip(), false, v);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(stats::kCounterInfo[size_t(*r)].name,
            stats::kCounterInfo[size_t(GetParam().want)].name);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, Ipv4Reject,
    ::testing::Values(
        Case{"version6", {.version_ihl = 0x65}, Ctr::ipv4_bad_version},
        Case{"ihl4", {.version_ihl = 0x44}, Ctr::ipv4_bad_ihl},
        Case{"ihl15_beyond_frame", {.version_ihl = 0x4f, .payload = 0}, Ctr::ipv4_bad_ihl},
        Case{"total_beyond_frame", {.total_delta = 1}, Ctr::ipv4_bad_total_length},
        Case{"total_below_header", {.total_delta = -70}, Ctr::ipv4_bad_total_length},
        Case{"bad_checksum", {.bad_ip_cksum = true}, Ctr::ipv4_bad_checksum},
        Case{"martian_source", {.src = test::ip("224.0.0.5")}, Ctr::ipv4_martian_source},
        Case{"not_for_us", {.dst = test::ip("198.18.0.3")}, Ctr::ipv4_not_for_us},
        Case{"broadcast_dst", {.dst = test::ip("198.18.0.255")}, Ctr::ipv4_not_for_us},
        Case{"more_fragments", {.frag = RTE_IPV4_HDR_MF_FLAG}, Ctr::ipv4_fragment},
        Case{"last_fragment", {.frag = 100}, Ctr::ipv4_fragment},
        Case{"ttl0", {.ttl = 0}, Ctr::ipv4_ttl_zero}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Ipv4, TooShort) {
  auto f = echo_frame({});
  Ipv4View v;
  auto r = parse_ipv4(f.data() + 14, 19, test::port_ip(), false, v);
  EXPECT_EQ(r, Ctr::ipv4_too_short);
}

TEST(Ipv4, AcceptsValidWithPaddingAndDf) {
  auto f = echo_frame({.frag = RTE_IPV4_HDR_DF_FLAG, .payload = 2});
  f.resize(60);  // Ethernet minimum frame: padding after the IP packet
  Ipv4View v;
  auto r =
      parse_ipv4(f.data() + 14, static_cast<uint16_t>(f.size() - 14), test::port_ip(), false, v);
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(v.total, 20 + 8 + 2);
  EXPECT_EQ(v.proto, IPPROTO_ICMP);
}

TEST(Ipv4, HardwareVerifiedChecksumIsTrusted) {
  auto f = echo_frame({.bad_ip_cksum = true});
  Ipv4View v;
  EXPECT_FALSE(
      parse_ipv4(f.data() + 14, static_cast<uint16_t>(f.size() - 14), test::port_ip(), true, v)
          .has_value());
}

TEST(IcmpEcho, ReplyInPlaceWithOptionsStripped) {
  auto f = echo_frame({.options = 8});
  uint8_t* p = f.data() + 14;
  Ipv4View v;
  ASSERT_FALSE(parse_ipv4(p, static_cast<uint16_t>(f.size() - 14), test::port_ip(), false, v));
  auto r = icmp_echo_reply(p, v);
  ASSERT_FALSE(r.drop);
  EXPECT_EQ(r.ip_len, 20 + 8 + 56);
  EXPECT_EQ(p[0], 0x45);
  EXPECT_EQ(inet_checksum(p, 20), 0);
  EXPECT_EQ(inet_checksum(p + 20, r.ip_len - 20), 0);
  EXPECT_EQ(p[20], RTE_IP_ICMP_ECHO_REPLY);
  EXPECT_EQ(p[24], 0xab);     // identifier kept
  EXPECT_EQ(p[28 + 55], 55);  // payload kept
  rte_ipv4_hdr h;
  std::memcpy(&h, p, 20);
  EXPECT_EQ(Ipv4Addr{h.src_addr}, test::ip("198.18.0.1"));
  EXPECT_EQ(Ipv4Addr{h.dst_addr}, test::ip("198.18.0.2"));
  EXPECT_EQ(h.time_to_live, kDefaultTtl);
}

TEST(IcmpEcho, Rejects) {
  for (auto [e, want] : {std::pair{Echo{.bad_icmp_cksum = true}, Ctr::icmp_bad_checksum},
                         std::pair{Echo{.icmp_type = 0}, Ctr::icmp_unhandled_type},
                         std::pair{Echo{.total_delta = -60}, Ctr::icmp_too_short}}) {
    auto f = echo_frame(e);
    Ipv4View v;
    ASSERT_FALSE(
        parse_ipv4(f.data() + 14, static_cast<uint16_t>(f.size() - 14), test::port_ip(), false, v));
    auto r = icmp_echo_reply(f.data() + 14, v);
    EXPECT_EQ(r.drop, want);
  }
}

}  // namespace
}  // namespace pmx::net
