// ESTABLISHED: data in and out, reassembly, windows (ours and the peer's),
// RFC 5961 defences, PAWS (RFC 7323 5), delayed ACKs, keepalive, and the
// http service on top.
#include "service/http.hpp"
#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

using Estab = TcpTest;

TEST_F(Estab, InOrderDataIsEchoed) {
  established();
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::PSH, .data = "hello"});
  // The window edge moves only by a full segment at a time (receiver SWS
  // avoidance, RFC 9293 3.8.6.2.2): 16384 - 5.
  expect(
      {{.seq = L(1), .ack = R(6), .flags = flag::ACK | flag::PSH, .wnd = 16379, .data = "hello"}});
  EXPECT_EQ(conn()->snd.size(), 5u);
  EXPECT_TRUE(EngineAccess::wheel(*engine_).armed(conn()->idx));  // retransmission timer
  // The ACK of our data frees the send buffer and stops the timer.
  send({.seq = R(6), .ack = L(6)});
  expect_nothing();
  EXPECT_EQ(conn()->snd.size(), 0u);
  EXPECT_EQ(conn()->t_rtx, 0u);
  EXPECT_EQ(conn()->snd_una, Seq(L(6)));
  send({.seq = R(6), .ack = L(6), .data = "world"});
  expect({{.seq = L(6), .ack = R(11), .flags = flag::ACK | flag::PSH, .data = "world"}});
  EXPECT_EQ(ctr(Ctr::tcp_out_segs), 3u);  // SYN-ACK and two data segments
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 0u);
}

TEST_F(Estab, OutOfOrderThenFilling) {
  established();
  send({.seq = R(6), .ack = L(1), .data = "world"});
  expect({{.seq = L(1), .ack = R(1)}});  // a duplicate ACK at once (RFC 5681 4.2)
  EXPECT_EQ(ctr(Ctr::tcp_ooo_segments), 1u);
  send({.seq = R(1), .ack = L(1), .data = "hello"});
  expect({{.seq = L(1), .ack = R(11), .flags = flag::ACK | flag::PSH, .data = "helloworld"}});
  EXPECT_TRUE(conn()->ooo.empty());
}

// Two holes filled one at a time, the in-order part read in between: the
// bytes kept beyond the hole stay where they were written.
TEST_F(Estab, PartialFillKeepsOutOfOrderBytes) {
  established();
  send({.seq = R(21), .ack = L(1), .data = pattern(10, 20)});
  expect({{.seq = L(1), .ack = R(1)}});
  send({.seq = R(1), .ack = L(1), .data = pattern(10, 0)});
  expect({{.seq = L(1), .ack = R(11), .flags = flag::ACK | flag::PSH, .data = pattern(10, 0)}});
  send({.seq = R(11), .ack = L(1), .data = pattern(10, 10)});
  expect({{.seq = L(11), .ack = R(31), .flags = flag::ACK | flag::PSH, .data = pattern(20, 10)}});
}

// An in-order segment that covers more than the first hole: everything the
// out-of-order ranges held beyond it becomes in order too.
TEST_F(Estab, SegmentBridgingTwoHoles) {
  established();
  send({.seq = R(11), .ack = L(1), .data = pattern(10, 10)});
  send({.seq = R(31), .ack = L(1), .data = pattern(10, 30)});
  take();
  send({.seq = R(1), .ack = L(1), .data = pattern(35, 0)});
  expect({{.seq = L(1), .ack = R(41), .flags = flag::ACK | flag::PSH, .data = pattern(40, 0)}});
  EXPECT_TRUE(conn()->ooo.empty());
}

