// Loss recovery: RTO (RFC 6298) with backoff and abort, RTT estimation,
// fast retransmit / NewReno (RFC 5681, RFC 6582) with limited transmit
// (RFC 3042), SACK-driven retransmission (RFC 2018, RFC 6675), and all of
// it across the 2^32 wrap of sequence numbers.
#include "lossy_peer.hpp"
#include "tcp_fixture.hpp"

#include <random>

namespace pmx::tcp::test {
namespace {

class Recovery : public TcpTest {
 protected:
  // An echo connection with a 100-byte MSS (so the initial window is ten
  // segments) to which the peer sent n bytes: our first burst of segments
  // is left in queue_ for the test.
  void ten_segments(uint32_t n, TcpOpts opt = {.mss = 100}) {
    established(kEcho, opt);
    // Timers have millisecond ticks: start on a tick so that deadlines are
    // whole milliseconds from here (clock_for_isn() may leave us between).
    if (now_ % 1000) advance_us(1000 - now_ % 1000);
    send({.seq = R(1), .ack = L(1), .data = pattern(n)});
    peer_ = R(1 + n);
    rx_.emplace(L(1), opt.sack_ok, false);
  }
  // The peer's ACK once our 100-byte segments segs (from 0) arrived, in
  // this order (lossy_peer.hpp: cumulative ACK and SACK blocks as a real
  // receiver would send them).
  Pkt arrived(std::initializer_list<uint32_t> segs) {
    for (uint32_t i : segs) rx_->receive(100 * i, 100, pattern(100, 100 * i), false, {});
    rx_->seq = peer_;
    return rx_->ack();
  }
  // The i-th 100-byte segment of our data (from 0).
  Want out(uint32_t i, uint8_t flags = flag::ACK) const {
    return {.seq = L(1 + 100 * i), .ack = peer_, .flags = flags, .data = pattern(100, 100 * i)};
  }
  // A duplicate ACK from the peer, with SACK blocks [L(l), L(r)) (made up:
  // not necessarily what a receiver would send).
  Pkt dupack(uint32_t ack, std::initializer_list<std::pair<uint32_t, uint32_t>> sack = {}) const {
    Pkt p{.seq = peer_, .ack = L(ack)};
    for (auto [l, r] : sack) p.opt.sack[p.opt.nsack++] = {L(l), L(r)};
    return p;
  }
  uint32_t peer_ = 0;
  std::optional<PeerReceiver> rx_;  // the peer's receiving half
};

TEST_F(Recovery, InitialWindowIsTenSegments) {
  ten_segments(1000);
  expect({out(0), out(1), out(2), out(3), out(4), out(5), out(6), out(7), out(8),
          out(9, flag::ACK | flag::PSH)});
  EXPECT_EQ(conn()->cc.cwnd, 1000u);
}

TEST_F(Recovery, RtoBacksOffShrinksCwndAndRecovers) {
  ten_segments(300);
  take();
  // RFC 6298 (2.1): 1 s before any RTT sample; then doubling (5.5).
  advance(999);
  expect_nothing();
  advance(1);
  expect({out(0)});  // one segment: cwnd is 1 MSS (RFC 5681 3.1)
  EXPECT_EQ(conn()->cc.cwnd, 100u);
  EXPECT_EQ(conn()->cc.ssthresh, 200u);  // max(FlightSize / 2, 2 MSS)
  advance(1999);
  expect_nothing();
  advance(1);
  expect({out(0)});
  advance(4000);
  expect({out(0)});
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 3u);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 3u);
  EXPECT_EQ(conn()->rto, 8000000u);
  // The ACK: slow start from one segment.
  send({.seq = peer_, .ack = L(101)});
  expect({out(1), out(2, flag::ACK | flag::PSH)});
  EXPECT_EQ(conn()->cc.cwnd, 200u);
  EXPECT_EQ(conn()->backoff, 0u);
  // cwnd reached ssthresh: congestion avoidance, one MSS per cwnd of
  // acknowledged bytes (RFC 5681 3.1, byte counting).
  send({.seq = peer_, .ack = L(301)});
  expect_nothing();
  EXPECT_EQ(conn()->cc.cwnd, 300u);
  EXPECT_EQ(conn()->t_rtx, 0u);
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Recovery, AbortAfterMaxRetries) {
  ten_segments(100);
  take();
  // 1, 2, 4, ... 32 s, then the 60 s ceiling (RFC 6298 (2.5)).
  const uint64_t waits[] = {1000,  2000,  4000,  8000,  16000, 32000,
                            60000, 60000, 60000, 60000, 60000, 60000};
  for (uint64_t w : waits) {
    advance(w - 1);
    expect_nothing();
    advance(1);
    expect({out(0, flag::ACK | flag::PSH)});
  }
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 12u);
  advance(60000);
  expect({{.seq = L(101), .ack = peer_, .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_timeouts), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 1u);
  expect_clean();
}

