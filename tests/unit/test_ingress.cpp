// Packet-in/packet-out tests of the layer 2/3 path: each frame in, the exact
// outcome and the exact counters out.
#include "frames.hpp"
#include "net/ingress.hpp"
#include "tcp/listener.hpp"

#include <gtest/gtest.h>

namespace pmx::net {
namespace {

using stats::Ctr;
using Kind = Outcome::Kind;
const rte_ether_addr kPeer = test::mac(2), kUs = test::mac(1);

class Ingress : public ::testing::Test {
 protected:
  Outcome run(std::vector<uint8_t>& f) {
    before_ = ctr_;
    return ingress(f.data(), static_cast<uint16_t>(f.size()), false, port_, ctr_);
  }
  // Exactly these counters moved, each by one.
  void expect_moved(std::initializer_list<Ctr> cs) {
    for (size_t i = 0; i < stats::kNumCounters; ++i) {
      uint64_t want = 0;
      for (Ctr c : cs) want += size_t(c) == i;
      EXPECT_EQ(ctr_.load(i) - before_.load(i), want) << stats::kCounterInfo[i].name;
    }
  }
  PortIp port_ = test::port_ip();
  stats::Counters ctr_, before_;
};

TEST_F(Ingress, ArpRequestForUsIsAnsweredInPlace) {
  auto f = test::arp_frame({});
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Send);
  expect_moved({Ctr::arp_rx_requests, Ctr::arp_tx_replies});
  EXPECT_TRUE(o.learn && o.learn_create);
  EXPECT_EQ(o.learn_ip, IpAddr::of(test::ip("198.18.0.2")));
  ASSERT_EQ(o.len, 42);
  rte_ether_hdr eth;
  std::memcpy(&eth, f.data(), 14);
  EXPECT_TRUE(rte_is_same_ether_addr(&eth.dst_addr, &kPeer));  // unicast to the asker
  EXPECT_TRUE(rte_is_same_ether_addr(&eth.src_addr, &kUs));
  ArpView v;
  ASSERT_FALSE(parse_arp(f.data() + 14, 28, v));
  EXPECT_EQ(v.op, RTE_ARP_OP_REPLY);
  EXPECT_EQ(v.spa, test::ip("198.18.0.1"));
  EXPECT_EQ(v.tpa, test::ip("198.18.0.2"));
}

TEST_F(Ingress, ArpForSecondAddressAnswersFromIt) {
  auto f = test::arp_frame({.spa = test::ip("198.19.9.9"), .tpa = test::ip("198.19.5.1")});
  ASSERT_EQ(run(f).kind, Kind::Send);
  ArpView v;
  ASSERT_FALSE(parse_arp(f.data() + 14, 28, v));
  EXPECT_EQ(v.spa, test::ip("198.19.5.1"));
}

// Issue 14: every address of a range is answered, from itself; the
// addresses around it are not ours.
TEST_F(Ingress, ArpForRangeAddressAnsweredAndNotOutside) {
  port_.addrs[port_.naddrs++] = *parse_addr_value("198.18.4.1-198.18.7.254/22").v4;
  for (const char* t : {"198.18.4.1", "198.18.5.77", "198.18.7.254"}) {
    auto f = test::arp_frame({.tpa = test::ip(t)});
    ASSERT_EQ(run(f).kind, Kind::Send) << t;
    expect_moved({Ctr::arp_rx_requests, Ctr::arp_tx_replies});
    ArpView v;
    ASSERT_FALSE(parse_arp(f.data() + 14, 28, v));
    EXPECT_EQ(v.op, RTE_ARP_OP_REPLY);
    EXPECT_EQ(v.spa, test::ip(t));
  }
  for (const char* t : {"198.18.4.0", "198.18.7.255"}) {
    auto f = test::arp_frame({.tpa = test::ip(t)});
    EXPECT_EQ(run(f).kind, Kind::Drop) << t;
    expect_moved({Ctr::arp_not_for_us});
  }
}

TEST_F(Ingress, ArpRequestForOthersMergesOnly) {
  auto f = test::arp_frame({.tpa = test::ip("198.18.0.77")});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Drop);
  expect_moved({Ctr::arp_not_for_us});
  EXPECT_TRUE(o.learn);
  EXPECT_FALSE(o.learn_create);  // RFC 826: update only
}

