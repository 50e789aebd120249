#include "frames.hpp"
#include "net/arp.hpp"

#include <gtest/gtest.h>

namespace pmx::net {
namespace {

using stats::Ctr;
using test::Arp;
using test::arp_frame;
const rte_ether_addr kPeer = test::mac(2);

std::optional<Ctr> parse(const std::vector<uint8_t>& f, ArpView& v) {
  return parse_arp(f.data() + 14, static_cast<uint16_t>(f.size() - 14), v);
}

TEST(Arp, ParsesRequest) {
  ArpView v;
  EXPECT_FALSE(parse(arp_frame({}), v));
  EXPECT_EQ(v.op, RTE_ARP_OP_REQUEST);
  EXPECT_EQ(v.spa, test::ip("198.18.0.2"));
  EXPECT_EQ(v.tpa, test::ip("198.18.0.1"));
  EXPECT_TRUE(rte_is_same_ether_addr(&v.sha, &kPeer));
}

TEST(Arp, RejectsEachFault) {
  ArpView v;
  rte_ether_addr bcast;
  std::memset(&bcast, 0xff, sizeof bcast);
  EXPECT_EQ(parse(arp_frame({.truncate_to = 14 + 7}), v), Ctr::arp_truncated);
  EXPECT_EQ(parse(arp_frame({.truncate_to = 14 + 27}), v), Ctr::arp_truncated);
  EXPECT_EQ(parse(arp_frame({.htype = 6}), v), Ctr::arp_bad_type);
  EXPECT_EQ(parse(arp_frame({.hlen = 8}), v), Ctr::arp_bad_length);
  EXPECT_EQ(parse(arp_frame({.plen = 6}), v), Ctr::arp_bad_length);
  EXPECT_EQ(parse(arp_frame({.op = 3}), v), Ctr::arp_bad_op);
  EXPECT_EQ(parse(arp_frame({.sha = bcast}), v), Ctr::arp_bad_sender);
}

TEST(Arp, GratuitousAnnouncement) {
  uint8_t buf[64];
  ASSERT_EQ(write_gratuitous_arp(buf, test::mac(1), test::ip("198.18.0.1")), 42);
  rte_ether_hdr eth;
  std::memcpy(&eth, buf, 14);
  EXPECT_TRUE(rte_is_broadcast_ether_addr(&eth.dst_addr));
  ArpView v;
  ASSERT_FALSE(parse_arp(buf + 14, 28, v));
  EXPECT_EQ(v.op, RTE_ARP_OP_REQUEST);
  EXPECT_EQ(v.spa, v.tpa);  // RFC 5227 2.3
}

}  // namespace
}  // namespace pmx::net
