// Packet-in/packet-out tests of the IPv6 path (RFC 8200, RFC 4443, RFC
// 4861): each frame in, the exact outcome, bytes and counters out.
#include "frames6.hpp"
#include "net/ingress.hpp"

#include <gtest/gtest.h>

namespace pmx::net {
namespace {

using stats::Ctr;
using test::ip6;
using Kind = Outcome::Kind;
const rte_ether_addr kPeer = test::mac(2), kUs = test::mac(1);

class Ingress6 : public ::testing::Test {
 protected:
  // room > f.size(): the frame sits in a buffer of room bytes (an mbuf with
  // tailroom).
  Outcome run(std::vector<uint8_t>& f, size_t room = 0) {
    before_ = ctr_;
    const auto len = static_cast<uint16_t>(f.size());
    if (room > f.size()) f.resize(room);
    return ingress(f.data(), len, false, port_, ctr_, static_cast<uint16_t>(room));
  }
  // Exactly these counters moved, each by one.
  void expect_moved(std::initializer_list<Ctr> cs) {
    for (size_t i = 0; i < stats::kNumCounters; ++i) {
      uint64_t want = 0;
      for (Ctr c : cs) want += size_t(c) == i;
      EXPECT_EQ(ctr_.load(i) - before_.load(i), want) << stats::kCounterInfo[i].name;
    }
  }
  PortIp port_ = test::port_ip6();
  stats::Counters ctr_, before_;
};

Ipv6Addr addr_at(const std::vector<uint8_t>& f, size_t off) {
  Ipv6Addr a;
  std::memcpy(a.b.data(), &f[off], 16);
  return a;
}

// The reply's IPv6 header and ICMPv6 checksum are right for its addresses.
void expect_icmp6(const std::vector<uint8_t>& f, uint16_t len, uint8_t type, uint8_t hop_limit) {
  ASSERT_GE(len, 14 + 40 + 8);
  EXPECT_EQ(f[12], 0x86);
  EXPECT_EQ(f[13], 0xdd);
  EXPECT_EQ(f[14], 0x60);
  EXPECT_EQ(f[18] << 8 | f[19], len - 54);  // payload length
  EXPECT_EQ(f[20], kProtoIcmp6);
  EXPECT_EQ(f[21], hop_limit);
  EXPECT_EQ(f[54], type);
  EXPECT_EQ(icmp6_checksum(addr_at(f, 22), addr_at(f, 38), &f[54], len - 54), 0);
}

TEST_F(Ingress6, EchoRequestBecomesRoutedReply) {
  auto f = test::v6_frame({.l4 = test::echo6()});
  const auto sent = f;
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Route);
  expect_moved({Ctr::ipv6_rx_delivered, Ctr::icmp6_rx_echo_requests});
  EXPECT_EQ(o.dst, IpAddr(ip6("2001:2::2")));
  ASSERT_EQ(o.len, 14 + 40 + 64);
  expect_icmp6(f, o.len, kIcmp6EchoReply, 64);
  rte_ether_hdr eth;
  std::memcpy(&eth, f.data(), 14);
  EXPECT_TRUE(rte_is_same_ether_addr(&eth.src_addr, &kUs));
  EXPECT_EQ(addr_at(f, 22), ip6("2001:2::1"));
  EXPECT_EQ(addr_at(f, 38), ip6("2001:2::2"));
  // Identifier, sequence number and data come back as they were (4.2).
  EXPECT_TRUE(std::equal(f.begin() + 58, f.begin() + o.len, sent.begin() + 58));
}

TEST_F(Ingress6, EchoThroughExtensionHeadersAndPaddingIsAnsweredWithout) {
  auto f = test::v6_frame({.ext = {test::padn_opts(test::kHbh), test::routing(0, 0),
                                   test::fragment(0), test::padn_opts(test::kDstOpts)},
                           .l4 = test::echo6(20),
                           .pad = 6});
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Route);
  EXPECT_EQ(o.len, 14 + 40 + 28);  // options and link padding gone
  expect_icmp6(f, o.len, kIcmp6EchoReply, 64);
  EXPECT_EQ(f[62], 0);  // the data moved up with the message
  EXPECT_EQ(f[62 + 19], 19);
}

