// Loss recovery that survives reordering, the sequel to test_tcp_recovery.cpp:
// Eifel undo of spurious fast retransmits (RFC 3522, RFC 4015), tail loss
// probes (RFC 8985 7), retransmissions that later SACKs show lost,
// retransmit_hole() leaving new data to output(), the receive ring
// rewinding only when no out-of-order data lives beyond its occupied part,
// and the ACKs each end must still take from the other while both resend.
#include "lossy_peer.hpp"
#include "tcp_fixture.hpp"

#include <utility>
#include <vector>

namespace pmx::tcp::test {
namespace {

class Reorder : public TcpTest {
 protected:
  static constexpr uint32_t kPeerTs = 7;  // the peer's TSval, in every segment

  // An echo connection with SACK whose segments carry 100 payload bytes (MSS
  // 100, or 112 with timestamps: their option takes 12), to which the peer
  // sent n bytes: our first burst is left in queue_. The initial window is
  // 10 MSS: ten segments, eleven with timestamps.
  void flow(uint32_t n, bool ts) {
    ts_ = ts;
    established(kEcho, ts ? TcpOpts{.mss = 112, .sack_ok = true, .ts = true, .ts_val = kPeerTs}
                          : TcpOpts{.mss = 100, .sack_ok = true});
    // Timers have millisecond ticks: start on one (see test_tcp_recovery.cpp).
    if (now_ % 1000) advance_us(1000 - now_ % 1000);
    send({.seq = R(1), .ack = L(1), .opt = opts(0), .data = pattern(n)});
    peer_ = R(1 + n);
    // The peer's receiving half; with timestamps, TS.Recent from our SYN-ACK.
    rx_.emplace(L(1), true, ts, ts ? std::optional<uint32_t>(synack_.opt.ts_val) : std::nullopt);
    rx_->seq = peer_;
    rx_->ts_val = kPeerTs;
  }
  // The peer's ACK once our 100-byte segments segs (from 0) arrived, in
  // this order, carrying our TSval tsv (lossy_peer.hpp: the cumulative ACK,
  // SACK blocks and timestamp echo a real receiver would send).
  Pkt arrived(std::initializer_list<uint32_t> segs, uint32_t tsv = 0) {
    for (uint32_t i : segs)
      rx_->receive(100 * i, 100, pattern(100, 100 * i), false,
                   ts_ ? std::optional<uint32_t>(tsv) : std::nullopt);
    return rx_->ack();
  }
  // The peer's options: a timestamp echoing ecr when timestamps are on.
  TcpOpts opts(uint32_t ecr) const {
    return ts_ ? TcpOpts{.ts = true, .ts_val = kPeerTs, .ts_ecr = ecr} : TcpOpts{};
  }
  // The i-th 100-byte segment of our data (from 0); with timestamps, it
  // echoes the peer's (RFC 7323 4.3: TS.Recent, which kPeerTs always is).
  Want out(uint32_t i, uint8_t flags = flag::ACK) const {
    Want w{.seq = L(1 + 100 * i), .ack = peer_, .flags = flags, .data = pattern(100, 100 * i)};
    if (ts_) w.opts = {HasTsEcr(kPeerTs)};
    return w;
  }
  // An ACK of L(a) from the peer, echoing ecr, with SACK blocks [L(l), L(r))
  // (made up: not necessarily what a receiver would send).
  Pkt ack(uint32_t a, std::initializer_list<std::pair<uint32_t, uint32_t>> sack = {},
          uint32_t ecr = 0) const {
    Pkt p{.seq = peer_, .ack = L(a), .opt = opts(ecr)};
    for (auto [l, r] : sack) p.opt.sack[p.opt.nsack++] = {L(l), L(r)};
    return p;
  }