TEST_F(Estab, SackBlocksReportOutOfOrderData) {
  established(kDiscard, {.mss = 1460, .sack_ok = true});
  send({.seq = R(11), .ack = L(1), .data = pattern(5)});
  expect({{.seq = L(1), .ack = R(1), .opts = {HasSack({{R(11), R(16)}})}}});
  send({.seq = R(21), .ack = L(1), .data = pattern(5)});
  // The newest block first (RFC 2018 4).
  expect({{.seq = L(1), .ack = R(1), .opts = {HasSack({{R(21), R(26)}, {R(11), R(16)}})}}});
  send({.seq = R(16), .ack = L(1), .data = pattern(5)});  // joins the two
  expect({{.seq = L(1), .ack = R(1), .opts = {HasSack({{R(11), R(26)}})}}});
  send({.seq = R(1), .ack = L(1), .data = pattern(10)});
  expect({{.seq = L(1), .ack = R(26), .opts = {NoOptions()}}});
}

// Out-of-order data is held in up to OooSet::kMax ranges; a segment that
// needs one more is dropped (and the SACK still reports four blocks).
TEST_F(Estab, HoleBeyondTheBoundIsDropped) {
  established(kDiscard, {.mss = 1460, .sack_ok = true});
  for (uint32_t i = 0; i < OooSet::kMax; ++i) {
    send({.seq = R(11 + 20 * i), .ack = L(1), .data = "x"});
    take_one();
  }
  send_drop({.seq = R(11 + 20 * OooSet::kMax), .ack = L(1), .data = "x"}, Ctr::tcp_ooo_queue_full);
  const Got g = take_one();
  EXPECT_EQ(g.ack, R(1));
  EXPECT_EQ(g.opt.sack.size(), 4u);
}

TEST_F(Estab, DuplicateDataIsAckedNotDelivered) {
  established();
  send({.seq = R(1), .ack = L(1), .data = "hello"});
  take();
  send({.seq = R(6), .ack = L(6)});
  // All old: outside the window, answered with an ACK.
  send_drop({.seq = R(1), .ack = L(6), .data = "hello"}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(6), .ack = R(6)}});
  // Partly old: the new part is taken.
  send({.seq = R(1), .ack = L(6), .data = "helloworld"});
  expect({{.seq = L(6), .ack = R(11), .flags = flag::ACK | flag::PSH, .data = "world"}});
}

TEST_F(Estab, AckForDataNotSentIsAckedAndDropped) {
  established();
  send_drop({.seq = R(1), .ack = L(100), .data = "zz"}, Ctr::tcp_ack_too_new);
  expect({{.seq = L(1), .ack = R(1)}});  // the data is not taken
}

TEST_F(Estab, AckFarBelowTheWindowGetsChallengeAck) {
  established();
  send_drop({.seq = R(1), .ack = L(1) - 70000, .data = "zz"}, Ctr::tcp_ack_too_old);
  expect({{.seq = L(1), .ack = R(1)}});
  EXPECT_EQ(ctr(Ctr::tcp_challenge_acks), 1u);
}

TEST_F(Estab, SegmentWithoutAckIsDropped) {
  established();
  send_drop({.seq = R(1), .flags = flag::PSH, .data = "zz"}, Ctr::tcp_no_ack_flag);
  expect_nothing();
}

TEST_F(Estab, ResetAtRcvNxtAborts) {
  established();
  send({.seq = R(1), .flags = flag::RST});
  expect_nothing();
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 1u);
  expect_clean();
}

TEST_F(Estab, ResetInWindowGetsRateLimitedChallengeAcks) {
  established();
  send_drop({.seq = R(2), .flags = flag::RST}, Ctr::tcp_rst_challenged);
  expect({{.seq = L(1), .ack = R(1)}});
  // One per 500 ms per connection (RFC 5961 7, Linux's tcp_invalid_ratelimit).
  advance(499);
  send_drop({.seq = R(2), .flags = flag::RST}, Ctr::tcp_rst_challenged);
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_challenge_acks), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_challenge_ack_limited), 1u);
  advance(1);
  send_drop({.seq = R(1000), .ack = 0, .flags = flag::RST | flag::ACK}, Ctr::tcp_rst_challenged);
  expect({{.seq = L(1), .ack = R(1)}});
  EXPECT_EQ(state(), State::Established);
  // The challenge ACK's answer, a RST at RCV.NXT, is what resets.
  send({.seq = R(1), .flags = flag::RST});
  EXPECT_EQ(state(), State::Closed);
}