TEST_F(Ingress6, EchoToAllNodesIsAnsweredFromOurAddressOnTheSubnet) {
  auto f = test::v6_frame({.src = ip6("2001:2:0:5::9"),
                           .dst = Ipv6Addr::all_nodes(),
                           .l4 = test::echo6(),
                           .eth_dst = multicast_mac(Ipv6Addr::all_nodes())});
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Route);
  EXPECT_EQ(addr_at(f, 22), ip6("2001:2:0:5::1"));
  EXPECT_EQ(addr_at(f, 38), ip6("2001:2:0:5::9"));
  expect_icmp6(f, o.len, kIcmp6EchoReply, 64);
}

TEST_F(Ingress6, EchoToOurLinkLocalAddress) {
  auto f = test::v6_frame({.src = ip6("fe80::2"), .dst = port_.link_local, .l4 = test::echo6()});
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Route);
  EXPECT_EQ(addr_at(f, 22), port_.link_local);
  expect_icmp6(f, o.len, kIcmp6EchoReply, 64);
}

TEST_F(Ingress6, TcpGoesToTheEngineWithItsOffset) {
  std::vector<uint8_t> tcp(20, 0);
  auto f = test::v6_frame(
      {.ext = {test::padn_opts(test::kDstOpts)}, .proto = IPPROTO_TCP, .l4 = tcp, .pad = 4});
  const Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Tcp);
  EXPECT_EQ(o.src, IpAddr(ip6("2001:2::2")));
  EXPECT_EQ(o.dst, IpAddr(ip6("2001:2::1")));
  EXPECT_EQ(o.l4_off, 14 + 40 + 8);
  EXPECT_EQ(o.l4_len, 20);
  expect_moved({Ctr::ipv6_rx_delivered});  // the engine counts the rest
}

TEST_F(Ingress6, EightExtensionHeadersAreWalkedNineAreNot) {
  std::vector<test::Ext> eight(8, test::padn_opts(test::kDstOpts));
  auto f = test::v6_frame({.ext = eight, .l4 = test::echo6()});
  EXPECT_EQ(run(f).kind, Kind::Route);
  eight.push_back(test::padn_opts(test::kDstOpts));
  f = test::v6_frame({.ext = eight, .l4 = test::echo6()});
  EXPECT_EQ(run(f).kind, Kind::Drop);
  expect_moved({Ctr::ipv6_ext_chain_too_long});
}

TEST_F(Ingress6, OptionsWithTopBitsZeroAreSkipped) {
  // Pad1, a router alert (type 5, RFC 2711) and an unknown type 0x1e.
  auto f = test::v6_frame(
      {.ext = {{test::kHbh, {0, 5, 2, 0, 0, 0x1e, 0, 0, 0, 0, 0, 1, 0, 0}}}, .l4 = test::echo6()});
  EXPECT_EQ(run(f).kind, Kind::Route);
}

// RFC 4861 7.2.4: a solicitation for our address becomes, in the same frame,
// a solicited advertisement to its source with our MAC; the sender is learned.
TEST_F(Ingress6, SolicitationIsAnsweredWithAdvertisement) {
  auto f = test::v6_frame(test::ns6());
  ASSERT_EQ(f.size(), 86u);
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Send);
  expect_moved({Ctr::ipv6_rx_delivered, Ctr::nd_rx_solicits, Ctr::nd_tx_adverts});
  EXPECT_TRUE(o.learn && o.learn_create);
  EXPECT_EQ(o.learn_ip, IpAddr(ip6("2001:2::2")));
  EXPECT_TRUE(rte_is_same_ether_addr(&o.learn_mac, &kPeer));
  const auto want = test::v6_frame({.src = ip6("2001:2::1"),
                                    .dst = ip6("2001:2::2"),
                                    .hop_limit = 255,
                                    .l4 = test::nd_msg(kNdAdvert, ip6("2001:2::1"), kNdOptTargetLla,
                                                       kUs, kNaSolicited | kNaOverride),
                                    .eth_dst = kPeer,
                                    .eth_src = kUs});
  ASSERT_EQ(o.len, want.size());
  EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + o.len), want);
  expect_icmp6(f, o.len, kNdAdvert, 255);
}