  uint32_t peer_ = 0;
  bool ts_ = false;
  std::optional<PeerReceiver> rx_;  // the peer's receiving half
};

// --- Eifel (RFC 3522 detection, RFC 4015 response)

// Segment 0 is overtaken by 1, 2 and 3: three duplicate ACKs and a fast
// retransmission. Then segment 0 itself arrives, and the ACK it draws echoes
// its own timestamp, older than the retransmission's: the recovery was
// spurious. The window reduction is undone, and since none happened, a real
// loss right after is repaired by fast retransmit at once (RFC 6582's
// "recover" must not hold it back until an RTO).
TEST_F(Reorder, EifelUndoesASpuriousFastRetransmit) {
  flow(2000, true);
  const std::vector<Got> first = take();
  ASSERT_EQ(first.size(), 11u);  // cwnd 1120
  const uint32_t t0 = first[0].opt.ts_val;
  ASSERT_EQ(t0, synack_.opt.ts_val);  // the dupACKs echo t0 (TS.Recent)
  advance(2);
  send(arrived({1}, t0));  // ACK 1, SACK 101-201, TSecr t0
  expect({out(11)});       // RFC 3042 limited transmit
  send(arrived({2}, t0));
  expect({out(12)});
  send(arrived({3}, t0));
  const Got rtx = take_one();
  EXPECT_EQ(rtx.seq, L(1));
  EXPECT_TRUE(rtx.data == pattern(100));
  EXPECT_EQ(rtx.opt.ts_val, t0 + 2);
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 1u);
  EXPECT_EQ(conn()->cc.ssthresh, 650u);  // FlightSize 1300 / 2
  EXPECT_EQ(conn()->cc.cwnd, 986u);      // + 3 MSS

  send(arrived({0}, t0));  // the original, late: ACK 401 echoes its timestamp
  EXPECT_EQ(ctr(Ctr::tcp_spurious_recoveries), 1u);
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.ssthresh, UINT32_MAX / 2);  // as before the recovery
  // Restored, then a slow-start step of 2 MSS (the ACK covers four).
  EXPECT_EQ(conn()->cc.cwnd, 1120u + 224u);
  // No partial-ACK retransmission of segment 4: new data, as the restored
  // window allows (900 bytes in flight, cwnd 1344).
  expect({out(13), out(14), out(15), out(16)});

  // Now segment 4 is really lost.
  send(arrived({5}, t0));  // ACK 401, SACK 501-601, TSecr t0
  expect({out(17)});
  send(arrived({6}, t0));
  expect({out(18)});
  send(arrived({7}, t0));
  expect({out(4)});
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 2u);
  EXPECT_TRUE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.ssthresh, 750u);  // FlightSize 1500 / 2: reduced once, now
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_spurious_recoveries), 1u);
}

// The same, but the ACK echoes the retransmission's timestamp: the
// retransmission repaired a real loss, and recovery goes on (a partial ACK:
// RFC 6582 3.2 step 4 resends the next segment).
TEST_F(Reorder, EifelKeepsARecoveryTheRetransmissionRepaired) {
  flow(2000, true);
  const std::vector<Got> first = take();
  ASSERT_EQ(first.size(), 11u);
  const uint32_t t0 = first[0].opt.ts_val;
  ASSERT_EQ(t0, synack_.opt.ts_val);
  advance(2);
  send(arrived({1}, t0));
  send(arrived({2}, t0));
  expect({out(11), out(12)});
  send(arrived({3}, t0));
  const Got rtx = take_one();
  ASSERT_EQ(rtx.seq, L(1));
  send(arrived({0}, rtx.opt.ts_val));  // the retransmission: ACK 401 echoes it
  EXPECT_EQ(ctr(Ctr::tcp_spurious_recoveries), 0u);
  EXPECT_TRUE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.ssthresh, 650u);
  EXPECT_EQ(conn()->cc.cwnd, 986u - 400u + 112u);  // deflated
  expect({out(4)});
  // Only the first ACK after the retransmission decides (RFC 3522 2): a
  // later one echoing an old timestamp undoes nothing.
  send(ack(501, {}, t0));
  EXPECT_EQ(ctr(Ctr::tcp_spurious_recoveries), 0u);
  EXPECT_TRUE(conn()->cc.in_recovery);
  expect({out(5)});
}