TEST_F(Estab, ResetOutsideTheWindowIsSilentlyDropped) {
  established();
  send_drop({.seq = R(0), .flags = flag::RST}, Ctr::tcp_rst_out_of_window);
  send_drop({.seq = R(1 + 16384), .flags = flag::RST}, Ctr::tcp_rst_out_of_window);
  send_drop({.seq = R(1) - 100000, .flags = flag::RST}, Ctr::tcp_rst_out_of_window);
  expect_nothing();
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Estab, SynGetsChallengeAck) {
  established();
  send_drop({.seq = R(1), .flags = flag::SYN}, Ctr::tcp_syn_challenged);
  expect({{.seq = L(1), .ack = R(1)}});
  advance(500);  // the connection's next answer may go (answer_allowed)
  send_drop({.seq = R(5), .ack = L(1), .flags = flag::SYN | flag::ACK}, Ctr::tcp_syn_challenged);
  expect({{.seq = L(1), .ack = R(1)}});
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(ctr(Ctr::tcp_challenge_acks), 2u);
}

// RFC 7323 5.3: a timestamp older than TS.Recent is a duplicate from long ago.
TEST_F(Estab, PawsRejectsAnOldTimestamp) {
  established(kEcho, {.mss = 1460, .ts = true, .ts_val = 100});
  EXPECT_EQ(conn()->ts_recent, 100u);
  send({.seq = R(1), .ack = L(1), .opt = {.ts = true, .ts_val = 200}, .data = "a"});
  Got g = take_one();
  EXPECT_EQ(g.data, "a");
  expect_opts(g, {HasTsEcr(200)});
  send_drop({.seq = R(2), .ack = L(2), .opt = {.ts = true, .ts_val = 150}, .data = "b"},
            Ctr::tcp_paws_rejected);
  g = take_one();
  EXPECT_EQ(g.seq, L(2));
  EXPECT_EQ(g.ack, R(2));  // "b" not taken
  EXPECT_TRUE(g.data.empty());
  expect_opts(g, {HasTsEcr(200)});  // TS.Recent is not moved by the rejected segment
  // An equal timestamp is fine; so is one from after the wrap of the clock.
  send({.seq = R(2), .ack = L(2), .opt = {.ts = true, .ts_val = 200}, .data = "b"});
  EXPECT_EQ(take_one().data, "b");
  // RST is exempt (RFC 7323 5.3 R1).
  send({.seq = R(3), .flags = flag::RST, .opt = {.ts = true, .ts_val = 1}});
  EXPECT_EQ(state(), State::Closed);
}

TEST_F(Estab, DataBeyondTheWindowIsTrimmed) {
  established(kDiscard);
  send({.seq = R(1), .ack = L(1), .data = pattern(17000)});
  const Got g = take_one();
  EXPECT_EQ(g.ack, R(1 + 16384));  // exactly the window was taken
  EXPECT_EQ(ctr(Ctr::tcp_data_after_fin), 0u);
  // Wholly beyond the (new) window: not acceptable.
  send_drop({.seq = R(1 + 16384 + 16384), .ack = L(1), .data = "x"}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(1), .ack = R(1 + 16384)}});
}

TEST_F(Estab, FinBeyondTheWindowIsNotTaken) {
  established(kDiscard);
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN, .data = pattern(17000)});
  EXPECT_EQ(take_one().ack, R(1 + 16384));
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Estab, FinBeyondAHoleIsTakenWhenTheHoleFills) {
  established();
  send({.seq = R(6), .ack = L(1), .flags = flag::ACK | flag::FIN, .data = "world"});
  expect({{.seq = L(1), .ack = R(1)}});
  EXPECT_EQ(state(), State::Established);
  send({.seq = R(1), .ack = L(1), .data = "hello"});
  expect({{.seq = L(1), .ack = R(12), .flags = flag::ACK | flag::PSH, .data = "helloworld"},
          {.seq = L(11), .ack = R(12), .flags = flag::ACK | flag::FIN}});
  EXPECT_EQ(state(), State::LastAck);
}