// Issue 14: a solicitation for any address of a range, to that address's
// solicited-node group, is answered for it; one just past the range is not
// ours (its group is not joined either).
TEST_F(Ingress6, SolicitationForRangeAddressAnsweredAndNotOutside) {
  port_.addrs6[port_.naddrs6++] = *parse_addr_value("2001:2::1:0:0-2001:2::1:f:ffff/64").v6;
  for (const char* t : {"2001:2::1:0:0", "2001:2::1:7:1234", "2001:2::1:f:ffff"}) {
    auto f = test::v6_frame(test::ns6(ip6(t)));
    Outcome o = run(f);
    ASSERT_EQ(o.kind, Kind::Send) << t;
    expect_moved({Ctr::ipv6_rx_delivered, Ctr::nd_rx_solicits, Ctr::nd_tx_adverts});
    ASSERT_GE(o.len, 14 + 40 + 24);
    EXPECT_EQ(f[14 + 40], kNdAdvert);
    Ipv6Addr target;
    std::memcpy(target.b.data(), f.data() + 14 + 40 + 8, 16);  // RFC 4861 4.4
    EXPECT_EQ(target, ip6(t));
  }
  auto f = test::v6_frame(test::ns6(ip6("2001:2::1:10:0")));
  EXPECT_EQ(run(f).kind, Kind::Drop);
  expect_moved({Ctr::ipv6_group_not_joined});
}

TEST_F(Ingress6, SolicitationForOurLinkLocalAddress) {
  auto v = test::ns6(port_.link_local);
  v.src = ip6("fe80::2");
  auto f = test::v6_frame(v);
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Send);
  EXPECT_EQ(addr_at(f, 22), port_.link_local);
  EXPECT_EQ(addr_at(f, 38), ip6("fe80::2"));
  expect_icmp6(f, o.len, kNdAdvert, 255);
}

// RFC 4862 5.4.3 / RFC 4861 7.2.4: a duplicate address detection probe for
// our address is answered to all-nodes, S clear, nothing learned. The probe
// is 78 bytes; the answer with its option 86, in the buffer's tailroom.
TEST_F(Ingress6, DadProbeIsAnsweredToAllNodes) {
  auto v = test::ns6();
  v.src = Ipv6Addr{};
  v.l4 = test::nd_msg(kNdSolicit, ip6("2001:2::1"), 0, {});
  auto f = test::v6_frame(v);
  ASSERT_EQ(f.size(), 78u);
  Outcome o = run(f, 128);
  ASSERT_EQ(o.kind, Kind::Send);
  expect_moved(
      {Ctr::ipv6_rx_delivered, Ctr::nd_rx_solicits, Ctr::nd_dad_defended, Ctr::nd_tx_adverts});
  EXPECT_FALSE(o.learn);
  ASSERT_EQ(o.len, 86);
  const rte_ether_addr all_nodes_mac{{0x33, 0x33, 0, 0, 0, 1}};
  rte_ether_hdr eth;
  std::memcpy(&eth, f.data(), 14);
  EXPECT_TRUE(rte_is_same_ether_addr(&eth.dst_addr, &all_nodes_mac));
  EXPECT_EQ(addr_at(f, 22), ip6("2001:2::1"));
  EXPECT_EQ(addr_at(f, 38), Ipv6Addr::all_nodes());
  EXPECT_EQ(f[54 + 4], kNaOverride);
  EXPECT_EQ(f[54 + 24], kNdOptTargetLla);
  expect_icmp6(f, o.len, kNdAdvert, 255);
}

// Neighbour unreachability detection: a unicast solicitation without a
// source link-layer option is answered to the frame's Ethernet source; with
// no room for the option it is left out (allowed for a unicast one, 7.2.4).
TEST_F(Ingress6, UnicastProbeWithoutOptionIsAnsweredToTheFrameSource) {
  auto v = test::ns6();
  v.dst = ip6("2001:2::1");
  v.eth_dst = kUs;
  v.l4 = test::nd_msg(kNdSolicit, ip6("2001:2::1"), 0, {});
  auto f = test::v6_frame(v);
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Send);
  EXPECT_FALSE(o.learn);
  ASSERT_EQ(o.len, 78);
  rte_ether_hdr eth;
  std::memcpy(&eth, f.data(), 14);
  EXPECT_TRUE(rte_is_same_ether_addr(&eth.dst_addr, &kPeer));
  EXPECT_EQ(f[54 + 4], kNaSolicited | kNaOverride);
  expect_icmp6(f, o.len, kNdAdvert, 255);
}

