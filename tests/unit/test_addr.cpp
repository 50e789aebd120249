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

// RFC 4291 2.2 forms in, RFC 5952 4 form out.
TEST(Ipv6, ParsesTextFormsAndPrintsCanonically) {
  const std::pair<const char*, const char*> cases[] = {
      {"2001:2::1", "2001:2::1"},
      {"2001:0002:0000:0000:0000:0000:0000:0001", "2001:2::1"},
      {"::", "::"},
      {"::1", "::1"},
      {"fe80::", "fe80::"},
      {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // the first of equal runs
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // one zero group is not "::"
      {"::ffff:198.18.0.1", "::ffff:c612:1"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
  };
  for (const auto& [in, out] : cases) {
    auto a = parse_ipv6(in);
    ASSERT_TRUE(a) << in;
    EXPECT_EQ(to_string(*a), out) << in;
  }
  for (const char* bad :
       {"", ":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1",
        "1:2:3:4:5:6:7::8", "::1.2.3", "[::1]", "2001:2::1%eth0"})
    EXPECT_FALSE(parse_ipv6(bad)) << bad;
}

TEST(Ipv6, Prefixes) {
  auto i = parse_ifaddr6("2001:2::1/64");
  ASSERT_TRUE(i);
  EXPECT_TRUE(i->on_link(*parse_ipv6("2001:2::ffff:1")));
  EXPECT_FALSE(i->on_link(*parse_ipv6("2001:2:0:1::1")));
  auto j = parse_ifaddr6("2001:2::/63");
  ASSERT_TRUE(j);
  EXPECT_TRUE(j->on_link(*parse_ipv6("2001:2:0:1::1")));
  EXPECT_FALSE(j->on_link(*parse_ipv6("2001:2:0:2::1")));
  EXPECT_FALSE(parse_ifaddr6("2001:2::1/129"));
  EXPECT_FALSE(parse_ifaddr6("2001:2::1"));
}

// RFC 4291 appendix A: 02:00:00:aa:bb:cc -> fe80::ff:feaa:bbcc; RFC 4291
// 2.7.1 and RFC 2464 7 for the solicited-node group and its MAC.
TEST(Ipv6, LinkLocalSolicitedNodeAndMulticastMac) {
  const rte_ether_addr mac{{0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}};
  EXPECT_EQ(to_string(link_local_from_mac(mac)), "fe80::ff:feaa:bbcc");
  const Ipv6Addr g = parse_ipv6("2001:2::12:3456")->solicited_node();
  EXPECT_EQ(to_string(g), "ff02::1:ff12:3456");
  EXPECT_EQ(to_string(multicast_mac(g)), "33:33:ff:12:34:56");
  PortIp p;
  p.link_local = link_local_from_mac(mac);
  p.addrs6[p.naddrs6++] = *parse_ifaddr6("2001:2::12:3456/64");
  EXPECT_TRUE(p.is_our_group(g));
  EXPECT_TRUE(p.is_our_group(Ipv6Addr::all_nodes()));
  EXPECT_TRUE(p.is_our_group(p.link_local.solicited_node()));
  EXPECT_FALSE(p.is_our_group(*parse_ipv6("ff02::1:ff00:1")));
  EXPECT_EQ(to_string(p.source_for6(*parse_ipv6("2001:2::2"))), "2001:2::12:3456");
  EXPECT_EQ(p.source_for6(*parse_ipv6("fe80::1")), p.link_local);
  EXPECT_TRUE(p.next_hop6(*parse_ipv6("2001:3::1")).is_zero());  // no gateway
}

TEST(IpAddr, FamiliesNeverEqual) {
  const IpAddr v4 = *parse_ip("0.0.0.0");
  const IpAddr v6 = *parse_ip("::");
  EXPECT_FALSE(v4 == v6);
  EXPECT_TRUE(v4.is_zero() && v6.is_zero());
  EXPECT_EQ(endpoint_string(*parse_ip("2001:2::1"), 80), "[2001:2::1]:80");
  EXPECT_EQ(endpoint_string(*parse_ip("198.18.0.1"), 80), "198.18.0.1:80");
}

}  // namespace
}  // namespace pmx::net
