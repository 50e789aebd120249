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

// Issue 14: --addr values with ranges. Each bad form gets its own message.
namespace pmx::net::range_tests {

Ipv4Addr ip4(const char* s) { return *parse_ipv4(s); }
std::string err(const char* s) { return parse_addr_value(s).err; }

TEST(AddrRange, ParsesSingleAndRangeOfBothFamilies) {
  auto one = parse_addr_value("198.18.0.1/24");
  ASSERT_TRUE(one.v4 && !one.v6) << one.err;
  EXPECT_EQ(one.v4->count, 1u);
  auto r = parse_addr_value("198.18.16.1-198.18.31.254/20");
  ASSERT_TRUE(r.v4) << r.err;
  EXPECT_EQ(to_string(r.v4->addr), "198.18.16.1");
  EXPECT_EQ(r.v4->prefix, 20);
  EXPECT_EQ(r.v4->count, 16u * 256 - 2);
  EXPECT_EQ(to_string(r.v4->last()), "198.18.31.254");
  EXPECT_EQ(to_string(*r.v4), "198.18.16.1-198.18.31.254/20");
  auto m = parse_addr_value("198.16.0.0-198.31.255.255/12");  // 2^20 exactly
  ASSERT_TRUE(m.v4) << m.err;
  EXPECT_EQ(m.v4->count, 1u << 20);
  auto s = parse_addr_value("2001:2::ffff:fff0-2001:2::1:0:f/64");  // carries past 32 bits
  ASSERT_TRUE(s.v6 && !s.v4) << s.err;
  EXPECT_EQ(s.v6->count, 32u);
  EXPECT_EQ(to_string(s.v6->last()), "2001:2::1:0:f");
  EXPECT_EQ(to_string(s.v6->at(16)), "2001:2::1:0:0");
}

TEST(AddrRange, EachBadFormNamesItself) {
  EXPECT_EQ(err("198.18.0.300/24"),
            "bad address '198.18.0.300/24' (want IP/PREFIX or FIRST-LAST/PREFIX)");
  EXPECT_EQ(err("198.18.0.1-198.18.0.9"),
            "bad address '198.18.0.1-198.18.0.9' (want IP/PREFIX or FIRST-LAST/PREFIX)");
  EXPECT_EQ(err("198.18.0.9-198.18.0.1/24"),
            "'198.18.0.9-198.18.0.1/24': FIRST 198.18.0.9 is above LAST 198.18.0.1");
  EXPECT_EQ(err("198.18.0.1-198.18.1.1/24"),
            "'198.18.0.1-198.18.1.1/24': prefix /24 does not cover the range (198.18.1.1 is off "
            "198.18.0.1/24)");
  EXPECT_EQ(err("198.16.0.0-198.32.0.0/8"),
            "'198.16.0.0-198.32.0.0/8': range has 1048577 addresses, at most 1048576");
  EXPECT_EQ(err("198.18.0.1-2001:2::1/64"),
            "'198.18.0.1-2001:2::1/64': FIRST and LAST of different families");
  EXPECT_EQ(err("2001:2::1-198.18.0.1/64"),
            "'2001:2::1-198.18.0.1/64': FIRST and LAST of different families");
  EXPECT_EQ(err("2001:2::9-2001:2::1/64"),
            "'2001:2::9-2001:2::1/64': FIRST 2001:2::9 is above LAST 2001:2::1");
  EXPECT_EQ(err("2001:2::1-2001:3::1/48"),
            "'2001:2::1-2001:3::1/48': prefix /48 does not cover the range (2001:3::1 is off "
            "2001:2::1/48)");
  EXPECT_EQ(err("2001:2::1-2001:2:0:1::1/32"),
            "'2001:2::1-2001:2:0:1::1/32': an IPv6 range may differ only in the low 64 bits");
  EXPECT_EQ(err("2001:2::-2001:2::10:0/64"),
            "'2001:2::-2001:2::10:0/64': range has 1048577 addresses, at most 1048576");
  EXPECT_EQ(err("2001:2::-2001:2::ffff:ffff:ffff:ffff/64"),
            "'2001:2::-2001:2::ffff:ffff:ffff:ffff/64': range has 2^64 addresses, at most 1048576");
  EXPECT_EQ(err("2001:2::1-x/64"),
            "bad IPv6 address '2001:2::1-x/64' (want IP/PREFIX or FIRST-LAST/PREFIX)");
}

TEST(AddrRange, Overlaps) {
  auto a = *parse_addr_value("198.18.0.10-198.18.0.20/24").v4;
  EXPECT_TRUE(overlaps(a, *parse_addr_value("198.18.0.20/24").v4));
  EXPECT_TRUE(overlaps(a, *parse_addr_value("198.18.0.1-198.18.0.10/24").v4));
  EXPECT_TRUE(overlaps(a, *parse_addr_value("198.18.0.1-198.18.0.30/24").v4));   // around
  EXPECT_TRUE(overlaps(a, *parse_addr_value("198.18.0.12-198.18.0.13/24").v4));  // inside
  EXPECT_FALSE(overlaps(a, *parse_addr_value("198.18.0.21-198.18.0.30/24").v4));
  EXPECT_FALSE(overlaps(a, *parse_addr_value("198.18.0.9/24").v4));
  auto b = *parse_addr_value("2001:2::10-2001:2::20/64").v6;
  EXPECT_TRUE(overlaps(b, *parse_addr_value("2001:2::20/64").v6));
  EXPECT_FALSE(overlaps(b, *parse_addr_value("2001:2::21-2001:2::30/64").v6));
  EXPECT_FALSE(overlaps(b, *parse_addr_value("2001:3::10/64").v6));  // other high half
}

// A million addresses cost one array slot: lookups go over ranges.
TEST(AddrRange, PortIpLooksUpOverRanges) {
  PortIp p;
  p.addrs[0] = *parse_addr_value("198.16.0.0-198.31.255.255/12").v4;
  p.addrs[1] = *parse_addr_value("198.32.0.5/24").v4;
  p.naddrs = 2;
  EXPECT_TRUE(p.is_local(ip4("198.16.0.0")));
  EXPECT_TRUE(p.is_local(ip4("198.23.45.67")));
  EXPECT_TRUE(p.is_local(ip4("198.31.255.255")));
  EXPECT_FALSE(p.is_local(ip4("198.15.255.255")));
  EXPECT_FALSE(p.is_local(ip4("198.32.0.0")));
  EXPECT_TRUE(p.is_local(ip4("198.32.0.5")));
  EXPECT_FALSE(p.is_local(ip4("198.32.0.6")));  // on-link, not ours
  EXPECT_EQ(p.next_hop(ip4("198.32.0.6")), ip4("198.32.0.6"));
  EXPECT_EQ(p.next_hop(ip4("198.20.0.1")), ip4("198.20.0.1"));
  EXPECT_TRUE(p.next_hop(ip4("198.48.0.1")).is_zero());  // no gateway
  EXPECT_EQ(p.source_for(ip4("198.20.0.1")), ip4("198.16.0.0"));
  EXPECT_EQ(p.source_for(ip4("198.32.0.9")), ip4("198.32.0.5"));

  p.addrs6[0] = *parse_addr_value("2001:2::ffff:0-2001:2::1:e:ffff/64").v6;
  p.naddrs6 = 1;
  EXPECT_EQ(p.addrs6[0].count, 1u << 20);
  EXPECT_TRUE(p.is_local6(*parse_ipv6("2001:2::1:0:0")));
  EXPECT_TRUE(p.is_local6(*parse_ipv6("2001:2::1:e:ffff")));
  EXPECT_FALSE(p.is_local6(*parse_ipv6("2001:2::1:f:0")));
  EXPECT_FALSE(p.is_local6(*parse_ipv6("2001:2::fffe:ffff")));
  EXPECT_FALSE(p.is_local6(*parse_ipv6("2001:3::1:0:0")));
  EXPECT_EQ(p.next_hop6(*parse_ipv6("2001:2::99")), *parse_ipv6("2001:2::99"));
  EXPECT_EQ(p.source_for6(*parse_ipv6("2001:2::99")), *parse_ipv6("2001:2::ffff:0"));
  // Solicited-node groups of every address of the range, and none other.
  EXPECT_TRUE(p.is_our_group(parse_ipv6("2001:2::1:4:1234")->solicited_node()));
  EXPECT_TRUE(p.is_our_group(parse_ipv6("2001:2::ffff:0")->solicited_node()));
  EXPECT_FALSE(p.is_our_group(parse_ipv6("2001:2::fffe:ffff")->solicited_node()));
  EXPECT_FALSE(p.is_our_group(parse_ipv6("2001:2::1:f:0")->solicited_node()));
  EXPECT_FALSE(p.is_our_group(*parse_ipv6("ff02::2:ff05:1234")));  // not a solicited-node group
}

// The generator's source check walks ranges: adjacent ranges make one run.
TEST(AddrRange, FirstNotLocalWalksRanges) {
  PortIp p;
  p.addrs[0] = *parse_addr_value("198.18.16.0-198.18.31.255/19").v4;
  p.addrs[1] = *parse_addr_value("198.18.32.0-198.18.32.9/19").v4;
  p.naddrs = 2;
  EXPECT_FALSE(p.first_not_local(ip4("198.18.16.0"), 4096 + 10));
  EXPECT_EQ(p.first_not_local(ip4("198.18.16.0"), 4096 + 11), ip4("198.18.32.10"));
  EXPECT_EQ(p.first_not_local(ip4("198.18.15.255"), 2), ip4("198.18.15.255"));
  p.addrs6[0] = *parse_addr_value("2001:2::ffff:0-2001:2::1:e:ffff/64").v6;
  p.naddrs6 = 1;
  EXPECT_FALSE(p.first_not_local6(*parse_ipv6("2001:2::ffff:0"), 1u << 20));
  EXPECT_EQ(p.first_not_local6(*parse_ipv6("2001:2::1:0:0"), 1u << 20),
            *parse_ipv6("2001:2::1:f:0"));
}

TEST(AddrRange, AnnouncesEverySmallRangeAddressElseFirstAndLast) {
  auto s = *parse_addr_value("198.18.0.1-198.18.0.16/24").v4;
  ASSERT_EQ(s.announced(), 16u);
  EXPECT_EQ(s.announced(15), ip4("198.18.0.16"));
  auto l = *parse_addr_value("198.18.0.1-198.18.0.17/24").v4;
  ASSERT_EQ(l.announced(), 2u);
  EXPECT_EQ(l.announced(0), ip4("198.18.0.1"));
  EXPECT_EQ(l.announced(1), ip4("198.18.0.17"));
}

}  // namespace pmx::net::range_tests
