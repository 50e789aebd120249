// Conn::t_rtx serves one purpose at a time, named by Conn::rtx_timer
// (RtxTimer, conn.hpp; docs/tcp.md "Timers"). Each test reaches the event
// that arms one kind, checks the kind and the deadline, lets it fire and
// checks what firing did. Engine::on_timer acts by the kind alone, so a
// dispatch that confused any two kinds fails one of these.
#include "gen/client.hpp"
#include "tcp_fixture.hpp"

#include <cstdio>

namespace pmx::tcp::test {
namespace {

class Timers : public TcpTest {
 protected:
  // The current connection's kind; t_rtx must be set exactly when a kind is.
  RtxTimer kind() {
    const Conn* c = conn();
    if (!c) return RtxTimer::Off;
    EXPECT_EQ(c->t_rtx == 0, c->rtx_timer == RtxTimer::Off);
    return c->rtx_timer;
  }
  // Milliseconds until t_rtx.
  uint64_t due_ms() {
    const Conn* c = conn();
    return c && c->t_rtx > now_ ? (c->t_rtx - now_) / 1000 : 0;
  }
  // An active open from 198.18.0.1:50000 to the peer's port 80 (the
  // generator's client service); returns our SYN.
  Got connect() {
    std::snprintf(cfg_.host, sizeof cfg_.host, "198.18.0.2");
    engine_->set_client(&cfg_, &st_);
    port_ = 50000;
    rport_ = kHttp;
    EXPECT_GE(engine_->connect(key(), now_), 0);
    drain();
    const Got g = take_one();
    EXPECT_EQ(flag_str(g.flags), "S");
    iss_ = g.seq;
    return g;
  }

  gen::ClientConfig cfg_;
  gen::ClientStats st_;
};

TEST_F(Timers, SynSentRetriesTheSyn) {
  connect();
  EXPECT_EQ(kind(), RtxTimer::SynRetry);
  EXPECT_EQ(due_ms(), 1000u);  // rto_init
  advance(1000);
  expect({{.seq = L(0), .flags = flag::SYN}});
  EXPECT_EQ(ctr(Ctr::tcp_syn_retransmits), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_synack_retransmits), 0u);
  EXPECT_EQ(kind(), RtxTimer::SynRetry);
  EXPECT_EQ(due_ms(), 2000u);  // backed off (RFC 6298 5.5)
  // The SYN-ACK stops it: nothing is outstanding once the request is ACKed.
  send({.seq = R(0), .ack = L(1), .flags = flag::SYN | flag::ACK, .opt = {.mss = 1460}});
  const Got req = take_one();
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(kind(), RtxTimer::Retransmit);  // the request is in flight
  send({.seq = R(1), .ack = req.seq + static_cast<uint32_t>(req.data.size())});
  EXPECT_EQ(kind(), RtxTimer::Off);
}

TEST_F(Timers, SynRecvRetriesTheSynAck) {
  syn(kEcho);
  EXPECT_EQ(kind(), RtxTimer::SynAckRetry);
  EXPECT_EQ(due_ms(), 1000u);
  advance(1000);
  expect({{.seq = L(0), .ack = R(1), .flags = flag::SYN | flag::ACK}});
  EXPECT_EQ(ctr(Ctr::tcp_synack_retransmits), 1u);
  EXPECT_EQ(kind(), RtxTimer::SynAckRetry);
  EXPECT_EQ(due_ms(), 2000u);
  // The handshake's ACK stops it.
  send({.seq = R(1), .ack = L(1)});
  expect_nothing();
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(kind(), RtxTimer::Off);
}

// Simultaneous open: SYN_SENT becomes SYN_RECV, and the SYN-ACK (not the
// SYN) is what goes again.
TEST_F(Timers, SimultaneousOpenRetriesTheSynAck) {
  connect();
  send({.seq = R(0), .flags = flag::SYN, .opt = {.mss = 1460}});
  const Got sa = take_one();
  EXPECT_EQ(flag_str(sa.flags), "S.");
  EXPECT_EQ(state(), State::SynReceived);
  EXPECT_EQ(kind(), RtxTimer::SynAckRetry);
  advance(1000);
  const Got again = take_one();
  EXPECT_EQ(flag_str(again.flags), "S.");
  EXPECT_EQ(again.ack, R(1));
  EXPECT_EQ(ctr(Ctr::tcp_synack_retransmits), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_syn_retransmits), 0u);
  EXPECT_EQ(kind(), RtxTimer::SynAckRetry);
}