// Without timestamps there is nothing to tell a spurious recovery by.
TEST_F(Reorder, NoEifelUndoWithoutTimestamps) {
  flow(1000, false);
  take();
  send(arrived({1}));
  send(arrived({2}));
  send(arrived({3}));
  take();
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 1u);
  send(arrived({0}));  // ACK 401
  EXPECT_EQ(ctr(Ctr::tcp_spurious_recoveries), 0u);
  EXPECT_TRUE(conn()->cc.in_recovery);
}

// --- tail loss probes (RFC 8985 7)

// An RTT sample of 20 ms (no timestamps: RFC 6298 timing), then three
// segments that the peer never acknowledges: after PTO = 2 * SRTT the last
// one goes again, once; the RTO comes as before, from the probe on.
TEST_F(Reorder, TailLossProbeResendsTheLastSegmentOnceThenTheRtoFires) {
  established(kEcho, {.mss = 100});
  if (now_ % 1000) advance_us(1000 - now_ % 1000);
  send({.seq = R(1), .ack = L(1), .data = pattern(100)});
  expect({{.seq = L(1), .ack = R(101), .flags = flag::ACK | flag::PSH, .data = pattern(100)}});
  advance(20);
  send({.seq = R(101), .ack = L(101), .data = pattern(300, 100)});
  EXPECT_EQ(conn()->srtt, 20000u);
  EXPECT_EQ(conn()->rto, 200000u);  // the floor
  peer_ = R(401);
  expect({out(1), out(2), out(3, flag::ACK | flag::PSH)});
  advance(39);
  expect_nothing();
  advance(1);
  expect({out(3)});  // the probe: the last segment sent
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 1u);
  // No second probe: the RTO, 200 ms after the probe.
  advance(199);
  expect_nothing();
  advance(1);
  expect({out(1)});  // go-back-N from SND.UNA, one segment (RFC 5681 3.1)
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 1u);
  // And the backed-off RTO after it, still no probe.
  advance(399);
  expect_nothing();
  advance(1);
  expect({out(1)});
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 1u);
  send({.seq = R(401), .ack = L(401)});
  expect_nothing();
  EXPECT_EQ(conn()->t_rtx, 0u);
}

// With timestamps the handshake gives an RTT sample of ~0: the PTO is its
// 10 ms floor. The probe repairs a lone tail loss, and the ACK that follows
// ends it all: no RTO.
TEST_F(Reorder, TailLossProbeAfterTenMillisecondsAndTheAckEndsIt) {
  flow(300, true);
  expect({out(0), out(1), out(2, flag::ACK | flag::PSH)});
  EXPECT_GT(conn()->srtt, 0u);
  advance(9);
  expect_nothing();
  advance(1);
  const Got probe = take_one();
  EXPECT_EQ(probe.seq, L(201));
  EXPECT_TRUE(probe.data == pattern(100, 200));
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 1u);
  send(ack(301, {}, probe.opt.ts_val));
  expect_nothing();
  EXPECT_EQ(conn()->t_rtx, 0u);
  advance(10000);
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 1u);
  EXPECT_EQ(state(), State::Established);
}

// An ACK that advances SND.UNA allows one more probe for what is still out.
TEST_F(Reorder, AnAckThatAdvancesAllowsAnotherProbe) {
  flow(300, true);
  take();
  advance(10);
  const Got probe = take_one();
  EXPECT_EQ(probe.seq, L(201));
  send(ack(101, {}, probe.opt.ts_val));
  expect_nothing();
  advance(9);
  expect_nothing();
  advance(1);
  expect({out(2)});
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
}

// The last segment sent carried our FIN: so does the probe (RFC 8985 7.3).
// RFC 8985 7.2: with a single segment in flight (here the response and our
// FIN) the peer may be delaying its ACK, so the probe timeout grows by the
// worst-case delayed-ACK time (200 ms); at least the 200 ms RTO floor, the
// RTO comes first and no probe is sent.
TEST_F(Reorder, NoProbeForASingleSegmentTheAckMayBeDelayed) {
  if (now_ % 1000) advance_us(1000 - now_ % 1000);
  const uint32_t n = fin_wait_1({.mss = 1460, .ts = true, .ts_val = kPeerTs});
  ASSERT_GT(n, 0u);
  advance(10);
  expect_nothing();
  uint32_t waited = 10;
  while (ctr(Ctr::tcp_rto_expirations) == 0 && waited < 1500) {
    advance(1);
    ++waited;
  }
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 0u);
  const Got again = take_one();
  EXPECT_EQ(again.seq, L(1));
  EXPECT_EQ(again.data.size(), n);
  EXPECT_EQ(flag_str(again.flags), "FP.");  // go-back-N resends it all, with PSH
  send({.seq = peer_next_, .ack = L(2 + n), .opt = {.ts = true, .ts_val = kPeerTs}});
  EXPECT_EQ(state(), State::FinWait2);
  expect_nothing();
}