// With timestamps, three SACK blocks at most: 12 + 4 + 3 * 8 = 40 bytes.
TEST_F(Estab, SackBlocksAndTimestampsFitTheOptionSpace) {
  established(kDiscard, {.mss = 1460, .sack_ok = true, .ts = true, .ts_val = 7});
  for (uint32_t i = 0; i < 4; ++i) {
    send({.seq = R(11 + 20 * i), .ack = L(1), .opt = {.ts = true, .ts_val = 7}, .data = "x"});
  }
  const std::vector<Got> g = take();
  ASSERT_EQ(g.size(), 4u);
  expect_opts(g[3], {HasTsEcr(7)});
  ASSERT_EQ(g[3].opt.sack.size(), 3u);
  // RFC 2018 4: the newest first, then the most recently reported (R51 was
  // the first block of the previous ACK, R31 of the one before); R11 has
  // no room.
  EXPECT_EQ(g[3].opt.sack[0].left, R(71));
  EXPECT_EQ(g[3].opt.sack[1].left, R(51));
  EXPECT_EQ(g[3].opt.sack[2].left, R(31));
  EXPECT_EQ(g[3].opt.raw.size(), kMaxOptions);
}

// RFC 7323 4.1: with timestamps every ACK of new data is an RTT sample.
TEST_F(Estab, TimestampsMeasureTheRtt) {
  established(kEcho, {.mss = 1460, .ts = true, .ts_val = 7});
  send({.seq = R(1), .ack = L(1), .opt = {.ts = true, .ts_val = 8}, .data = "abc"});
  const Got g = take_one();
  expect_opts(g, {HasTsEcr(8)});
  advance(250);
  send({.seq = R(4), .ack = L(4), .opt = {.ts = true, .ts_val = 9, .ts_ecr = g.opt.ts_val}});
  // The handshake's ACK echoed our SYN-ACK at once: a first sample of 0
  // (kept as 1 us). Then RFC 6298 (2.3) with alpha 1/8, beta 1/4.
  const uint32_t rttvar = (250000 - 1) / 4, srtt = (7 * 1 + 250000) / 8;
  EXPECT_EQ(conn()->rttvar, rttvar);
  EXPECT_EQ(conn()->srtt, srtt);
  EXPECT_EQ(conn()->rto, srtt + 4 * rttvar);
}

// RFC 7323 2.3: the peer's windows are shifted by the scale it offered; a
// SYN's window never is. Ours needs a shift once the buffer passes 64 KiB.
TEST_F(Estab, WindowScaling) {
  EngineConfig c = small_config();
  c.max_flows = 4;
  c.buf_size = 256 * 1024;
  start(c);
  const Got sa = syn(kDiscard, {.mss = 1460, .wscale = 7}, 1000);
  expect_opts(sa, {HasWscale(3)});  // 256 KiB >> 2 is one too many for 16 bits
  EXPECT_EQ(sa.wnd, 65535);         // unscaled in the SYN-ACK
  EXPECT_EQ(conn()->snd_wnd, 1000u);
  send({.seq = R(1), .ack = L(1), .wnd = 3});
  EXPECT_EQ(conn()->snd_wnd, 3u << 7);
  // The SYN-ACK could offer only 64 KiB: the rest is announced at once.
  expect({{.seq = L(1), .ack = R(1), .wnd = 32768}});
  send({.seq = R(1), .ack = L(1), .data = pattern(2920)});
  const Got g = take_one();
  EXPECT_EQ(g.wnd, 32768);
  EXPECT_EQ(conn()->rcv_adv, Seq(R(2921) + (32768u << 3)));
}