TEST_F(Ingress6, AdvertisementIsLearnedWithoutCreating) {
  auto f = test::v6_frame({.src = ip6("2001:2::7"),
                           .hop_limit = 255,
                           .l4 = test::nd_msg(kNdAdvert, ip6("2001:2::7"), kNdOptTargetLla,
                                              test::mac(7), kNaSolicited | kNaOverride)});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Consumed);
  expect_moved({Ctr::ipv6_rx_delivered, Ctr::nd_rx_adverts});
  EXPECT_TRUE(o.learn);
  EXPECT_FALSE(o.learn_create);
  EXPECT_EQ(o.learn_ip, IpAddr(ip6("2001:2::7")));
  const rte_ether_addr m7 = test::mac(7);
  EXPECT_TRUE(rte_is_same_ether_addr(&o.learn_mac, &m7));

  f = test::v6_frame({.src = ip6("2001:2::7"),
                      .hop_limit = 255,
                      .l4 = test::nd_msg(kNdAdvert, ip6("2001:2::7"), 0, {}, kNaSolicited)});
  o = run(f);
  EXPECT_EQ(o.kind, Kind::Consumed);
  EXPECT_FALSE(o.learn);  // nothing to learn without the option
}

TEST_F(Ingress6, UnsolicitedAdvertisementToAllNodes) {
  auto f = test::v6_frame({.src = ip6("fe80::7"),
                           .dst = Ipv6Addr::all_nodes(),
                           .hop_limit = 255,
                           .l4 = test::nd_msg(kNdAdvert, ip6("2001:2::7"), kNdOptTargetLla,
                                              test::mac(7), kNaOverride)});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Consumed);
  EXPECT_TRUE(o.learn);
}

TEST_F(Ingress6, RouterAdvertisementIsIgnoredByDesign) {
  std::vector<uint8_t> ra(16, 0);
  ra[0] = 134;
  auto f = test::v6_frame(
      {.src = ip6("fe80::fe"), .dst = Ipv6Addr::all_nodes(), .hop_limit = 255, .l4 = ra});
  EXPECT_EQ(run(f).kind, Kind::Consumed);
  expect_moved({Ctr::ipv6_rx_delivered, Ctr::icmp6_rx_ignored});
}

// RFC 8201: packet too big quoting a TCP segment of ours goes to the engine.
TEST_F(Ingress6, PacketTooBigGoesToTheEngine) {
  auto f = test::v6_frame({.src = ip6("2001:2::fe"), .l4 = test::ptb6({})});
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::FragNeeded);
  expect_moved({Ctr::ipv6_rx_delivered, Ctr::icmp6_rx_packet_too_big});
  EXPECT_EQ(o.frag.ours, IpAddr(ip6("2001:2::1")));
  EXPECT_EQ(o.frag.peer, IpAddr(ip6("2001:2:9::9")));
  EXPECT_EQ(rte_be_to_cpu_16(o.frag.our_port), 80);
  EXPECT_EQ(rte_be_to_cpu_16(o.frag.peer_port), 40000);
  EXPECT_EQ(o.frag.seq, 1000u);
  EXPECT_EQ(o.frag.mtu, 1400);
  EXPECT_EQ(o.frag.quoted_len, 1500);
}

TEST_F(Ingress6, PacketTooBigMtuIsClamped) {
  auto f = test::v6_frame({.src = ip6("2001:2::fe"), .l4 = test::ptb6({.mtu = 600})});
  EXPECT_EQ(run(f).frag.mtu, kIpv6MinMtu);  // RFC 8201 4
  f = test::v6_frame({.src = ip6("2001:2::fe"), .l4 = test::ptb6({.mtu = 100000})});
  EXPECT_EQ(run(f).frag.mtu, 0xffff);
}