// After an RTO, go-back-N resends from SND.UNA as the ACKs come. A probe
// then would resend the highest segment ever sent and move SND.NXT past
// everything not yet resent, which would then wait for the next RTO. RFC
// 8985 7.2: no probe during RTO recovery.
TEST_F(Reorder, NoProbeWhileGoBackNResends) {
  flow(1000, true);
  expect({out(0), out(1), out(2), out(3), out(4), out(5), out(6), out(7), out(8),
          out(9, flag::ACK | flag::PSH)});
  advance(10);
  expect({out(9)});  // the probe
  advance(200);
  const Got rto = take_one();  // everything was lost
  EXPECT_EQ(rto.seq, L(1));
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 1u);
  send(ack(101, {}, rto.opt.ts_val));
  expect({out(1), out(2)});  // slow start from one segment
  advance(10);
  expect_nothing();  // no probe
  send(ack(301, {}, rto.opt.ts_val));
  expect({out(3), out(4), out(5)});
  send(ack(601, {}, rto.opt.ts_val));
  expect({out(6), out(7), out(8), out(9, flag::ACK | flag::PSH)});
  send(ack(1001, {}, rto.opt.ts_val));
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 1u);
  EXPECT_EQ(conn()->t_rtx, 0u);
}

// --- ACKs both ways while both ends resend: neither may drop the other's

// The peer has filled the window we offered (its SND.NXT is our RCV.NXT +
// RCV.WND) and one of those segments was lost. Every pure ACK it sends now
// carries that sequence number, and RFC 9293's test for a segment without
// text (RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND) would drop them all until the
// hole is repaired, and with them the acknowledgments of our data: our RTO
// fires and backs off while the peer has everything. Linux and BSD accept
// a segment that starts at the right edge; so do we, if it has no text.
TEST_F(Reorder, AnAckAtTheRightEdgeOfOurWindowIsTaken) {
  flow(300, false);
  expect({out(0), out(1), out(2, flag::ACK | flag::PSH)});
  const uint32_t edge = conn()->rcv_adv.v;
  ASSERT_EQ(edge, peer_ + 16384);  // the whole (empty) receive buffer
  // The peer fills the window; its first segment, [peer_, peer_ + 100), is lost.
  send({.seq = peer_ + 100, .ack = L(1), .data = pattern(16284, 100)});
  expect({{.seq = L(301), .ack = peer_, .wnd = 16384, .opts = {HasSack({{peer_ + 100, edge}})}}});
  // Its ACK of all our data, from the right edge.
  send({.seq = edge, .ack = L(301)});
  expect_nothing();
  EXPECT_EQ(conn()->snd_una.v, L(301));
  EXPECT_EQ(conn()->t_rtx, 0u);
  EXPECT_EQ(ctr(Ctr::tcp_seq_not_acceptable), 0u);
  // Text there is still beyond the window.
  send_drop({.seq = edge, .ack = L(301), .data = "x"}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(301), .ack = peer_, .opts = {HasSack({{peer_ + 100, edge}})}}});
  // The hole fills: all of it goes to the echo's send buffer.
  send({.seq = peer_, .ack = L(301), .data = pattern(100)});
  EXPECT_EQ(conn()->rcv_nxt.v, edge);
  EXPECT_EQ(conn()->snd.size(), 16384u);
}

