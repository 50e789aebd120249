#include "net/addr.hpp"

#include <gtest/gtest.h>

namespace pmx::net {
namespace {

TEST(ParseIpv4, AcceptsDottedQuad) {
  auto a = parse_ipv4("198.18.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host(), 0xc6120001u);
  EXPECT_EQ(to_string(*a), "198.18.0.1");
  EXPECT_EQ(parse_ipv4("0.0.0.0")->host(), 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255")->host(), 0xffffffffu);
}

TEST(ParseIpv4, RejectsMalformed) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "1..2.3", "a.b.c.d",
                          "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/24", "0001.2.3.4", "1.2.3.+4"})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
}

TEST(ParseIfaddr, PrefixBounds) {
  auto a = parse_ifaddr("198.18.0.1/24");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->prefix, 24);
  EXPECT_EQ(a->mask_host(), 0xffffff00u);
  EXPECT_TRUE(parse_ifaddr("198.18.0.1/0"));
  EXPECT_EQ(parse_ifaddr("198.18.0.1/0")->mask_host(), 0u);
  EXPECT_TRUE(parse_ifaddr("198.18.0.1/32"));
  for (const char* bad :
       {"198.18.0.1", "198.18.0.1/33", "198.18.0.1/", "198.18.0.1/x", "198.18.0.1/024", "/24"})
    EXPECT_FALSE(parse_ifaddr(bad)) << bad;
}

TEST(Ifaddr, OnLinkAndBroadcast) {
  auto a = *parse_ifaddr("198.18.0.1/24");
  EXPECT_TRUE(a.on_link(*parse_ipv4("198.18.0.200")));
  EXPECT_FALSE(a.on_link(*parse_ipv4("198.18.1.1")));
  EXPECT_TRUE(a.is_directed_broadcast(*parse_ipv4("198.18.0.255")));
  EXPECT_FALSE(a.is_directed_broadcast(*parse_ipv4("198.18.0.254")));
  auto p2p = *parse_ifaddr("198.18.0.0/31");
  EXPECT_FALSE(p2p.is_directed_broadcast(*parse_ipv4("198.18.0.1")));  // RFC 3021
}

TEST(PortIp, NextHopPrefersOnLinkThenGateway) {
  PortIp p;
  p.addrs[0] = *parse_ifaddr("198.18.0.1/24");
  p.naddrs = 1;
  EXPECT_EQ(p.next_hop(*parse_ipv4("198.18.0.9")), *parse_ipv4("198.18.0.9"));
  EXPECT_TRUE(p.next_hop(*parse_ipv4("198.19.0.9")).is_zero());  // no route
  p.gateway = *parse_ipv4("198.18.0.254");
  EXPECT_EQ(p.next_hop(*parse_ipv4("198.19.0.9")), p.gateway);
}

TEST(Ipv4Addr, MartianSources) {
  for (const char* m :
       {"0.0.0.0", "0.1.2.3", "224.0.0.1", "239.1.1.1", "240.0.0.1", "255.255.255.255"})
    EXPECT_TRUE(parse_ipv4(m)->is_martian_source()) << m;
  EXPECT_FALSE(parse_ipv4("198.18.0.2")->is_martian_source());
}

}  // namespace
}  // namespace pmx::net