// Every malformed or unwanted IPv6 packet is dropped by one counter, at the
// IPv6 layer.
TEST_F(Ingress6, EachMalformedPacketCountsOnce) {
  struct C {
    std::vector<uint8_t> f;
    Ctr want;
  };
  using test::v6_frame;
  const auto echo = test::echo6();
  auto short_ip = v6_frame({.l4 = echo});
  short_ip.resize(14 + 39);
  std::vector<test::Ext> nine(9, test::padn_opts(test::kDstOpts));
  std::vector<C> cases{
      {short_ip, Ctr::ipv6_too_short},
      {v6_frame({.version = 4, .l4 = echo}), Ctr::ipv6_bad_version},
      {v6_frame({.plen_delta = 1, .l4 = echo}), Ctr::ipv6_bad_payload_length},
      {v6_frame({.src = ip6("ff02::1"), .l4 = echo}), Ctr::ipv6_multicast_source},
      {v6_frame({.dst = ip6("2001:2::77"), .l4 = echo}), Ctr::ipv6_not_for_us},
      {v6_frame({.dst = ip6("ff02::2"), .l4 = echo}), Ctr::ipv6_group_not_joined},
      {v6_frame({.dst = Ipv6Addr::all_nodes(), .proto = IPPROTO_TCP, .l4 = echo}),
       Ctr::ipv6_not_for_us},
      {v6_frame({.ext = nine, .l4 = echo}), Ctr::ipv6_ext_chain_too_long},
      {v6_frame({.plen_delta = -4, .ext = {test::padn_opts(test::kDstOpts)}, .l4 = {}}),
       Ctr::ipv6_ext_truncated},
      {v6_frame({.ext = {{test::kDstOpts, {1, 5, 0, 0, 0, 0}}}, .l4 = echo}),
       Ctr::ipv6_ext_truncated},
      {v6_frame({.ext = {{test::kDstOpts, {0, 0, 0, 0, 0, 1}}}, .l4 = echo}),
       Ctr::ipv6_ext_truncated},
      {v6_frame({.ext = {{test::kHbh, {0x41, 4, 0, 0, 0, 0}}}, .l4 = echo}),
       Ctr::ipv6_unknown_option},
      {v6_frame({.ext = {{test::kDstOpts, {0xc2, 4, 0, 1, 0, 0}}}, .l4 = echo}),
       Ctr::ipv6_unknown_option},
      {v6_frame(
           {.ext = {test::padn_opts(test::kDstOpts), test::padn_opts(test::kHbh)}, .l4 = echo}),
       Ctr::ipv6_hbh_not_first},
      {v6_frame({.ext = {test::routing(0, 1)}, .l4 = echo}), Ctr::ipv6_routing_type0},
      {v6_frame({.ext = {test::routing(4, 2)}, .l4 = echo}), Ctr::ipv6_routing_segments_left},
      {v6_frame({.ext = {test::fragment(0x0001)}, .l4 = echo}), Ctr::ipv6_fragment},
      {v6_frame({.ext = {test::fragment(0x0008)}, .l4 = echo}), Ctr::ipv6_fragment},
      {v6_frame({.proto = test::kNoNext, .l4 = {}}), Ctr::ipv6_no_next_header},
      {v6_frame({.proto = IPPROTO_UDP, .l4 = echo}), Ctr::ipv6_unknown_next_header},
      {v6_frame({.ext = {{51, {0, 0, 0, 0, 0, 0}}}, .l4 = echo}), Ctr::ipv6_unknown_next_header},
      {v6_frame({.src = Ipv6Addr{}, .l4 = echo}), Ctr::ipv6_unspecified_source},
      {v6_frame({.dst = Ipv6Addr{}, .l4 = echo}), Ctr::ipv6_not_for_us},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(std::string(stats::kCounterInfo[size_t(c.want)].name));
    EXPECT_EQ(run(c.f).kind, Kind::Drop);
    expect_moved({c.want});
  }
}

