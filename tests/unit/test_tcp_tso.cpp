// TCP segmentation offload (docs/tcp.md, "TSO"), packet in, packet out: on
// an interface whose port has TSO (EngineConfig::tso_max), output() hands
// the device one segment of as many whole segments as the windows allow;
// retransmissions, probes and FINs stay single segments. The offload
// metadata of each kind of segment (tx_meta()) is checked here; that the
// device's cuts of every segment parse with their checksums right is checked
// for every engine test by the fixture (tx_device.hpp).
#include "tcp_fixture.hpp"

#include <netinet/in.h>

namespace pmx::tcp::test {
namespace {

constexpr TxCsum kOffload{.ip = false, .l4 = true};  // virtio's: no IPv4 header checksum

class Tso : public TcpTest {
 protected:
  void SetUp() override {
    EngineConfig c = small_config();
    c.buf_size = 64 * 1024;
    c.tso_max = {65455};  // interface 0: what Plane::tso_max() gives a virtio port
    start(c);
  }
  // An http connection (MSS 1460, window 65535) asked for an n-byte body;
  // the first flight is left in queue_.
  void get(uint32_t n, TcpOpts opt = {.mss = 1460}) {
    established(kHttp, opt);
    req_ = "GET /bytes/" + std::to_string(n) + " HTTP/1.1\r\n\r\n";
    send({.seq = R(1), .ack = L(1), .data = req_});
  }
  uint32_t peer() const { return R(1) + static_cast<uint32_t>(req_.size()); }
  std::string req_;
};

// The initial window (10 segments, RFC 6928's IW10 as the engine uses it)
// leaves as one TSO segment of 14,600 bytes cut at 1,460; the MIB counts
// the ten wire segments.
TEST_F(Tso, FirstFlightIsOneTsoSegment) {
  const uint64_t out0 = ctr(Ctr::tcp_out_segs);
  get(100000);
  const std::vector<Got> g = take();
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].seq, L(1));
  EXPECT_EQ(g[0].data.size(), 14600u);
  EXPECT_EQ(g[0].tso_mss, 1460);
  EXPECT_EQ(flag_str(g[0].flags), ".");
  EXPECT_EQ(ctr(Ctr::tcp_tso_sends), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_tso_bytes), 14600u);
  EXPECT_EQ(ctr(Ctr::tcp_out_segs) - out0, 1u + 10u);  // the SYN-ACK, then ten cuts
}

// Each ACK opens the window by what it acknowledged (slow start): the
// next send is as large as cwnd, the peer's window and the send buffer
// allow, the last one ends the body with PSH. Nothing exceeds 65,455 bytes
// (the IP length).
TEST_F(Tso, SlowStartGrowsTheSegmentsUpToTheLimit) {
  get(200000);
  uint32_t acked = 1;
  size_t body = 0;
  uint32_t biggest = 0;
  bool psh = false;
  for (int round = 0; round < 50 && !psh; ++round) {
    const std::vector<Got> g = take();
    ASSERT_FALSE(g.empty());
    for (const Got& s : g) {
      ASSERT_EQ(s.seq, L(acked));
      EXPECT_LE(s.data.size(), 65455u);
      EXPECT_TRUE(s.tso_mss == 0 || s.tso_mss == 1460);
      EXPECT_EQ(s.tso_mss != 0, s.data.size() > 1460) << describe(s);
      biggest = std::max<uint32_t>(biggest, static_cast<uint32_t>(s.data.size()));
      acked += static_cast<uint32_t>(s.data.size());
      body += s.data.size();
      psh = s.has(flag::PSH);
    }
    send({.seq = peer(), .ack = L(acked), .wnd = 65535});
  }
  EXPECT_TRUE(psh);
  EXPECT_GT(body, 200000u);
  EXPECT_GE(biggest, 2u * 14600);  // grew past the initial window
  EXPECT_EQ(biggest % 1460, 0u);
}

// A lost first segment of a TSO segment: three duplicate ACKs with SACK
// blocks retransmit just that one MSS (RFC 6675), not the whole burst.
TEST_F(Tso, LossInsideATsoSegmentRetransmitsOneSegment) {
  get(100000, {.mss = 1460, .sack_ok = true});
  const Got first = take_one();
  ASSERT_EQ(first.tso_mss, 1460);
  const uint64_t rtx0 = ctr(Ctr::tcp_retrans_segs);
  for (uint32_t k = 2; k <= 4; ++k) {
    Pkt p{.seq = peer(), .ack = L(1)};
    p.opt.sack[p.opt.nsack++] = {L(1 + 1460), L(1 + 1460 * k)};
    send(p);
  }
  // The first two also released one new segment each (RFC 3042).
  int resent = 0;
  for (const Got& s : take()) {
    if (s.seq != L(1)) continue;
    ++resent;
    EXPECT_EQ(s.data.size(), 1460u);
    EXPECT_EQ(s.tso_mss, 0);
    EXPECT_TRUE(s.data == first.data.substr(0, 1460));
  }
  EXPECT_EQ(resent, 1);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs) - rtx0, 1u);
}

