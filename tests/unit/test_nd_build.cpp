// The ND frames we originate (lib/net/nd_build.hpp), byte for byte against
// frames scapy builds from the same fields (checksums included), and their
// ICMPv6 checksums verified over the pseudo-header (RFC 8200 8.1).
#include "frames.hpp"
#include "net/checksum.hpp"
#include "net/nd_build.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pmx::net {
namespace {

Ipv6Addr v6(const char* s) { return *parse_ipv6(s); }

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

// The ICMPv6 checksum of a frame verifies: the sum over the pseudo-header
// and the message, checksum included, is all ones.
bool icmp6_checksum_ok(const uint8_t* f, uint16_t len) {
  const uint8_t* ip = f + 14;
  const uint16_t plen = static_cast<uint16_t>(ip[4] << 8 | ip[5]);
  EXPECT_EQ(plen + 54u, len);
  const uint64_t s = csum_pseudo6(ip + 8, ip + 24, 58, plen);
  return csum_fold(csum_partial(ip + 40, plen, s)) == 0xffff;
}

// scapy: Ether(dst="33:33:ff:00:00:02", src="02:00:00:00:00:01")/
//   IPv6(src="2001:2::1", dst="ff02::1:ff00:2", hlim=255)/
//   ICMPv6ND_NS(tgt="2001:2::2")/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
TEST(NdBuild, ResolutionSolicitationToTheSolicitedNodeGroup) {
  uint8_t f[128];
  const uint16_t n = write_ns_multicast(f, test::mac(1), v6("2001:2::1"), v6("2001:2::2"));
  ASSERT_EQ(n, kNdWithLlaFrameLen);
  EXPECT_EQ(
      hex(f, n),
      "3333ff00000202000000000186dd6000000000203aff20010002000000000000000000000001ff02000000"
      "00000000000001ff0000028700379300000000200100020000000000000000000000020101020000000001");
  EXPECT_TRUE(icmp6_checksum_ok(f, n));
}

// RFC 4861 7.3.3: a probe goes unicast to the cached MAC and the neighbour's
// own address; only the addresses (and so the checksum) differ.
TEST(NdBuild, ProbeSolicitationIsUnicast) {
  uint8_t f[128];
  const uint16_t n =
      write_ns(f, test::mac(2), test::mac(1), v6("2001:2::1"), v6("2001:2::2"), v6("2001:2::2"));
  ASSERT_EQ(n, kNdWithLlaFrameLen);
  EXPECT_EQ(hex(f, 6), "020000000002");
  EXPECT_EQ(hex(f + 14 + 24, 16), "20010002000000000000000000000002");
  EXPECT_EQ(f[14 + 7], 255);  // hop limit
  EXPECT_EQ(f[14 + 40], 135);
  EXPECT_TRUE(icmp6_checksum_ok(f, n));
}

// scapy: Ether(dst="33:33:ff:00:00:01", src=...)/IPv6(src="::",
//   dst="ff02::1:ff00:1", hlim=255)/ICMPv6ND_NS(tgt="2001:2::1")
TEST(NdBuild, DadProbeFromTheUnspecifiedAddressWithoutOption) {
  uint8_t f[128];
  const uint16_t n = write_ns_dad(f, test::mac(1), v6("2001:2::1"));
  ASSERT_EQ(n, kNsDadFrameLen);
  EXPECT_EQ(hex(f, n),
            "3333ff00000102000000000186dd6000000000183aff000000000000000000000000000000"
            "00ff0200000000000000000001ff00000187005aa30000000020010002000000000000000000000001");
  EXPECT_TRUE(icmp6_checksum_ok(f, n));
}

// scapy: Ether(dst="33:33:00:00:00:01", src=...)/IPv6(src="2001:2::1",
//   dst="ff02::1", hlim=255)/ICMPv6ND_NA(tgt="2001:2::1", R=0, S=0, O=1)/
//   ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:01")
TEST(NdBuild, UnsolicitedAdvertisementToAllNodes) {
  uint8_t f[128];
  const uint16_t n = write_unsolicited_na(f, test::mac(1), v6("2001:2::1"));
  ASSERT_EQ(n, kNdWithLlaFrameLen);
  EXPECT_EQ(
      hex(f, n),
      "33330000000102000000000186dd6000000000203aff20010002000000000000000000000001ff02000000"
      "00000000000000000000018800149720000000200100020000000000000000000000010201020000000001");
  EXPECT_TRUE(icmp6_checksum_ok(f, n));
}

// The link-local address announces itself the same way.
TEST(NdBuild, LinkLocalAdvertisementChecksums) {
  uint8_t f[128];
  const Ipv6Addr ll = link_local_from_mac(test::mac(1));
  const uint16_t n = write_unsolicited_na(f, test::mac(1), ll);
  EXPECT_EQ(to_string(ll), "fe80::ff:fe00:1");
  EXPECT_EQ(hex(f + 14 + 8, 16), hex(ll.b.data(), 16));
  EXPECT_TRUE(icmp6_checksum_ok(f, n));
}

// RFC 4862 5.4.3/5.4.4: someone's NA for a tentative address, or someone
// else's DAD probe for it, is a duplicate; our own probe looped back, a
// resolution NS (source not ::), a damaged frame or another target is not.
TEST(NdBuild, DadConflicts) {
  const Ipv6Addr tent[2] = {v6("2001:2::1"), v6("2001:2::5")};
  const rte_ether_addr us = test::mac(1), them = test::mac(2);
  uint8_t f[128];
  uint16_t n = write_unsolicited_na(f, them, tent[1]);
  EXPECT_EQ(dad_conflict(f, n, us, tent, 2), 1);
  n = write_ns_dad(f, them, tent[0]);
  EXPECT_EQ(dad_conflict(f, n, us, tent, 2), 0);
  EXPECT_EQ(dad_conflict(f, n, us, tent, 1), 0);
  EXPECT_EQ(dad_conflict(f, n, us, tent + 1, 1), -1);  // another target
  EXPECT_EQ(dad_conflict(f, n, them, tent, 2), -1);    // looped back
  EXPECT_EQ(dad_conflict(f, static_cast<uint16_t>(n - 1), us, tent, 2), -1);
  n = write_ns_multicast(f, them, v6("2001:2::2"), tent[0]);
  EXPECT_EQ(dad_conflict(f, n, us, tent, 2), -1);  // resolving it: not DAD
  n = write_unsolicited_na(f, them, tent[0]);
  f[14 + 7] = 64;  // hop limit: not from the link (RFC 4861 7.1.2)
  EXPECT_EQ(dad_conflict(f, n, us, tent, 2), -1);
  n = write_unsolicited_na(f, them, tent[0]);
  f[n - 1] ^= 1;  // checksum no longer matches
  EXPECT_EQ(dad_conflict(f, n, us, tent, 2), -1);
}

}  // namespace
}  // namespace pmx::net