TEST_F(Ingress, ArpReplyIsConsumedAndLearned) {
  auto f = test::arp_frame({.op = RTE_ARP_OP_REPLY});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Consumed);
  expect_moved({Ctr::arp_rx_replies});
  EXPECT_TRUE(o.learn && o.learn_create);
}

TEST_F(Ingress, ArpProbeWithZeroSenderLearnsNothing) {
  auto f = test::arp_frame({.spa = Ipv4Addr{}});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Send);  // RFC 5227 2.1.1: a probe for our address is answered
  EXPECT_FALSE(o.learn);
}

TEST_F(Ingress, ArpClaimingOurAddressIsDropped) {
  auto f = test::arp_frame({.spa = test::ip("198.18.0.1")});
  EXPECT_EQ(run(f).kind, Kind::Drop);
  expect_moved({Ctr::arp_bad_sender});
}

TEST_F(Ingress, EchoRequestBecomesRoutedReply) {
  auto f = test::echo_frame({});
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::Route);
  expect_moved({Ctr::ipv4_rx_delivered, Ctr::icmp_rx_echo_requests});
  EXPECT_EQ(o.dst, IpAddr::of(test::ip("198.18.0.2")));
  EXPECT_EQ(o.len, 14 + 20 + 64);
  rte_ether_hdr eth;
  std::memcpy(&eth, f.data(), 14);
  EXPECT_TRUE(rte_is_same_ether_addr(&eth.src_addr, &kUs));
}

TEST_F(Ingress, EachMalformedFrameCountsOnce) {
  struct C {
    std::vector<uint8_t> f;
    Ctr want;
  };
  rte_ether_addr other = test::mac(9), mcast{{0x01, 0x00, 0x5e, 0, 0, 1}};
  auto lldp = test::echo_frame({});
  lldp[12] = 0x88, lldp[13] = 0xcc;
  auto short_ip = test::echo_frame({});
  short_ip.resize(14 + 10);
  std::vector<C> cases{
      {std::vector<uint8_t>(13, 0), Ctr::eth_too_short},
      {test::echo_frame({.eth_dst = other}), Ctr::eth_not_for_us},
      {test::echo_frame({.dst = test::ip("224.0.0.1"), .eth_dst = mcast}), Ctr::ipv4_not_for_us},
      {lldp, Ctr::eth_unknown_type},
      {short_ip, Ctr::ipv4_too_short},
      {test::echo_frame({.version_ihl = 0x44}), Ctr::ipv4_bad_ihl},
      {test::echo_frame({.total_delta = 4}), Ctr::ipv4_bad_total_length},
      {test::echo_frame({.bad_ip_cksum = true}), Ctr::ipv4_bad_checksum},
      {test::echo_frame({.frag = RTE_IPV4_HDR_MF_FLAG}), Ctr::ipv4_fragment},
      {test::echo_frame({.ttl = 0}), Ctr::ipv4_ttl_zero},
      {test::arp_frame({.plen = 6}), Ctr::arp_bad_length},
      {test::arp_frame({.truncate_to = 30}), Ctr::arp_truncated},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(std::string(stats::kCounterInfo[size_t(c.want)].name));
    EXPECT_EQ(run(c.f).kind, Kind::Drop);
    expect_moved({c.want});
  }
}

// An echo request frame turned into UDP (IP header checksum redone).
std::vector<uint8_t> udp_frame() {
  auto f = test::echo_frame({});
  f[14 + 9] = IPPROTO_UDP;
  f[14 + 10] = f[14 + 11] = 0;
  uint16_t ck = inet_checksum(f.data() + 14, 20);
  std::memcpy(f.data() + 24, &ck, 2);
  return f;
}

TEST_F(Ingress, NonIcmpProtocolAfterDelivery) {
  auto f = udp_frame();
  EXPECT_EQ(run(f).kind, Kind::Drop);
  expect_moved({Ctr::ipv4_rx_delivered, Ctr::ipv4_unknown_protocol});
}