// After an RTO the window is one segment: go-back-N resends single
// segments, and TSO comes back as slow start reopens cwnd.
TEST_F(Tso, RtoResendsOneSegment) {
  get(100000);
  take();
  advance(1000);  // RFC 6298 (2.1): 1 s before any RTT sample
  const Got again = take_one();
  EXPECT_EQ(again.seq, L(1));
  EXPECT_EQ(again.data.size(), 1460u);
  EXPECT_EQ(again.tso_mss, 0);
  send({.seq = peer(), .ack = L(1 + 1460)});
  const Got next = take_one();  // cwnd 2 MSS: one TSO segment of two
  EXPECT_EQ(next.seq, L(1 + 1460));
  EXPECT_EQ(next.data.size(), 2920u);
  EXPECT_EQ(next.tso_mss, 1460);
}

// Offload metadata per kind of segment: SYN-ACK, pure ACK, data of one
// segment, TSO segment, FIN; over IPv4 and IPv6.
TEST_F(Tso, MetadataPerSegmentKind) {
  OutSeg s;
  s.key = key(kHttp);
  s.flags = flag::SYN | flag::ACK;
  s.opt = {.mss = 1460, .wscale = 7, .sack_ok = true, .ts = true};
  TxMeta m = tx_meta(s, kOffload);
  EXPECT_EQ(m.l2_len, 14);
  EXPECT_EQ(m.l3_len, 20);
  EXPECT_EQ(m.l4_len, 20 + 20);  // MSS 4 + NOP WS 4 + SACK_OK TS 12
  EXPECT_EQ(m.ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
  EXPECT_EQ(m.tso_segsz, 0);
  EXPECT_EQ(tx_meta(s, {.ip = true, .l4 = true}).ol_flags,
            RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IP_CKSUM);
  EXPECT_EQ(tx_meta(s, {}).ol_flags, 0u);  // software checksums: nothing for the device

  s.flags = flag::ACK;
  s.opt = {.ts = true};
  m = tx_meta(s, kOffload);
  EXPECT_EQ(m.l4_len, 32);
  EXPECT_EQ(m.tso_segsz, 0);

  const std::string data(3000, 'x');
  s.p1 = reinterpret_cast<const uint8_t*>(data.data());
  s.n1 = 1448;
  m = tx_meta(s, kOffload);
  EXPECT_EQ(m.ol_flags & RTE_MBUF_F_TX_TCP_SEG, 0u);

  s.n1 = 3000;
  s.tso_mss = 1448;
  s.flags = flag::ACK | flag::PSH | flag::FIN;
  m = tx_meta(s, kOffload);
  EXPECT_EQ(m.ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG);
  EXPECT_EQ(m.tso_segsz, 1448);
  expect_device_frames_ok(s);  // three cuts, FIN and PSH on the third only
  EXPECT_EQ(device_frames(s, kOffload).size(), 3u);

  use_v6();
  s.key = key(kHttp);
  m = tx_meta(s, {.ip = true, .l4 = true});
  EXPECT_EQ(m.l3_len, 40);
  EXPECT_EQ(m.ol_flags, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG);
  expect_device_frames_ok(s);
}

// The written checksum field is the pseudo-header sum a device starts from:
// with the TCP length for one segment, without it for TSO (rte_mbuf.h).
TEST_F(Tso, PseudoHeaderSumInTheChecksumField) {
  OutSeg s;
  s.key = key(kHttp);
  s.flags = flag::ACK;
  const std::string data(3000, 'y');
  s.p1 = reinterpret_cast<const uint8_t*>(data.data());
  s.n1 = 3000;
  uint8_t buf[200];
  auto field = [&](const OutSeg& o) {
    write_headers(buf, rte_ether_addr{}, o, 1, kOffload);
    uint16_t v;
    std::memcpy(&v, buf + 14 + 20 + 16, 2);
    return v;
  };
  const auto ph = [&](uint16_t len) {
    return net::csum_fold(net::csum_pseudo(kLocalIp, kPeerIp, IPPROTO_TCP, len));
  };
  EXPECT_EQ(field(s), ph(20 + 3000));
  s.tso_mss = 1460;
  EXPECT_EQ(field(s), ph(0));
}

// No TSO on the interface (tso_max absent): every send is one segment.
TEST_F(Tso, WithoutTsoEverySegmentIsOneMss) {
  EngineConfig c = small_config();
  c.buf_size = 64 * 1024;
  start(c);
  get(50000);
  const std::vector<Got> g = take();
  EXPECT_EQ(g.size(), 10u);
  for (const Got& s : g) {
    EXPECT_EQ(s.data.size(), 1460u);
    EXPECT_EQ(s.tso_mss, 0);
  }
  EXPECT_EQ(ctr(Ctr::tcp_tso_sends), 0u);
}

}  // namespace
}  // namespace pmx::tcp::test