// Without an RTT sample there is no tail loss probe: data in flight arms
// the retransmission timeout, which goes back to SND.UNA and backs off.
TEST_F(Timers, DataInFlightArmsTheRetransmissionTimeout) {
  established();
  send({.seq = R(1), .ack = L(1), .data = "hello"});
  const Want echo{.seq = L(1), .ack = R(6), .flags = flag::ACK | flag::PSH, .data = "hello"};
  expect({echo});
  EXPECT_EQ(conn()->srtt, 0u);
  EXPECT_EQ(kind(), RtxTimer::Retransmit);
  EXPECT_EQ(due_ms(), 1000u);
  advance(1000);
  expect({echo});
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 0u);
  EXPECT_EQ(kind(), RtxTimer::Retransmit);
  EXPECT_EQ(due_ms(), 2000u);
  send({.seq = R(6), .ack = L(6)});  // all acknowledged (RFC 6298 5.2)
  EXPECT_EQ(kind(), RtxTimer::Off);
}

// With an RTT sample of 20 ms and three segments out, the probe comes at
// PTO = 2 * SRTT, before the RTO (RFC 8985 7.2): the last segment again,
// then the RTO takes over.
TEST_F(Timers, TailLossProbeResendsTheLastSegmentThenTheRto) {
  established(kEcho, {.mss = 100});
  send({.seq = R(1), .ack = L(1), .data = pattern(100)});
  take();
  advance(20);
  send({.seq = R(101), .ack = L(101), .data = pattern(300, 100)});
  ASSERT_EQ(conn()->srtt, 20000u);
  EXPECT_EQ(take().size(), 3u);
  EXPECT_EQ(kind(), RtxTimer::TailLossProbe);
  EXPECT_EQ(due_ms(), 40u);
  advance(40);
  expect({{.seq = L(301), .ack = R(401), .data = pattern(100, 300)}});
  EXPECT_EQ(ctr(Ctr::tcp_tail_loss_probes), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
  EXPECT_EQ(kind(), RtxTimer::Retransmit);
  EXPECT_EQ(due_ms(), 200u);  // the RTO (its 200 ms floor)
}

// A zero window with data waiting arms the persist timer; it probes with
// SND.UNA - 1 (RFC 9293 3.8.6.1; as Linux), backs off, and an opening
// window stops it and lets the data go.
TEST_F(Timers, ZeroWindowArmsThePersistTimer) {
  established();
  send({.seq = R(1), .ack = L(1), .wnd = 0, .data = "hello"});
  expect_nothing();
  EXPECT_EQ(kind(), RtxTimer::Persist);
  EXPECT_EQ(due_ms(), 1000u);
  advance(40);
  expect({{.seq = L(1), .ack = R(6)}});  // the delayed ACK, not a probe
  EXPECT_EQ(kind(), RtxTimer::Persist);
  advance(960);
  expect({{.seq = L(0), .ack = R(6)}});
  EXPECT_EQ(ctr(Ctr::tcp_zero_window_probes), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_rto_expirations), 0u);
  EXPECT_EQ(kind(), RtxTimer::Persist);
  EXPECT_EQ(due_ms(), 2000u);
  send({.seq = R(6), .ack = L(1), .wnd = 1000});
  expect({{.seq = L(1), .ack = R(6), .flags = flag::ACK | flag::PSH, .data = "hello"}});
  EXPECT_EQ(kind(), RtxTimer::Retransmit);
}

TEST_F(Timers, FinWait2TimesOutWithoutCountingATimeWait) {
  fin_wait_2();
  EXPECT_EQ(kind(), RtxTimer::FinWait2);
  EXPECT_EQ(due_ms(), 2000u);  // 2 MSL
  advance(1999);
  EXPECT_EQ(state(), State::FinWait2);
  advance(1);
  EXPECT_EQ(state(), State::Closed);
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_timewait_expired), 0u);
}

TEST_F(Timers, TimeWaitEndsAfterTwoMslFromTheLastFin) {
  const uint32_t n = time_wait();
  EXPECT_EQ(kind(), RtxTimer::TimeWait);
  EXPECT_EQ(due_ms(), 2000u);
  advance(1000);
  // The peer's FIN again: ACKed, and the 2 MSL start over.
  send({.seq = peer_next_, .ack = L(2 + n), .flags = flag::FIN | flag::ACK});
  expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
  EXPECT_EQ(kind(), RtxTimer::TimeWait);
  EXPECT_EQ(due_ms(), 2000u);
  advance(1999);
  EXPECT_EQ(state(), State::TimeWait);
  advance(1);
  EXPECT_EQ(state(), State::Closed);
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_timewait_expired), 1u);
}

}  // namespace
}  // namespace pmx::tcp::test