// The same for ICMPv6, neighbour discovery and packet too big: the packet
// passed the IPv6 layer (ipv6_rx_delivered), then one drop counter.
TEST_F(Ingress6, EachMalformedIcmp6CountsOnce) {
  struct C {
    std::vector<uint8_t> f;
    Ctr want;
  };
  using test::v6_frame;
  auto ns = [](auto&& edit) {
    auto v = test::ns6();
    edit(v);
    return v6_frame(v);
  };
  const Ipv6Addr us = ip6("2001:2::1");
  const rte_ether_addr group_mac{{0x33, 0x33, 0, 0, 0, 1}};
  auto ptb = [](test::Ptb p) { return v6_frame({.src = ip6("2001:2::fe"), .l4 = test::ptb6(p)}); };
  std::vector<C> cases{
      {v6_frame({.l4 = {128, 0, 0, 0}}), Ctr::icmp6_too_short},
      {v6_frame({.l4 = test::echo6(), .bad_cksum = true}), Ctr::icmp6_bad_checksum},
      {v6_frame({.l4 = test::echo6(8, 200)}), Ctr::icmp6_unhandled_type},
      {v6_frame({.l4 =
                     [] {
                       auto e = test::echo6();
                       e[1] = 1;
                       return e;
                     }()}),
       Ctr::icmp6_unhandled_type},
      {ns([](auto& v) { v.hop_limit = 254; }), Ctr::nd_bad_hop_limit},
      {ns([](auto& v) { v.l4[1] = 1; }), Ctr::nd_bad_code},
      {ns([](auto& v) { v.l4.resize(20); }), Ctr::nd_too_short},
      {ns([](auto& v) { v.l4 = test::nd_msg(kNdSolicit, ip6("ff02::1"), 0, {}); }),
       Ctr::nd_bad_target},
      {ns([](auto& v) { v.l4 = test::nd_msg(kNdSolicit, Ipv6Addr{}, 0, {}); }), Ctr::nd_bad_target},
      {ns([&](auto& v) {
         v.l4 = test::nd_msg(kNdSolicit, us, kNdOptSourceLla, kPeer, 0, {3, 0, 0, 0, 0, 0, 0, 0});
       }),
       Ctr::nd_zero_length_option},
      {ns([&](auto& v) {
         v.l4 = test::nd_msg(kNdSolicit, us, kNdOptSourceLla, kPeer, 0, {3, 2, 0, 0, 0, 0, 0, 0});
       }),
       Ctr::nd_truncated_option},
      {ns([&](auto& v) {
         v.l4 = test::nd_msg(kNdSolicit, us, 0, {}, 0,
                             {1, 2, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0});
       }),
       Ctr::nd_bad_lla_option},
      {ns([&](auto& v) { v.l4 = test::nd_msg(kNdSolicit, us, kNdOptSourceLla, group_mac); }),
       Ctr::nd_bad_lla_option},
      {ns([](auto& v) { v.src = Ipv6Addr{}; }), Ctr::nd_bad_dad_solicit},  // with its SLLA
      {ns([&](auto& v) {
         v.src = Ipv6Addr{};
         v.dst = us;
         v.l4 = test::nd_msg(kNdSolicit, us, 0, {});
       }),
       Ctr::nd_bad_dad_solicit},
      {v6_frame({.src = ip6("fe80::7"),
                 .dst = Ipv6Addr::all_nodes(),
                 .hop_limit = 255,
                 .l4 = test::nd_msg(kNdAdvert, ip6("2001:2::7"), 0, {}, kNaSolicited)}),
       Ctr::nd_solicited_multicast},
      // Another address whose solicited-node group is one of ours.
      {ns([](auto& v) {
         v.l4 = test::nd_msg(kNdSolicit, ip6("2001:3::1"), kNdOptSourceLla, test::mac(2));
       }),
       Ctr::nd_not_for_us},
      {ns([](auto& v) {
         v.dst = ip6("2001:2::1");
         v.l4 = test::nd_msg(kNdSolicit, ip6("2001:2::77"), kNdOptSourceLla, test::mac(2));
       }),
       Ctr::nd_not_for_us},
      {ns([](auto& v) { v.src = ip6("2001:2:0:5::1"); }), Ctr::nd_dad_conflict},
      {v6_frame({.src = ip6("2001:2::7"),
                 .hop_limit = 255,
                 .l4 = test::nd_msg(kNdAdvert, us, kNdOptTargetLla, test::mac(7), kNaOverride)}),
       Ctr::nd_dad_conflict},
      {ns([&](auto& v) {  // a probe, 78 bytes, and no room for the answer's option
         v.src = Ipv6Addr{};
         v.l4 = test::nd_msg(kNdSolicit, us, 0, {});
       }),
       Ctr::nd_no_room},
      {ptb({.tcp_bytes = 7}), Ctr::icmp6_ptb_too_short},
      {ptb({.quoted_version = 4}), Ctr::icmp6_ptb_bad_quote},
      {ptb({.quoted_proto = IPPROTO_UDP}), Ctr::icmp6_ptb_not_tcp},
      {ptb({.quoted_proto = 60}), Ctr::icmp6_ptb_not_tcp},
      {ptb({.quoted_src = ip6("2001:2::8")}), Ctr::icmp6_ptb_not_ours},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(std::string(stats::kCounterInfo[size_t(c.want)].name));
    EXPECT_EQ(run(c.f).kind, Kind::Drop);
    expect_moved({Ctr::ipv6_rx_delivered, c.want});
  }
}