// Go-back-N after an RTO sets SND.NXT back to SND.UNA, though the peer may
// hold everything up to SND.MAX (only its ACKs were lost). A segment without
// text must still carry SND.MAX, as BSD sends it: Linux drops a segment that
// ends before the RCV.NXT of its own last ACK (tcp_sequence, RCV.WUP) and
// answers it at most twice a second, so our ACKs, SACKs and window updates
// sent from the old SND.NXT would never be heard. With the peer's ACKs from
// the right edge dropped by us as well (above), test_tcp_hostile's echo
// stalled both ways: the peer's retransmissions lay below our RCV.NXT (its
// SND.UNA had never heard of our ACKs), ours below its RCV.NXT, and both
// backed off while each answer was dropped.
TEST_F(Reorder, AcksCarrySndMaxWhileGoBackNResends) {
  flow(300, false);
  expect({out(0), out(1), out(2, flag::ACK | flag::PSH)});
  advance(1000);  // no RTT sample: the initial RTO
  expect({out(0)});
  EXPECT_EQ(conn()->snd_nxt.v, L(101));
  // The peer's data out of order: our duplicate ACK at once, from SND.MAX.
  send({.seq = peer_ + 100, .ack = L(1), .data = pattern(100, 400)});
  expect({{.seq = L(301), .ack = peer_, .opts = {HasSack({{peer_ + 100, peer_ + 200}})}}});
  // The hole fills: ACKed at once, the window too, still from SND.MAX (the
  // window allows no new data: one segment is in flight, cwnd is one).
  send({.seq = peer_, .ack = L(1), .data = pattern(100, 300)});
  expect({{.seq = L(301), .ack = peer_ + 200, .opts = {NoSack()}}});
  EXPECT_EQ(conn()->snd_nxt.v, L(101));
  // The peer's ACK of everything ends the go-back-N.
  send({.seq = peer_ + 200, .ack = L(301)});
  expect({{.seq = L(301), .ack = peer_ + 200, .data = pattern(100, 300)},
          {.seq = L(401),
           .ack = peer_ + 200,
           .flags = flag::ACK | flag::PSH,
           .data = pattern(100, 400)}});
}

// So does the RST that gives up after the last retransmission: one below
// the peer's window would be ignored, and the peer would hold on.
TEST_F(Reorder, ResetAfterTheLastRetransmissionCarriesSndMax) {
  EngineConfig cfg = small_config();
  cfg.max_retries = 1;
  start(cfg);
  flow(300, false);
  take();
  advance(1000);
  expect({out(0)});
  advance(2000);
  expect({{.seq = L(301), .ack = peer_, .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(ctr(Ctr::tcp_timeouts), 1u);
  expect_clean();
}

// --- lost retransmissions

// Segment 0 is lost, and so is its fast retransmission. The peer keeps
// SACKing what arrives after it; once the SACKs reach three segments past
// the highest byte sent at the retransmission (rtx_high), the retransmission
// must have been lost too: it goes again at once, without an RTO.
TEST_F(Reorder, LostRetransmissionIsSentAgain) {
  flow(2000, false);
  take();
  send(arrived({1}));  // ACK 1, SACK 101-201
  expect({out(10)});
  send(arrived({2}));
  expect({out(11)});
  send(arrived({3}));
  expect({out(0)});  // fast retransmit; rtx_high = L(1201)
  // Segments 4.. arrive. The inflated window releases new data (12..18)
  // from the seventh duplicate on; no retransmission, below L(1501).
  for (uint32_t k = 4; k <= 13; ++k) {
    SCOPED_TRACE("duplicate ACK " + std::to_string(k));
    send(arrived({k}));  // SACK 101-(101 + 100 k)
    for (const Got& g : take()) EXPECT_GE(g.seq, L(1201)) << describe(g);
  }
  EXPECT_EQ(ctr(Ctr::tcp_lost_retransmits), 0u);
  EXPECT_EQ(conn()->snd_max.v, L(1901));
  send(arrived({14}));  // SACK 101-1501: L(1201) + 3 MSS
  expect({out(0), out(19, flag::ACK | flag::PSH)});
  EXPECT_EQ(ctr(Ctr::tcp_lost_retransmits), 1u);
  // That one is measured from the new SND.MAX: not resent again so soon.
  send(arrived({15}));
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_lost_retransmits), 1u);
  send(arrived({0, 16, 17, 18, 19}));
  ASSERT_EQ(rx_->delivered(), 2000u);
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_fast_retransmits), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
}