// More segments than the engine's output queue holds in one call: the
// connections that did not fit wait on the pending list, and poll() lets
// them finish. Nothing is lost.
TEST_F(Estab, OutputQueueFullResumesOnPoll) {
  EngineConfig c = small_config();
  c.max_flows = 150;
  start(c);
  std::vector<uint32_t> isn(150);
  for (uint16_t i = 0; i < 150; ++i) {
    rport_ = static_cast<uint16_t>(30000 + i);
    established();
    isn[i] = iss_;
  }
  std::vector<Pkt> burst;
  for (uint16_t i = 0; i < 150; ++i)
    burst.push_back({.seq = R(1),
                     .ack = isn[i] + 1,
                     .data = pattern(14600),
                     .port = kEcho,
                     .rport = static_cast<uint16_t>(30000 + i)});
  send_burst(burst);
  EXPECT_GT(ctr(Ctr::tcp_out_queue_full), 0u);  // the burst overflowed the queue
  std::vector<std::string> got(150);
  for (int round = 0; round < 10 && !queue_.empty(); ++round) {
    EXPECT_LE(queue_.size(), 1024u);
    for (const Got& g : take()) got[g.rport - 30000] += g.data;
    advance(0);
  }
  for (uint16_t i = 0; i < 150; ++i) EXPECT_TRUE(got[i] == pattern(14600)) << i;
}

// --- the peer's window

TEST_F(Estab, ZeroWindowPersistProbesBackOffThenDataFlows) {
  established();
  send({.seq = R(1), .ack = L(1), .wnd = 0, .data = "hello"});
  expect_nothing();  // nothing may be sent; the ACK is delayed
  advance(40);
  expect({{.seq = L(1), .ack = R(6)}});
  // Probes (an ACK below SND.UNA, like Linux) at RTO, then doubling.
  uint64_t wait = 1000 - 40;
  for (int i = 0; i < 4; ++i) {
    advance(wait - 1);
    expect_nothing();
    advance(1);
    expect({{.seq = L(0), .ack = R(6)}});
    send({.seq = R(6), .ack = L(1), .wnd = 0});  // still closed
    expect_nothing();
    wait = 2000u << i;
  }
  EXPECT_EQ(ctr(Ctr::tcp_zero_window_probes), 4u);
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
  EXPECT_EQ(state(), State::Established);
  // The window opens: the data goes at once.
  send({.seq = R(6), .ack = L(1), .wnd = 1000});
  expect({{.seq = L(1), .ack = R(6), .flags = flag::ACK | flag::PSH, .data = "hello"}});
  EXPECT_NE(conn()->rtx_timer, RtxTimer::Persist);
  send({.seq = R(6), .ack = L(6), .wnd = 1000});
  expect_nothing();
  EXPECT_EQ(conn()->t_rtx, 0u);
}

// A window too small for a full segment and below half the largest the
// peer offered is not used at once (sender SWS avoidance, RFC 9293
// 3.8.6.2.1), but the override timeout must send into it: else a lost window
// update would stall the connection for good.
TEST_F(Estab, SmallWindowIsUsedAfterTheOverrideTimeout) {
  established();
  send({.seq = R(1), .ack = L(1), .wnd = 100, .data = pattern(3000)});
  // Echo read 3000 bytes: our window update goes at once, without data.
  expect({{.seq = L(1), .ack = R(3001), .wnd = 16384}});
  advance(999);
  expect_nothing();
  advance(1);
  expect({{.seq = L(1), .ack = R(3001), .data = pattern(100)}});
  send({.seq = R(3001), .ack = L(101), .wnd = 65535});
  expect({{.seq = L(101), .ack = R(3001), .data = pattern(1460, 100)},
          {.seq = L(1561),
           .ack = R(3001),
           .flags = flag::ACK | flag::PSH,
           .data = pattern(1440, 1560)}});
}

TEST_F(Estab, WindowUpdateReleasesQueuedData) {
  established();
  send({.seq = R(1), .ack = L(1), .wnd = 0, .data = "abcdef"});
  expect_nothing();
  send({.seq = R(7), .ack = L(1), .wnd = 65535});  // a pure window update
  expect({{.seq = L(1), .ack = R(7), .flags = flag::ACK | flag::PSH, .data = "abcdef"}});
  EXPECT_NE(conn()->rtx_timer, RtxTimer::Persist);
  EXPECT_EQ(conn()->snd_wnd, 65535u);
}

// --- our window