// A port with no IPv6 yet (no link-local address, for which is_local6 would
// take ::) receives nothing over IPv6, not even on all-nodes.
TEST_F(Ingress6, PortWithoutIpv6TakesNone) {
  port_ = test::port_ip();
  auto f = test::v6_frame({.dst = Ipv6Addr::all_nodes(), .l4 = test::echo6()});
  EXPECT_EQ(run(f).kind, Kind::Drop);
  expect_moved({Ctr::ipv6_not_for_us});
  auto v = test::ns6();
  v.dst = Ipv6Addr{};
  v.l4 = test::nd_msg(kNdSolicit, Ipv6Addr{}, kNdOptSourceLla, kPeer);
  f = test::v6_frame(v);
  EXPECT_EQ(run(f).kind, Kind::Drop);
  expect_moved({Ctr::ipv6_not_for_us});
}

// What parse_ipv6 tells the caller.
TEST(Ipv6Parse, ViewOfAChain) {
  const PortIp port = test::port_ip6();
  auto f = test::v6_frame({.hop_limit = 7,
                           .ext = {test::padn_opts(test::kHbh), test::routing(2, 0)},
                           .l4 = test::echo6(10),
                           .pad = 3});
  Ipv6View v;
  ASSERT_FALSE(parse_ipv6(f.data() + 14, static_cast<uint16_t>(f.size() - 14), port, v));
  EXPECT_EQ(v.src, ip6("2001:2::2"));
  EXPECT_EQ(v.dst, ip6("2001:2::1"));
  EXPECT_EQ(v.proto, kProtoIcmp6);
  EXPECT_EQ(v.hop_limit, 7);
  EXPECT_EQ(v.l4_off, 40 + 16);
  EXPECT_EQ(v.l4_len, 18);
}

// parse_nd alone, as the control plane's duplicate address detection uses it.
TEST(NdParse, AdvertisementFields) {
  const auto m = test::nd_msg(kNdAdvert, ip6("2001:2::7"), kNdOptTargetLla, test::mac(7),
                              kNaRouter | kNaSolicited,
                              {14, 1, 0, 0, 0, 0, 0, 0});  // a nonce-like option, skipped
  NdMessage nd;
  ASSERT_FALSE(parse_nd(m.data(), static_cast<uint16_t>(m.size()), ip6("fe80::7"), ip6("2001:2::1"),
                        255, nd));
  EXPECT_EQ(nd.type, kNdAdvert);
  EXPECT_EQ(nd.flags, kNaRouter | kNaSolicited);
  EXPECT_EQ(nd.target, ip6("2001:2::7"));
  EXPECT_TRUE(nd.has_lla);
  const rte_ether_addr m7 = test::mac(7);
  EXPECT_TRUE(rte_is_same_ether_addr(&nd.lla, &m7));
  EXPECT_TRUE(is_solicited_node(ip6("ff02::1:ff00:7")));
  EXPECT_FALSE(is_solicited_node(ip6("ff02::1")));
}

}  // namespace
}  // namespace pmx::net