TEST_F(Recovery, RttSampleSetsRto) {
  ten_segments(100);
  take();
  advance(300);
  send({.seq = peer_, .ack = L(101)});
  // RFC 6298 (2.2): SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR.
  EXPECT_EQ(conn()->srtt, 300000u);
  EXPECT_EQ(conn()->rttvar, 150000u);
  EXPECT_EQ(conn()->rto, 900000u);
  // A tiny RTT: the floor.
  send({.seq = peer_, .ack = L(101), .data = "x"});
  take();
  send({.seq = peer_ + 1, .ack = L(102)});
  EXPECT_GE(conn()->rto, 200000u);
}

TEST_F(Recovery, KarnNoSampleFromRetransmittedData) {
  ten_segments(100);
  take();
  advance(1000);
  take();
  advance(10);
  send({.seq = peer_, .ack = L(101)});
  EXPECT_EQ(conn()->srtt, 0u);       // ambiguous: not measured
  EXPECT_EQ(conn()->rto, 2000000u);  // and the backed-off RTO is kept (RFC 6298 5.7)
}

TEST_F(Recovery, FastRetransmitAfterThreeDupAcksWithLimitedTransmit) {
  ten_segments(2000);
  take();
  // Segment 1 is lost. The ACK of segment 0 opens the window by one MSS.
  send(arrived({0}));
  expect({out(10), out(11)});
  // RFC 3042: the first two duplicates each release one new segment.
  send(arrived({2}));
  expect({out(12)});
  send(arrived({3}));
  expect({out(13)});
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 0u);
  // The third: fast retransmit (RFC 5681 3.2), and no new data.
  send(arrived({4}));
  expect({out(1)});
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 1u);
  EXPECT_TRUE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.ssthresh, 650u);  // FlightSize (1300) / 2
  EXPECT_EQ(conn()->cc.cwnd, 950u);      // ssthresh + 3 MSS
  // More duplicates inflate the window; no more retransmissions.
  send(arrived({5}));
  expect_nothing();
  EXPECT_EQ(conn()->cc.cwnd, 1050u);
  // Full acknowledgment (RFC 6582 3.2 step 3): deflate, leave recovery.
  send(arrived({1, 6, 7, 8, 9, 10, 11, 12, 13}));
  ASSERT_EQ(rx_->delivered(), 1400u);
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.cwnd, 200u);  // min(ssthresh, FlightSize + MSS)
  expect({out(14), out(15)});
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 1u);
}

// The same loss on a cc=cubic listener: the engine's recovery mechanics are
// shared, the reduction is CUBIC's (RFC 9438 4.6: ssthresh = 0.7 cwnd,
// W_max = cwnd), and leaving recovery starts a new cubic epoch.
TEST_F(Recovery, CubicListenerReducesByBeta) {
  constexpr uint16_t kCubicEcho = 17;
  ASSERT_GE(engine_->listen({.ip = {},
                             .port = kCubicEcho,
                             .service = {.kind = service::kind::Echo},
                             .cc = CcKind::Cubic}),
            0);
  established(kCubicEcho, {.mss = 100});
  if (now_ % 1000) advance_us(1000 - now_ % 1000);
  send({.seq = R(1), .ack = L(1), .data = pattern(2000)});
  peer_ = R(2001);
  rx_.emplace(L(1), false, false);
  take();
  EXPECT_EQ(conn()->cc.kind, CcKind::Cubic);
  send(arrived({0}));  // segment 1 lost
  expect({out(10), out(11)});
  for (uint32_t i = 2; i < 5; ++i) send(arrived({i}));
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 1u);
  EXPECT_TRUE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.ssthresh, 770u);  // 0.7 x cwnd (1100), not FlightSize / 2
  EXPECT_EQ(conn()->cc.cubic.w_max, 1100u);
  EXPECT_EQ(conn()->cc.cwnd, 1070u);  // ssthresh + 3 MSS
  send(arrived({1, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
  ASSERT_EQ(rx_->delivered(), 1400u);
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.cubic.epoch_us, 0u);  // begins at the next ACK in avoidance
}

TEST_F(Recovery, PartialAckRetransmitsTheNextHole) {
  ten_segments(1000);
  take();
  // Segments 1 and 4 lost.
  send(arrived({0}));
  for (uint32_t i : {2, 3, 5}) send(arrived({i}));
  expect({out(1)});
  // The retransmission fills the first hole: a partial ACK up to segment 4,
  // which goes at once (RFC 6582 3.2 step 4).
  send(arrived({1}));
  ASSERT_EQ(rx_->delivered(), 400u);
  expect({out(4)});
  EXPECT_TRUE(conn()->cc.in_recovery);
  send(arrived({4, 6, 7, 8, 9}));
  ASSERT_EQ(rx_->delivered(), 1000u);
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 1u);
}