TEST_F(Estab, DiscardNeverClosesTheWindow) {
  established(kDiscard);
  for (uint32_t i = 0; i < 40; ++i) {
    send({.seq = R(1 + 1460 * i), .ack = L(1), .data = pattern(1460)});
    if (i % 2 == 1) {
      expect({{.seq = L(1), .ack = R(1 + 1460 * (i + 1)), .wnd = 16384}});
    } else {
      expect_nothing();  // every second segment is ACKed at once
    }
  }
  EXPECT_EQ(conn()->rcv.size(), 0u);
}

// Echo can only read what it can write: with the peer's window shut, our
// send buffer fills, then our receive buffer, and our window closes.
TEST_F(Estab, EchoClosesOurWindowWhenThePeerDoesNotRead) {
  established();
  uint32_t in = 0;  // bytes sent by the peer
  uint16_t last_wnd = 65535;
  while (in < 2 * 16384) {
    send({.seq = R(1 + in), .ack = L(1), .wnd = 0, .data = pattern(1024, in)});
    in += 1024;
    for (const Got& g : take()) {
      EXPECT_TRUE(g.data.empty());
      EXPECT_LE(g.wnd, last_wnd);  // never grows while nothing is read
      last_wnd = g.wnd;
    }
  }
  EXPECT_EQ(conn()->snd.size(), 16384u);
  EXPECT_EQ(conn()->rcv.size(), 16384u);
  EXPECT_EQ(last_wnd, 0);
  // Data into the zero window: acceptable at RCV.NXT (its ACK is used) but
  // its text is not taken.
  send({.seq = R(1 + in), .ack = L(1), .wnd = 0, .data = "more"});
  expect({{.seq = L(1), .ack = R(1 + in), .wnd = 0}});
  send_drop({.seq = R(2 + in), .ack = L(1), .wnd = 0, .data = "more"}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(1), .ack = R(1 + in), .wnd = 0}});
  // The peer reads: everything comes back, in order, and our window opens.
  send({.seq = R(1 + in), .ack = L(1), .wnd = 65535});
  const std::string back = pump(1, R(1 + in));
  EXPECT_EQ(back, pattern(in));
  EXPECT_EQ(conn()->rcv.size(), 0u);
  EXPECT_EQ(conn()->snd.size(), 0u);
  // The last window we advertised is open again.
  send({.seq = R(1 + in), .ack = L(1 + in), .data = "x"});
  const Got g = take_one();
  EXPECT_GE(g.wnd, 16384 - 1460);
}

// --- delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2)

TEST_F(Estab, DelayedAckTimerAndEverySecondSegment) {
  established(kDiscard);
  send({.seq = R(1), .ack = L(1), .data = "a"});
  expect_nothing();
  advance(39);
  expect_nothing();
  advance(1);
  expect({{.seq = L(1), .ack = R(2)}});
  EXPECT_EQ(ctr(Ctr::tcp_delayed_acks), 1u);
  send({.seq = R(2), .ack = L(1), .data = "b"});
  expect_nothing();
  send({.seq = R(3), .ack = L(1), .data = "c"});
  expect({{.seq = L(1), .ack = R(4)}});  // the second one: at once
  advance(100);
  expect_nothing();  // and the timer was stopped
  EXPECT_EQ(ctr(Ctr::tcp_delayed_acks), 1u);
  EXPECT_EQ(EngineAccess::wheel(*engine_).armed_count(), 0u);
}

// --- keepalive (RFC 1122 4.2.3.6), off by default

