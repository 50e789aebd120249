// TCP over IPv6, packet in, packet out: the handshake and close, the MSS of
// RFC 9293 3.7.1 / RFC 8200 8.3, the demultiplexing order per family (a
// 0.0.0.0 listener never takes an IPv6 SYN), ISNs over the IPv6 4-tuple,
// path MTU discovery's floor (RFC 8201), and the IPv6 frame write_frame()
// makes. The fixture's peer is [2001:2::2]:40000, we are [2001:2::1].
#include "tcp_fixture.hpp"

#include <rte_ip.h>

namespace pmx::tcp::test {
namespace {

class V6 : public TcpTest {
 protected:
  void SetUp() override {
    TcpTest::SetUp();
    use_v6();
  }
};

TEST_F(V6, HandshakeEchoAndPassiveClose) {
  const Got sa = syn(kEcho, {.mss = 1440, .sack_ok = true});
  expect_opts(sa, {HasMss(1440), HasSackOk(), NoTs()});  // 1500 - 40 - 20
  EXPECT_EQ(ctr(Ctr::tcp_demux_listen_wildcard), 1u);
  EXPECT_TRUE(conn()->key.is_v6());
  EXPECT_EQ(conn()->mss, 1440);
  send({.seq = R(1), .ack = L(1)});
  ASSERT_EQ(state(), State::Established);
  send({.seq = R(1), .ack = L(1), .data = "over six"});
  expect({{.seq = L(1), .ack = R(9), .flags = flag::ACK | flag::PSH, .data = "over six"}});
  send({.seq = R(9), .ack = L(9), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(9), .ack = R(10), .flags = flag::ACK | flag::FIN}});
  send({.seq = R(10), .ack = L(10)});
  EXPECT_EQ(state(), State::Closed);
  expect_clean();
}

// RFC 9293 3.7.1: without an MSS option an IPv6 peer is sent 1220-byte
// segments (1280 - 60), not IPv4's 536.
TEST_F(V6, SynWithoutMssGetsTheIpv6Default) {
  syn(kEcho, {});
  EXPECT_EQ(conn()->mss, 1220);
}

TEST_F(V6, ExactAddressBeatsTheIpv6Wildcard) {
  ASSERT_GE(engine_->listen({.ip = *net::parse_ipv6("2001:2::1"),
                             .port = kEcho,
                             .service = {.kind = service::kind::Discard}}),
            0);
  syn(kEcho);
  EXPECT_EQ(ctr(Ctr::tcp_demux_listen_exact), 1u);
  EXPECT_EQ(conn()->svc, service::kind::Discard);
}

// Two keys that differ only in the IPv6 addresses (the IPv4 words are zero
// in both) get unrelated ISNs: the hash covers all 48 bytes.
TEST_F(V6, IsnCoversTheIpv6Addresses) {
  const uint32_t a = EngineAccess::make_isn(*engine_, key(0, 0, 1), now_);
  const uint32_t b = EngineAccess::make_isn(*engine_, key(0, 0, 2), now_);
  EXPECT_NE(a, b);
}

// RFC 8201 4: an IPv6 path MTU is never believed below 1280.
TEST_F(V6, PacketTooBigNeverGoesBelow1280) {
  established(kHttp, {.mss = 1440});
  send({.seq = R(1), .ack = L(1), .data = "GET /bytes/100000 HTTP/1.1\r\n\r\n"});
  const std::vector<Got> g = take();
  ASSERT_GE(g.size(), 2u);
  EXPECT_EQ(g[0].data.size(), 1440u);
  engine_->frag_needed(key(), L(1), 1000, 1500, now_);
  drain();
  EXPECT_EQ(ctr(Ctr::tcp_pmtu_lowered), 1u);
  EXPECT_EQ(conn()->mss, 1220);
  for (const Got& s : take()) EXPECT_LE(s.data.size(), 1220u);
}

using V6Only = TcpTest;

// The fixture's listeners are 0.0.0.0 ones: IPv4 only. An IPv6 SYN to
// their port is refused as if nothing listened (RFC 9293 3.10.7.1).
TEST_F(V6Only, Ipv4WildcardNeverTakesAnIpv6Syn) {
  v6_ = true;
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_closed_answered);
  expect({{.seq = 0, .ack = R(1), .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(engine_->conns_in_use(), 0u);
}

// The frame: Ethernet type 0x86dd, version 6, payload length, next header
// TCP, hop limit 64, our addresses; the checksum covers the IPv6
// pseudo-header (a changed source address breaks it).
TEST(V6Wire, WriteFrameAndParseBack) {
  OutSeg o;
  o.key = make_key(*net::parse_ipv6("2001:2::1"), *net::parse_ipv6("2001:2::2"),
                   rte_cpu_to_be_16(80), rte_cpu_to_be_16(40000), 3);
  o.seq = 1;
  o.ack = 2;
  o.flags = flag::ACK | flag::PSH;
  o.wnd = 1000;
  const std::string payload = "hello";
  o.p1 = reinterpret_cast<const uint8_t*>(payload.data());
  o.n1 = static_cast<uint32_t>(payload.size());
  std::vector<uint8_t> buf(kHeaders6 + kMaxOptions + o.len());
  const rte_ether_addr mac{{2, 0, 0, 0, 0, 1}};
  const uint32_t n = write_frame(buf.data(), mac, o, 0);
  ASSERT_EQ(n, kHeaders6 + payload.size());
  EXPECT_EQ(buf[12], 0x86);
  EXPECT_EQ(buf[13], 0xdd);
  const uint8_t* ip = buf.data() + 14;
  EXPECT_EQ(ip[0] >> 4, 6);
  EXPECT_EQ(ip[4] << 8 | ip[5], 20 + 5);  // payload length
  EXPECT_EQ(ip[6], IPPROTO_TCP);
  EXPECT_EQ(ip[7], 64);
  EXPECT_EQ(std::memcmp(ip + 8, o.key.local6.data(), 16), 0);
  EXPECT_EQ(std::memcmp(ip + 24, o.key.remote6.data(), 16), 0);
  // Parsed as the peer receives it: source = us.
  Seg s;
  const net::IpAddr us = local_addr(o.key), them = remote_addr(o.key);
  ASSERT_FALSE(parse_segment(ip + 40, n - 54, us, them, 3, false, s));
  EXPECT_TRUE(s.key.is_v6());
  EXPECT_EQ(s.key.local6, o.key.remote6);  // the receiver's local is our remote
  EXPECT_EQ(s.key.remote6, o.key.local6);
  EXPECT_EQ(s.len, 5u);
  net::IpAddr other = us;
  other.b[15] ^= 1;
  EXPECT_EQ(parse_segment(ip + 40, n - 54, other, them, 3, false, s), Ctr::tcp_bad_checksum);
}

}  // namespace
}  // namespace pmx::tcp::test