// RFC 6582 3.2 step 2: duplicates of a loss from before the last RTO do not
// start a second recovery.
TEST_F(Recovery, NoFastRetransmitForDataSentBeforeAnRto) {
  ten_segments(1000);
  take();
  advance(1000);
  expect({out(0)});
  send(arrived({0}));  // the retransmission arrived
  take();
  for (uint32_t i : {2, 3, 4}) send(arrived({i}));  // the originals, but for segment 1
  for (const Got& g : take()) EXPECT_NE(g.seq, L(101)) << describe(g);
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 0u);
}

TEST_F(Recovery, SackRetransmitsAMiddleHole) {
  ten_segments(1000, {.mss = 100, .sack_ok = true});
  take();
  // Received: 0, 1, 3, 4, 6..9. Lost: 2 and 5.
  send(arrived({0, 1}));
  expect_nothing();
  send(arrived({3, 4}));  // SACK 301-501
  send(arrived({6, 7}));  // SACK 601-801, 301-501
  expect_nothing();       // limited transmit, but no new data
  send(arrived({8, 9}));  // SACK 601-1001, 301-501
  expect({out(2)});       // the first hole
  send(arrived({9}));     // a duplicate: the same ACK
  expect({out(5)});       // the hole between the SACKed blocks
  EXPECT_EQ(ctr(Ctr::tcp_sack_retransmits), 2u);
  send(arrived({9}));
  expect_nothing();    // every hole was sent once
  send(arrived({2}));  // ACK 501, SACK 601-1001
  send(arrived({5}));  // ACK 1001
  ASSERT_EQ(rx_->delivered(), 1000u);
  expect_nothing();
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_TRUE(conn()->sacked.empty());
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 2u);
}

TEST_F(Recovery, SackBlocksOutsideWhatWeSentAreIgnored) {
  ten_segments(1000, {.mss = 100, .sack_ok = true});
  take();
  send(dupack(1, {{1001, 2001}}));  // beyond SND.MAX
  send(dupack(1, {{0, 50}}));       // below SND.UNA
  EXPECT_TRUE(conn()->sacked.empty());
}

// A peer that shut its window and then vanished: the persist probes go
// unanswered, and the connection must not live for ever (RFC 1122 4.2.2.17
// allows keeping a zero window open only while the probes are answered).
TEST_F(Recovery, UnansweredZeroWindowProbesAbort) {
  established();
  send({.seq = R(1), .ack = L(1), .wnd = 0, .data = "hello"});
  for (int i = 0; i < 100 && state() != State::Closed; ++i) advance(60000);
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_timeouts), 1u);
  const std::vector<Got> g = take();
  ASSERT_FALSE(g.empty());
  EXPECT_TRUE(g.back().has(flag::RST));
  expect_clean();
}

// Answered probes keep it open as long as the peer likes.
TEST_F(Recovery, AnsweredZeroWindowProbesKeepTheConnection) {
  established();
  send({.seq = R(1), .ack = L(1), .wnd = 0, .data = "hello"});
  for (int i = 0; i < 100; ++i) {
    advance(60000);
    for (const Got& g : take()) {
      EXPECT_FALSE(g.has(flag::RST));
      send({.seq = R(6), .ack = L(1), .wnd = 0});
    }
  }
  EXPECT_EQ(state(), State::Established);
  send({.seq = R(6), .ack = L(1), .wnd = 1000});
  expect({{.seq = L(1), .ack = R(6), .flags = flag::ACK | flag::PSH, .data = "hello"}});
}