// --kernel-port (PortIp::kernel): what is not ours goes up instead of being
// dropped, counted once as its kernel_up_* reason; what is ours is not.
class KernelIngress : public Ingress {
 protected:
  void SetUp() override { port_.kernel = true; }
};

TEST_F(KernelIngress, OtherProtocolsGoUp) {
  auto f = udp_frame();
  EXPECT_EQ(run(f).kind, Kind::Kernel);
  expect_moved({Ctr::ipv4_rx_delivered, Ctr::kernel_up_proto});
}

TEST_F(KernelIngress, OtherAddressesGoUp) {
  auto f = test::echo_frame({.dst = test::ip("198.18.0.77")});
  EXPECT_EQ(run(f).kind, Kind::Kernel);
  expect_moved({Ctr::kernel_up_ip});
}

TEST_F(KernelIngress, IcmpOtherThanEchoRequestGoesUp) {
  auto f = test::echo_frame({.icmp_type = RTE_IP_ICMP_ECHO_REPLY});  // the kernel's ping
  EXPECT_EQ(run(f).kind, Kind::Kernel);
  expect_moved({Ctr::ipv4_rx_delivered, Ctr::kernel_up_icmp});
}

TEST_F(KernelIngress, EchoRequestsStayOurs) {
  auto f = test::echo_frame({});
  EXPECT_EQ(run(f).kind, Kind::Route);
  expect_moved({Ctr::ipv4_rx_delivered, Ctr::icmp_rx_echo_requests});
}

TEST_F(KernelIngress, ArpRequestsForOthersGoUpAndStillMerge) {
  auto f = test::arp_frame({.tpa = test::ip("198.18.0.77")});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Kernel);
  expect_moved({Ctr::kernel_up_arp});
  EXPECT_TRUE(o.learn);
  EXPECT_FALSE(o.learn_create);
}

TEST_F(KernelIngress, ArpRequestsForUsAreAnsweredByUsOnly) {
  auto f = test::arp_frame({});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Send);
  EXPECT_FALSE(o.copy_to_kernel);
}

TEST_F(KernelIngress, ArpRepliesAreLearnedAndCopiedUp) {
  auto f = test::arp_frame({.op = RTE_ARP_OP_REPLY});
  Outcome o = run(f);
  EXPECT_EQ(o.kind, Kind::Consumed);
  EXPECT_TRUE(o.copy_to_kernel);
  expect_moved({Ctr::arp_rx_replies, Ctr::kernel_up_arp});
}

TEST_F(Ingress, WithoutAKernelPortNothingGoesUp) {
  auto f = test::arp_frame({.op = RTE_ARP_OP_REPLY});
  EXPECT_FALSE(run(f).copy_to_kernel);
  auto g = test::echo_frame({.icmp_type = RTE_IP_ICMP_ECHO_REPLY});
  EXPECT_EQ(run(g).kind, Kind::Drop);
  expect_moved({Ctr::ipv4_rx_delivered, Ctr::icmp_unhandled_type});
}

TEST_F(Ingress, TcpGoesToTheEngineUncounted) {
  auto f = test::echo_frame({});
  f[14 + 9] = IPPROTO_TCP;
  f[14 + 10] = f[14 + 11] = 0;
  uint16_t ck = inet_checksum(f.data() + 14, 20);
  std::memcpy(f.data() + 24, &ck, 2);
  const auto o = run(f);
  EXPECT_EQ(o.kind, Kind::Tcp);
  EXPECT_EQ(o.l4_off, 14 + 20);
  EXPECT_EQ(o.l4_len, f.size() - 14 - 20);
  expect_moved({Ctr::ipv4_rx_delivered});  // the engine counts the rest
}