TEST_F(Estab, KeepaliveProbesThenAborts) {
  EngineConfig c = small_config();
  c.keepalive = true;
  c.keepalive_idle_ms = 10000;
  c.keepalive_intvl_ms = 1000;
  c.keepalive_probes = 2;
  start(c);
  established();
  advance(10000);
  expect({{.seq = L(0), .ack = R(1)}});
  send({.seq = R(1), .ack = L(1)});  // answered: idle again
  advance(9999);
  expect_nothing();
  advance(1);
  expect({{.seq = L(0), .ack = R(1)}});
  advance(1000);
  expect({{.seq = L(0), .ack = R(1)}});
  advance(1000);
  expect({{.seq = L(1), .ack = R(1), .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_keepalive_probes), 3u);
  EXPECT_EQ(ctr(Ctr::tcp_timeouts), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 1u);
}

// --- http

std::string head(uint16_t status, uint64_t len, bool close) {
  char b[256];
  const size_t n = service::write_head(b, sizeof b, {status, len, close, false, false});
  return std::string(b, n);
}

TEST_F(Estab, HttpGetRoot) {
  established(kHttp);
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const std::string resp = head(200, 64, false) + pattern(64);
  expect({{.seq = L(1), .ack = R(1 + req.size()), .flags = flag::ACK | flag::PSH, .data = resp}});
  EXPECT_EQ(state(), State::Established);  // kept alive
}

TEST_F(Estab, HttpRequestInPieces) {
  established(kHttp);
  send({.seq = R(1), .ack = L(1), .data = "GET / HT"});
  expect_nothing();
  send({.seq = R(9), .ack = L(1), .data = "TP/1.1\r\n\r\n"});
  const Got g = take_one();
  EXPECT_EQ(g.data, head(200, 64, false) + pattern(64));
  EXPECT_EQ(g.ack, R(19));
}

TEST_F(Estab, HttpLargeBodyStreamsAcrossManyAcks) {
  established(kHttp);
  const std::string req = "GET /bytes/100000 HTTP/1.1\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const std::string got = pump(1, R(1 + req.size()));
  const std::string h = head(200, 100000, false);
  ASSERT_EQ(got.size(), h.size() + 100000);
  EXPECT_EQ(got.substr(0, h.size()), h);
  EXPECT_TRUE(got.substr(h.size()) == pattern(100000));
  EXPECT_EQ(conn()->snd.size(), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 0u);
  EXPECT_GT(conn()->cc.cwnd, 14600u);  // slow start grew the window
}

// The client half-closes right after its request: the whole response
// still comes, then our FIN.
TEST_F(Estab, HttpPeerHalfCloseGetsTheWholeResponse) {
  established(kHttp);
  const std::string req = "GET /bytes/50000 HTTP/1.1\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN, .data = req});
  EXPECT_EQ(state(), State::CloseWait);
  bool fin = false;
  const std::string got = pump(1, R(2 + req.size()), 65535, &fin);
  EXPECT_EQ(got, head(200, 50000, false) + pattern(50000));
  EXPECT_TRUE(fin);
  EXPECT_EQ(state(), State::Closed);  // the ACK of our FIN ended LAST_ACK
  expect_clean();
}

TEST_F(Estab, HttpPipelinedRequests) {
  established(kHttp);
  const std::string req = "GET / HTTP/1.1\r\n\r\nGET /bytes/3 HTTP/1.1\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  expect({{.seq = L(1),
           .ack = R(1 + req.size()),
           .flags = flag::ACK | flag::PSH,
           .data = head(200, 64, false) + pattern(64) + head(200, 3, false) + pattern(3)}});
}

// A request that arrives while the previous response is still being
// generated (larger than the 16 KiB send buffer) reaches an empty receive
// buffer and is read in place; http leaves it unread until the response is
// queued, so it is kept in the buffer, and answered after.
TEST_F(Estab, HttpRequestLeftUnreadInPlaceIsKept) {
  established(kHttp);
  const std::string r1 = "GET /bytes/40000 HTTP/1.1\r\n\r\n";
  const std::string r2 = "GET /bytes/3 HTTP/1.1\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = r1});
  EXPECT_EQ(conn()->rcv.size(), 0u);
  send({.seq = R(1 + r1.size()), .ack = L(1), .data = r2});
  EXPECT_EQ(conn()->rcv.size(), r2.size());  // kept, not read
  EXPECT_EQ(conn()->rcv_nxt, Seq(R(1 + r1.size() + r2.size())));
  const std::string got = pump(1, R(1 + r1.size() + r2.size()));
  EXPECT_EQ(got, head(200, 40000, false) + pattern(40000) + head(200, 3, false) + pattern(3));
  EXPECT_EQ(conn()->rcv.size(), 0u);
}

