// --route (lib/net/route.{hpp,cpp}, route_table.hpp) and its use in
// PortIp::next_hop/next_hop6: longest prefix per family, on-link first,
// routes before the default gateway, and every bad form's message.
#include "net/route.hpp"

#include <gtest/gtest.h>

namespace pmx::net {
namespace {

Ipv4Addr v4(const char* s) { return *parse_ipv4(s); }
Ipv6Addr v6(const char* s) { return *parse_ipv6(s); }
Route4 r4(const char* s) {
  auto r = parse_route(s);
  EXPECT_EQ(r.err, "") << s;
  return *r.v4;
}
Route6 r6(const char* s) {
  auto r = parse_route(s);
  EXPECT_EQ(r.err, "") << s;
  return *r.v6;
}
std::string err(const char* s) {
  auto r = parse_route(s);
  EXPECT_FALSE(r.v4 || r.v6) << s;
  return r.err;
}

// 198.18.0.1/24 on-link, the default gateway 198.18.0.254.
PortIp port4() {
  PortIp ip;
  ip.addrs[ip.naddrs++] = *parse_ifaddr("198.18.0.1/24");
  ip.gateway = v4("198.18.0.254");
  return ip;
}

TEST(Route, ParsesBothFamilies) {
  const Route4 a = r4("198.18.64.0/18=198.18.0.2");
  EXPECT_EQ(a.prefix, v4("198.18.64.0"));
  EXPECT_EQ(a.len, 18);
  EXPECT_EQ(a.gateway, v4("198.18.0.2"));
  EXPECT_EQ(to_string(a), "198.18.64.0/18=198.18.0.2");
  const Route6 b = r6("2001:2:0:8::/64=2001:2::2");
  EXPECT_EQ(b.len, 64);
  EXPECT_EQ(to_string(b), "2001:2:0:8::/64=2001:2::2");
  EXPECT_EQ(to_string(r4("0.0.0.0/0=198.18.0.2")), "0.0.0.0/0=198.18.0.2");
  EXPECT_EQ(to_string(r6("::/0=fe80::1")), "::/0=fe80::1");
}

TEST(Route, BadFormsNameThemselves) {
  EXPECT_EQ(err("198.18.64.0/18"), "no '=' (want PREFIX/LEN=GATEWAY)");
  EXPECT_EQ(err("198.18.64.0=198.18.0.2"), "bad prefix '198.18.64.0' (want PREFIX/LEN=GATEWAY)");
  EXPECT_EQ(err("198.18.640.0/18=198.18.0.2"),
            "bad prefix '198.18.640.0/18' (want PREFIX/LEN=GATEWAY)");
  EXPECT_EQ(err("198.18.64.0/33=198.18.0.2"), "bad prefix length in '198.18.64.0/33' (0..32)");
  EXPECT_EQ(err("2001:2::/129=2001:2::1"), "bad prefix length in '2001:2::/129' (0..128)");
  EXPECT_EQ(err("198.18.64.0/=198.18.0.2"), "bad prefix length in '198.18.64.0/' (0..32)");
  EXPECT_EQ(err("198.18.64.1/18=198.18.0.2"),
            "198.18.64.1/18 has host bits set (the prefix is 198.18.64.0/18)");
  EXPECT_EQ(err("2001:2:0:8::1/64=2001:2::2"),
            "2001:2:0:8::1/64 has host bits set (the prefix is 2001:2:0:8::/64)");
  EXPECT_EQ(err("198.18.64.0/18=2001:2::2"),
            "IPv4 prefix 198.18.64.0/18 with IPv6 gateway 2001:2::2");
  EXPECT_EQ(err("2001:2::/48=198.18.0.2"), "IPv6 prefix 2001:2::/48 with IPv4 gateway 198.18.0.2");
  EXPECT_EQ(err("198.18.64.0/18=198.18.0"), "bad gateway '198.18.0' (want PREFIX/LEN=GATEWAY)");
  EXPECT_EQ(err("198.18.64.0/18=224.0.0.1"), "gateway 224.0.0.1 is not a unicast address");
  EXPECT_EQ(err("2001:2::/48=ff02::1"), "gateway ff02::1 is multicast");
  EXPECT_EQ(err("2001:2::/48=::"), "gateway :: is the unspecified address");
}

TEST(Route, LongestPrefixWinsWhateverTheOrder) {
  RouteTable<Ipv4Addr> t;
  ASSERT_EQ(t.add(r4("198.18.0.0/15=198.18.0.2")), RouteAdd::Ok);
  ASSERT_EQ(t.add(r4("198.19.128.0/24=198.18.0.4")), RouteAdd::Ok);
  ASSERT_EQ(t.add(r4("198.19.0.0/16=198.18.0.3")), RouteAdd::Ok);
  EXPECT_EQ(*t.lookup(v4("198.19.128.7")), v4("198.18.0.4"));
  EXPECT_EQ(*t.lookup(v4("198.19.129.7")), v4("198.18.0.3"));
  EXPECT_EQ(*t.lookup(v4("198.18.200.1")), v4("198.18.0.2"));
  EXPECT_FALSE(t.lookup(v4("198.20.0.1")));
  uint8_t last = 32;
  for (const Route4& r : t) {  // the invariant lookup relies on
    EXPECT_LE(r.len, last);
    last = r.len;
  }
}

TEST(Route, LongestPrefixWinsIPv6) {
  RouteTable<Ipv6Addr> t;
  ASSERT_EQ(t.add(r6("2001:2::/48=2001:2::2")), RouteAdd::Ok);
  ASSERT_EQ(t.add(r6("2001:2:0:8::/64=2001:2::3")), RouteAdd::Ok);
  ASSERT_EQ(t.add(r6("2001:2:0:8::80/121=2001:2::4")), RouteAdd::Ok);
  EXPECT_EQ(*t.lookup(v6("2001:2:0:8::81")), v6("2001:2::4"));
  EXPECT_EQ(*t.lookup(v6("2001:2:0:8::1")), v6("2001:2::3"));
  EXPECT_EQ(*t.lookup(v6("2001:2:0:9::1")), v6("2001:2::2"));
  EXPECT_FALSE(t.lookup(v6("2001:3::1")));
}

TEST(Route, DuplicateAndFull) {
  RouteTable<Ipv4Addr> t;
  ASSERT_EQ(t.add(r4("198.19.0.0/16=198.18.0.3")), RouteAdd::Ok);
  EXPECT_EQ(t.add(r4("198.19.0.0/16=198.18.0.9")), RouteAdd::Duplicate);
  for (uint32_t i = 1; i < kMaxRoutes; ++i)
    ASSERT_EQ(t.add({Ipv4Addr::from_host(0xc6130000u | i << 8), 24, v4("198.18.0.2")}),
              RouteAdd::Ok);
  EXPECT_EQ(t.size(), kMaxRoutes);
  EXPECT_EQ(t.add(r4("198.18.128.0/17=198.18.0.2")), RouteAdd::Full);
  EXPECT_EQ(*t.lookup(v4("198.19.31.1")), v4("198.18.0.2"));
  EXPECT_EQ(*t.lookup(v4("198.19.200.1")), v4("198.18.0.3"));
}

TEST(Route, NextHopOnLinkThenRouteThenDefault) {
  PortIp ip = port4();
  ASSERT_EQ(ip.routes.add(r4("198.19.0.0/16=198.18.0.3")), RouteAdd::Ok);
  ASSERT_EQ(ip.routes.add(r4("198.18.0.0/15=198.18.0.2")), RouteAdd::Ok);
  EXPECT_EQ(ip.next_hop(v4("198.18.0.77")), v4("198.18.0.77"));  // on-link beats the /15
  EXPECT_EQ(ip.next_hop(v4("198.19.4.4")), v4("198.18.0.3"));
  EXPECT_EQ(ip.next_hop(v4("198.18.9.9")), v4("198.18.0.2"));
  EXPECT_EQ(ip.next_hop(v4("203.0.113.1")), v4("198.18.0.254"));  // the default gateway
  ip.gateway = {};
  EXPECT_TRUE(ip.next_hop(v4("203.0.113.1")).is_zero());  // no route
  EXPECT_EQ(ip.next_hop(IpAddr(v4("198.19.4.4"))), IpAddr(v4("198.18.0.3")));
}

TEST(Route, SlashZeroRouteBeatsTheDefaultGateway) {
  PortIp ip = port4();
  ASSERT_EQ(ip.routes.add(r4("0.0.0.0/0=198.18.0.5")), RouteAdd::Ok);
  EXPECT_EQ(ip.next_hop(v4("203.0.113.1")), v4("198.18.0.5"));
  EXPECT_EQ(ip.next_hop(v4("198.18.0.9")), v4("198.18.0.9"));
}

TEST(Route, FamiliesAreApart) {
  PortIp ip = port4();
  ip.addrs6[ip.naddrs6++] = *parse_ifaddr6("2001:2::1/64");
  ip.link_local = v6("fe80::1");
  ip.gateway6 = v6("2001:2::fe");
  ASSERT_EQ(ip.routes6.add(r6("2001:2:0:8::/64=2001:2::3")), RouteAdd::Ok);
  ASSERT_EQ(ip.routes6.add(r6("::/0=fe80::5")), RouteAdd::Ok);
  EXPECT_EQ(ip.next_hop6(v6("2001:2::9")), v6("2001:2::9"));      // on-link
  EXPECT_EQ(ip.next_hop6(v6("fe80::9")), v6("fe80::9"));          // link-local
  EXPECT_EQ(ip.next_hop6(v6("2001:2:0:8::1")), v6("2001:2::3"));  // the /64
  EXPECT_EQ(ip.next_hop6(v6("2001:db8::1")), v6("fe80::5"));      // the /0, not gateway6
  EXPECT_EQ(ip.next_hop(v4("203.0.113.1")), v4("198.18.0.254"));  // IPv4 has no routes
  EXPECT_EQ(ip.next_hop(IpAddr(v6("2001:2:0:8::1"))), IpAddr(v6("2001:2::3")));
}

}  // namespace
}  // namespace pmx::net