// --- retransmit_hole() and new data

// Segments 0 and 5 lost, both retransmitted; the peer SACKs everything else
// up to SND.MAX. The partial ACK the first retransmission draws leaves no
// hole to fill: retransmit_hole() must not send new data (output() does,
// as the window allows) nor count it as a retransmission.
TEST_F(Reorder, PartialAckWithNoHoleLeftSendsNoNewDataAsARetransmission) {
  flow(2000, false);
  take();
  send(arrived({1}));
  expect({out(10)});
  send(arrived({2}));
  expect({out(11)});
  send(arrived({3}));
  expect({out(0)});    // fast retransmit; recover = L(1201)
  send(arrived({4}));  // SACK 101-501
  expect_nothing();
  send(arrived({6}));                // SACK 601-701, 101-501
  expect({out(5)});                  // the hole between the blocks
  send(arrived({7, 8, 9, 10, 11}));  // SACK 601-1201, 101-501
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_sack_retransmits), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 2u);
  const uint64_t out_segs = ctr(Ctr::tcp_out_segs);

  send(arrived({0}));  // ACK 501, SACK 601-1201: partial, below recover
  EXPECT_TRUE(conn()->cc.in_recovery);
  EXPECT_EQ(conn()->cc.cwnd, 1200u - 500u + 100u);  // deflated
  expect({out(12)});                                // new data: 700 bytes in flight, cwnd 800
  EXPECT_EQ(ctr(Ctr::tcp_sack_retransmits), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_out_segs), out_segs + 1);
  send(arrived({5, 12}));
  ASSERT_EQ(rx_->delivered(), 1300u);
  EXPECT_FALSE(conn()->cc.in_recovery);
  EXPECT_EQ(ctr(Ctr::tcp_sack_retransmits), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 2u);
}

// --- the receive ring rewinds only without out-of-order data

// The service reads the in-order bytes while out-of-order bytes wait beyond
// a hole: the empty ring must not rewind (the out-of-order bytes sit at an
// offset from its head), so they come out right once the hole fills.
TEST_F(Reorder, EchoKeepsOutOfOrderBytesWhenTheInOrderOnesAreRead) {
  established(kEcho, {.mss = 1460, .sack_ok = true});
  send({.seq = R(1), .ack = L(1), .data = pattern(100)});
  expect({{.seq = L(1), .ack = R(101), .flags = flag::ACK | flag::PSH, .data = pattern(100)}});
  // Bytes 200..299 out of order, then 100..149 in order: read and echoed
  // at once, the ring is empty with the out-of-order bytes beyond it.
  send({.seq = R(201), .ack = L(101), .data = pattern(100, 200)});
  expect({{.seq = L(101), .ack = R(101), .opts = {HasSack({{R(201), R(301)}})}}});
  send({.seq = R(101), .ack = L(101), .data = pattern(50, 100)});
  expect({{.seq = L(101),
           .ack = R(151),
           .flags = flag::ACK | flag::PSH,
           .data = pattern(50, 100),
           .opts = {HasSack({{R(201), R(301)}})}}});
  EXPECT_EQ(conn()->rcv.size(), 0u);
  EXPECT_FALSE(conn()->ooo.empty());
  send({.seq = R(151), .ack = L(151), .data = pattern(50, 150)});
  expect({{.seq = L(151),
           .ack = R(301),
           .flags = flag::ACK | flag::PSH,
           .data = pattern(150, 150),
           .opts = {NoSack()}}});
  EXPECT_TRUE(conn()->ooo.empty());
  // And again after the ring rewound for want of out-of-order data.
  send({.seq = R(351), .ack = L(301), .data = pattern(50, 350)});
  expect({{.seq = L(301), .ack = R(301), .opts = {HasSack({{R(351), R(401)}})}}});
  send({.seq = R(301), .ack = L(301), .data = pattern(50, 300)});
  expect(
      {{.seq = L(301), .ack = R(401), .flags = flag::ACK | flag::PSH, .data = pattern(100, 300)}});
}

}  // namespace
}  // namespace pmx::tcp::test