TEST_F(Estab, HttpConnectionCloseSendsFinAfterTheBody) {
  established(kHttp);
  const std::string req = "GET /bytes/10 HTTP/1.1\r\nConnection: close\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const std::string resp = head(200, 10, true) + pattern(10);
  const uint32_t n = static_cast<uint32_t>(resp.size());
  expect({{.seq = L(1), .ack = R(1 + req.size()), .flags = flag::ACK | flag::PSH, .data = resp},
          {.seq = L(1 + n), .ack = R(1 + req.size()), .flags = flag::ACK | flag::FIN}});
  EXPECT_EQ(state(), State::FinWait1);
}

TEST_F(Estab, HttpMalformedGets400AndClose) {
  established(kHttp);
  const std::string req = "GET / HTTP/1.1\r\nbad header\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const std::string resp = head(400, 0, true);
  const uint32_t n = static_cast<uint32_t>(resp.size());
  expect({{.seq = L(1), .ack = R(1 + req.size()), .flags = flag::ACK | flag::PSH, .data = resp},
          {.seq = L(1 + n), .ack = R(1 + req.size()), .flags = flag::ACK | flag::FIN}});
  EXPECT_EQ(state(), State::FinWait1);
}

// What the engine sent, joined.
std::string sent_data(const std::vector<Got>& gs) {
  std::string out;
  for (const Got& g : gs) out += g.data;
  return out;
}

// curl's upload: the head with Expect: 100-continue, the 100 back, the body
// in pieces, then a pipelined GET on the same connection.
TEST_F(Estab, HttpPostWithContinueThenPipelinedGet) {
  established(kHttp);
  const std::string req =
      "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\nExpect: 100-continue\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const Got cont = take_one();
  EXPECT_EQ(cont.data, service::kHttpContinue);
  uint32_t seq = 1 + static_cast<uint32_t>(req.size());
  const uint32_t una = 1 + static_cast<uint32_t>(cont.data.size());
  for (int i = 0; i < 3; ++i) {
    send({.seq = R(seq), .ack = L(una), .data = std::string(i < 2 ? 1000 : 999, 'x')});
    seq += i < 2 ? 1000 : 999;
  }
  EXPECT_EQ(sent_data(take()), "");  // the body's last byte is still missing
  const std::string get = "xGET /bytes/5 HTTP/1.1\r\n\r\n";
  send({.seq = R(seq), .ack = L(una), .data = get});
  const std::string text = "received 3000 bytes\n";
  EXPECT_EQ(sent_data(take()),
            head(200, text.size(), false) + text + head(200, 5, false) + pattern(5));
  EXPECT_EQ(state(), State::Established);  // kept alive after the body
  EXPECT_EQ(conn()->rcv.size(), 0u);       // the body was consumed
}

TEST_F(Estab, HttpChunkedUpload) {
  established(kHttp);
  const std::string req =
      "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n0\r\nT: 1\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const std::string text = "received 4 bytes\n";
  EXPECT_EQ(sent_data(take()), head(200, text.size(), false) + text);
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Estab, HttpOversizeChunkGets413CountedAndClose) {
  established(kHttp);
  const std::string req =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40000001\r\nGET / HTTP/1.1\r\n\r\n";
  send({.seq = R(1), .ack = L(1), .data = req});
  const std::vector<Got> got = take();
  EXPECT_EQ(sent_data(got), head(413, 0, true));
  ASSERT_FALSE(got.empty());
  EXPECT_TRUE(got.back().flags & flag::FIN);
  EXPECT_EQ(ctr(Ctr::http_body_too_large), 1u);
  EXPECT_EQ(ctr(Ctr::http_bad_chunk), 0u);
}

TEST_F(Estab, HttpBadChunkCounted) {
  established(kHttp);
  send({.seq = R(1),
        .ack = L(1),
        .data = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n"});
  EXPECT_EQ(sent_data(take()), head(400, 0, true));
  EXPECT_EQ(ctr(Ctr::http_bad_chunk), 1u);
}

}  // namespace
}  // namespace pmx::tcp::test