// An RTO in FIN_WAIT_1 resends the data with the FIN on it.
TEST_F(Recovery, RtoResendsDataWithTheFin) {
  established(kHttp, {.mss = 100});
  if (now_ % 1000) advance_us(1000 - now_ % 1000);
  const std::string req = "GET /bytes/10 HTTP/1.1\r\nConnection: close\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const std::vector<Got> first = take();
  ASSERT_GE(first.size(), 2u);
  std::string all;
  for (const Got& g : first) all += g.data;
  const uint32_t n = static_cast<uint32_t>(all.size());
  advance(1000);
  const Got g = take_one();
  EXPECT_EQ(g.seq, L(1));
  EXPECT_FALSE(g.has(flag::FIN));  // cwnd is one segment: the first only
  send({.seq = R(1 + req.size()), .ack = L(1) + static_cast<uint32_t>(g.data.size())});
  std::string rest;
  bool fin = false;
  for (const Got& x : take()) {
    rest += x.data;
    fin |= x.has(flag::FIN) && x.seq + x.data.size() == L(1 + n);
  }
  EXPECT_EQ(g.data + rest, all);
  EXPECT_TRUE(fin);
}

// --- sequence numbers across 2^32

TEST_F(Recovery, PeerSequenceWraps) {
  irs_ = 0xffffff00u;
  established();
  send({.seq = R(1), .ack = L(1), .data = pattern(0x200)});  // R(0x100) is 0
  expect({{.seq = L(1), .ack = R(0x201), .flags = flag::ACK | flag::PSH, .data = pattern(0x200)}});
  EXPECT_LT(R(0x201), 0x1000u);
  // Out of order across the wrap.
  send({.seq = R(0x201 + 100), .ack = L(1), .data = pattern(50, 100)});
  expect({{.seq = L(0x201), .ack = R(0x201)}});
  send({.seq = R(0x201), .ack = L(1), .data = pattern(100)});
  expect({{.seq = L(0x201),
           .ack = R(0x201 + 150),
           .flags = flag::ACK | flag::PSH,
           .data = pattern(150)}});
  send({.seq = R(0x201 + 150), .ack = L(0x201 + 150), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(0x201 + 150), .ack = R(0x201 + 151), .flags = flag::ACK | flag::FIN}});
  send({.seq = R(0x201 + 151), .ack = L(0x201 + 151)});
  EXPECT_EQ(state(), State::Closed);
}

// Our ISN just below 2^32: the send sequence wraps inside the first burst,
// and fast retransmit, SACK and the full ACK all work across it.
TEST_F(Recovery, OurSequenceWrapsThroughRecovery) {
  clock_for_isn(kEcho, 0xffffffffu - 150);
  ten_segments(1000, {.mss = 100, .sack_ok = true});
  EXPECT_EQ(iss_, 0xffffffffu - 150);
  expect({out(0), out(1), out(2), out(3), out(4), out(5), out(6), out(7), out(8),
          out(9, flag::ACK | flag::PSH)});
  send(arrived({0}));
  send(arrived({2, 3}));  // SACK 201-401
  send(arrived({4, 5}));  // SACK 201-601
  send(arrived({6, 7}));  // SACK 201-801
  expect({out(1)});
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 1u);
  send(arrived({1, 8, 9}));
  ASSERT_EQ(rx_->delivered(), 1000u);
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->snd.size(), 0u);
  expect_nothing();
}

TEST_F(Recovery, RtoAcrossTheWrap) {
  clock_for_isn(kEcho, 0xffffffffu - 50);
  ten_segments(300);
  take();
  advance(1000);
  expect({out(0)});
  send({.seq = peer_, .ack = L(101)});
  expect({out(1), out(2, flag::ACK | flag::PSH)});
  send({.seq = peer_, .ack = L(301)});
  EXPECT_EQ(conn()->snd.size(), 0u);
  EXPECT_EQ(conn()->t_rtx, 0u);
}