// Issue 14: a segment to any address of a range reaches the engine, where a
// 0.0.0.0 listener serves it and an exact listener on one address of the
// range takes that address (RFC 9293 3.10.7.2's most specific match).
TEST_F(Ingress, RangeAddressesReachListenersExactFirst) {
  port_.addrs[port_.naddrs++] = *parse_addr_value("198.18.4.1-198.18.7.254/22").v4;
  tcp::ListenerTable t;
  const int wild = t.add({.ip = IpAddr::of(Ipv4Addr{}), .port = 80, .service = {}});
  const int exact = t.add({.ip = IpAddr::of(test::ip("198.18.5.5")), .port = 80, .service = {}});
  for (const char* d : {"198.18.4.1", "198.18.5.5", "198.18.7.254", "198.18.7.255"}) {
    auto f = test::echo_frame({.dst = test::ip(d)});
    f[14 + 9] = IPPROTO_TCP;
    f[14 + 10] = f[14 + 11] = 0;
    uint16_t ck = inet_checksum(f.data() + 14, 20);
    std::memcpy(f.data() + 24, &ck, 2);
    const bool ours = std::string(d) != "198.18.7.255";
    ASSERT_EQ(run(f).kind, ours ? Kind::Tcp : Kind::Drop) << d;
    if (!ours) continue;
    tcp::ListenerTable::Match m;
    EXPECT_EQ(t.lookup(IpAddr::of(test::ip(d)), 80, m),
              std::string(d) == "198.18.5.5" ? exact : wild)
        << d;
  }
}

// Every drop counter is a drop; every event counter is not.
TEST(Counters, DropFlagsMatchTheList) {
  EXPECT_TRUE(stats::kCounterInfo[size_t(Ctr::ipv4_bad_ihl)].drop);
  EXPECT_FALSE(stats::kCounterInfo[size_t(Ctr::rx_frames)].drop);
  EXPECT_EQ(stats::counter_index("ipv4_ttl_zero"), size_t(Ctr::ipv4_ttl_zero));
  EXPECT_EQ(stats::counter_index("nope"), stats::kNumCounters);
}

// RFC 1191: fragmentation needed quoting a TCP segment of ours goes to the
// engine with what it quotes; anything else is a drop with its own counter.
TEST_F(Ingress, FragNeededGoesToTheEngine) {
  auto f = test::frag_frame({});
  Outcome o = run(f);
  ASSERT_EQ(o.kind, Kind::FragNeeded);
  expect_moved({Ctr::ipv4_rx_delivered, Ctr::icmp_rx_frag_needed});
  EXPECT_EQ(o.frag.ours, IpAddr::of(test::ip("198.18.0.1")));
  EXPECT_EQ(o.frag.peer, IpAddr::of(test::ip("198.18.0.9")));
  EXPECT_EQ(rte_be_to_cpu_16(o.frag.our_port), 80);
  EXPECT_EQ(rte_be_to_cpu_16(o.frag.peer_port), 40000);
  EXPECT_EQ(o.frag.seq, 1000u);
  EXPECT_EQ(o.frag.mtu, 1280);
  EXPECT_EQ(o.frag.quoted_len, 1500);
}

TEST_F(Ingress, BadFragNeededCountsOnce) {
  struct C {
    std::vector<uint8_t> f;
    Ctr want;
  };
  auto bad_ck = test::frag_frame({});
  bad_ck[14 + 20 + 2] ^= 0x40;
  std::vector<C> cases{
      {test::frag_frame({.tcp_bytes = 4}), Ctr::icmp_frag_too_short},
      {test::frag_frame({.quoted_vihl = 0x65}), Ctr::icmp_frag_bad_quote},
      {test::frag_frame({.quoted_vihl = 0x44}), Ctr::icmp_frag_bad_quote},
      {test::frag_frame({.quoted_vihl = 0x46}), Ctr::icmp_frag_too_short},
      {test::frag_frame({.quoted_proto = IPPROTO_UDP}), Ctr::icmp_frag_not_tcp},
      {test::frag_frame({.quoted_src = test::ip("198.18.0.7")}), Ctr::icmp_frag_not_ours},
      {bad_ck, Ctr::icmp_bad_checksum},
      {test::frag_frame({.code = 1}), Ctr::icmp_unhandled_type},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(std::string(stats::kCounterInfo[size_t(c.want)].name));
    EXPECT_EQ(run(c.f).kind, Kind::Drop);
    expect_moved({Ctr::ipv4_rx_delivered, c.want});
  }
}

}  // namespace
}  // namespace pmx::net