// Random segments around a live connection (any flags, sequence and ACK
// numbers near the windows, options, time passing): no segment is counted
// by two drop counters, nothing leaks, and the engine's own segments always
// fit on the wire (checked by drain()).
TEST_F(Recovery, RandomSegmentsKeepTheInvariants) {
  std::mt19937 rng(12345);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint16_t ports[] = {kEcho, kDiscard, kHttp};
  int steps = 0;
  for (int conn_no = 0; conn_no < 30; ++conn_no) {
    rport_ = static_cast<uint16_t>(50000 + conn_no);
    TcpOpts o{.mss = static_cast<uint16_t>(64 + pick(1400))};
    if (pick(2)) o.sack_ok = true;
    if (pick(2)) o.ts = true, o.ts_val = 100;
    if (pick(2)) o.wscale = static_cast<uint8_t>(pick(15));
    established(ports[pick(3)], o);
    uint32_t ts = 100;
    for (int i = 0; i < 400 && state() != State::Closed; ++i, ++steps) {
      const Conn* c = conn();
      Pkt p;
      p.seq = c->rcv_nxt.v + pick(3000) - 1000;
      p.ack = c->snd_una.v + pick(3000) - 500;
      p.flags = static_cast<uint8_t>(pick(4) ? flag::ACK : 0);
      if (pick(10) == 0) p.flags |= flag::SYN;
      if (pick(30) == 0) p.flags |= flag::RST;
      if (pick(20) == 0) p.flags |= flag::FIN;
      if (pick(3) == 0) p.flags |= flag::PSH;
      p.wnd = static_cast<uint16_t>(pick(4) == 0 ? pick(100) : 65535 - pick(1000));
      if (o.ts) {
        ts += pick(3);
        p.opt.ts = pick(10) != 0;
        p.opt.ts_val = pick(20) == 0 ? ts - 1000 : ts;
        p.opt.ts_ecr = static_cast<uint32_t>(now_ / 1000) - pick(100);
      }
      if (o.sack_ok && pick(3) == 0) {
        p.opt.nsack = static_cast<uint8_t>(1 + pick(o.ts ? 3 : 4));
        for (uint8_t k = 0; k < p.opt.nsack; ++k) {
          const uint32_t l = c->snd_una.v + pick(20000);
          p.opt.sack[k] = {l, l + 1 + pick(3000)};
        }
      }
      if (pick(2)) p.data = pattern(pick(2000));
      if (port_ == kHttp && pick(3) == 0)
        p.data = "GET /bytes/" + std::to_string(pick(40000)) + " HTTP/1.1\r\n\r\n";
      send_any(p);
      if (pick(5) == 0) advance(pick(3000));
      take();
    }
    // Let everything time out: what is left is an idle connection with
    // nothing to send and no timer, which TCP keeps open (no keepalive).
    for (int k = 0; k < 50 && engine_->conns_in_use() > 0; ++k) {
      advance(60000);
      take();
    }
    if (const Conn* c = conn()) {
      EXPECT_EQ(c->state, State::Established) << "connection " << conn_no;
      EXPECT_EQ(c->snd.size(), 0u) << "connection " << conn_no;
      EXPECT_EQ(c->rcv.size(), 0u) << "connection " << conn_no;
      EXPECT_EQ(EngineAccess::wheel(*engine_).armed_count(), 0u) << "connection " << conn_no;
    }
    engine_->abort_all();
    drain();
    take();
    expect_clean();
  }
  EXPECT_GT(steps, 3000);  // the connections lived long enough to mean something
}

// The peer model itself (lossy_peer.hpp) against the example of RFC 2018 5:
// eight 500-byte segments from 5000, every second one lost; the blocks of
// each ACK, newest first; then the lost 6500 arrives and joins two blocks.
TEST(PeerReceiver, SackBlocksAsInRfc2018Section5) {
  PeerReceiver rx(5000, true, false);
  using Blocks = std::vector<std::pair<uint32_t, uint32_t>>;
  auto blocks = [](const Pkt& p) {
    Blocks b;
    for (uint8_t i = 0; i < p.opt.nsack; ++i)
      b.emplace_back(p.opt.sack[i].left, p.opt.sack[i].right);
    return b;
  };
  auto arrive = [&](uint32_t seq) {
    rx.receive(seq - 5000, 500, {}, false, {});
    return rx.ack();
  };
  Pkt a = arrive(5000);
  EXPECT_EQ(a.ack, 5500u);
  EXPECT_EQ(blocks(a), Blocks{});
  a = arrive(6000);
  EXPECT_EQ(a.ack, 5500u);
  EXPECT_EQ(blocks(a), (Blocks{{6000, 6500}}));
  a = arrive(7000);
  EXPECT_EQ(blocks(a), (Blocks{{7000, 7500}, {6000, 6500}}));
  a = arrive(8000);
  EXPECT_EQ(blocks(a), (Blocks{{8000, 8500}, {7000, 7500}, {6000, 6500}}));
  a = arrive(6500);
  EXPECT_EQ(a.ack, 5500u);
  EXPECT_EQ(blocks(a), (Blocks{{6000, 7500}, {8000, 8500}}));
  a = arrive(5500);  // the first hole fills: ACK 7500, one block left
  EXPECT_EQ(a.ack, 7500u);
  EXPECT_EQ(blocks(a), (Blocks{{8000, 8500}}));
  EXPECT_EQ(rx.delivered(), 2500u);
}

// End to end over a lossy, reordering link: a simple but correct peer
// (lossy_peer.hpp: cumulative and selective ACKs at once, go-back-N on its
// own timeout, zero-window probes) sends n bytes to echo and closes;
// everything must come back intact and both sides must close, whatever the
// losses.
class LossyLink : public Recovery {
 protected:
  void run(unsigned seed, bool delayed_ack = false) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    start(small_config());
    now_ = (now_ / 1000 + 1) * 1000;
    const bool sack = seed % 2 == 1, ts = seed % 3 == 0;
    const uint32_t n = 20000 + static_cast<uint32_t>(rng() % 60000);
    const uint32_t loss = 20 + static_cast<uint32_t>(rng() % 100);  // per mille
    TcpOpts o{.mss = 1000, .sack_ok = sack, .ts = ts, .ts_val = 1};
    established(kEcho, o);
    const std::string data = pattern(n);
    LossyPeer peer(
        *this, {.sack = sack, .ts = ts, .loss_per_mille = loss, .delayed_ack = delayed_ack}, rng);
    const LossyPeer::Report r = peer.run(data, n);
    EXPECT_EQ(r.delivered.size(), n) << "loss " << loss << " sack " << sack << " ts " << ts;
    EXPECT_TRUE(r.delivered == data);
    EXPECT_TRUE(r.fin);
    EXPECT_EQ(state(), State::Closed) << state_name(state());
    expect_clean();
  }
};

// Twelve seeds: with and without SACK and timestamps, 2% to 12% loss each
// way. (Thousands of seeds, and up to 20% loss, passed when this was written.)
TEST_F(LossyLink, EchoDeliversEverythingAndCloses) {
  for (unsigned seed = 1; seed <= 12 && !HasFailure(); ++seed) run(seed);
}

// The same with a peer that delays its ACKs (every second segment, or after
// 40 ms; at once for data out of order: RFC 5681 4.2).
TEST_F(LossyLink, EchoDeliversEverythingToAPeerDelayingItsAcks) {
  for (unsigned seed = 1; seed <= 6 && !HasFailure(); ++seed) run(seed, true);
}

// A clean link (fixed delay, no loss, no reordering): no RTO and no fast
// retransmission; the handshake, without delay here, left an RTT sample of
// ~0, so the first 10-ms probe timeout may send a tail-loss probe before
// the first ACK's 10-ms round trip (RFC 8985 7.2). What the peer saw sent
// twice is exactly what the engine counted.
TEST_F(LossyLink, CleanLinkNoRetransmission) {
  std::mt19937 rng(1);
  now_ = (now_ / 1000 + 1) * 1000;
  established(kEcho, {.mss = 1000, .sack_ok = true, .ts = true, .ts_val = 1});
  const std::string data = pattern(50000);
  LossyPeer peer(*this, {.sack = true, .ts = true, .min_delay_us = 5000, .max_delay_us = 5000},
                 rng);
  const LossyPeer::Report r = peer.run(data, data.size());
  EXPECT_TRUE(r.delivered == data);
  EXPECT_TRUE(r.fin);
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 0u);
  EXPECT_EQ(r.retransmits, ctr(Ctr::tcp_retrans_segs));
  EXPECT_EQ(r.retransmits, ctr(Ctr::tcp_tail_loss_probes));
  EXPECT_GT(r.segments, 50u);
  EXPECT_EQ(state(), State::Closed);
  expect_clean();
}

}  // namespace
}  // namespace pmx::tcp::test
