// Every way to CLOSED (RFC 9293 3.6 and the FIN processing of 3.10.7.4):
// passive close, active close, simultaneous close, TIME_WAIT and its reuse
// by a new SYN (RFC 6191), and the timeouts of FIN_WAIT_2 and LAST_ACK.
#include "service/http.hpp"
#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

using Close = TcpTest;

TEST_F(Close, PassiveCloseEcho) {
  established();
  EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 1u);
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN});
  // CLOSE_WAIT, and echo has nothing left to send: it closes at once, so our
  // FIN carries the ACK of theirs.
  expect({{.seq = L(1), .ack = R(2), .flags = flag::ACK | flag::FIN}});
  EXPECT_EQ(state(), State::LastAck);
  EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 0u);
  send({.seq = R(2), .ack = L(2)});
  expect_nothing();
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 0u);
  expect_clean();
}

TEST_F(Close, PassiveCloseWaitsForQueuedData) {
  established();
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN, .wnd = 0, .data = "bye"});
  expect({{.seq = L(1), .ack = R(5)}});  // their FIN is ACKed at once
  EXPECT_EQ(state(), State::CloseWait);
  EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 1u);
  send({.seq = R(5), .ack = L(1), .wnd = 1000});
  const std::vector<Got> g = take();
  ASSERT_GE(g.size(), 1u);
  std::string data;
  for (const Got& x : g) data += x.data;
  EXPECT_EQ(data, "bye");
  EXPECT_TRUE(g.back().has(flag::FIN));
  EXPECT_EQ(g.back().seq + g.back().data.size(), L(4));
  EXPECT_EQ(state(), State::LastAck);
  send({.seq = R(5), .ack = L(5)});
  EXPECT_EQ(state(), State::Closed);
  expect_clean();
}

TEST_F(Close, LastAckRetransmitsTheFin) {
  established();
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(1), .ack = R(2), .flags = flag::ACK | flag::FIN}});
  advance(1000);
  expect({{.seq = L(1), .ack = R(2), .flags = flag::ACK | flag::FIN}});
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 1u);
  send({.seq = R(2), .ack = L(2)});
  EXPECT_EQ(state(), State::Closed);
  expect_clean();
}

// Their FIN again in LAST_ACK (our FIN|ACK crossed it): old, so answered
// with an ACK and dropped; our FIN is still to be acknowledged.
TEST_F(Close, RetransmittedFinInLastAck) {
  established();
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN});
  take();
  send_drop({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN},
            Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(2), .ack = R(2)}});
  EXPECT_EQ(state(), State::LastAck);
  send({.seq = R(2), .ack = L(2)});
  EXPECT_EQ(state(), State::Closed);
}

TEST_F(Close, ActiveCloseThroughTimeWait) {
  const uint32_t n = fin_wait_1();
  EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 0u);
  // The ACK of the response alone: still FIN_WAIT_1.
  send({.seq = peer_next_, .ack = L(1 + n)});
  expect_nothing();
  EXPECT_EQ(state(), State::FinWait1);
  send({.seq = peer_next_, .ack = L(2 + n)});
  expect_nothing();
  EXPECT_EQ(state(), State::FinWait2);
  send({.seq = peer_next_, .ack = L(2 + n), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
  EXPECT_EQ(state(), State::TimeWait);
  // TIME_WAIT needs no buffers.
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  EXPECT_EQ(engine_->conns_in_use(), 1u);
  // 2 MSL on the manual clock, exactly.
  advance(2000 - 1);
  EXPECT_EQ(state(), State::TimeWait);
  advance(1);
  expect_nothing();
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_timewait_expired), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 0u);
  expect_clean();
}

TEST_F(Close, DataInFinWait2IsAcknowledged) {
  const uint32_t n = fin_wait_2();
  send({.seq = peer_next_, .ack = L(2 + n), .data = "late"});
  advance(40);
  expect({{.seq = L(2 + n), .ack = peer_next_ + 4}});
  send({.seq = peer_next_ + 4, .ack = L(2 + n), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(2 + n), .ack = peer_next_ + 5}});
  EXPECT_EQ(state(), State::TimeWait);
}

TEST_F(Close, FinWait2TimesOut) {
  fin_wait_2();
  advance(2000 - 1);
  EXPECT_EQ(state(), State::FinWait2);
  advance(1);
  expect_nothing();
  EXPECT_EQ(state(), State::Closed);
  expect_clean();
}

TEST_F(Close, FinWait1RetransmitsTheFin) {
  const uint32_t n = fin_wait_1();
  send({.seq = peer_next_, .ack = L(1 + n)});  // the data only
  advance(1000);
  expect({{.seq = L(1 + n), .ack = peer_next_, .flags = flag::ACK | flag::FIN}});
  send({.seq = peer_next_, .ack = L(2 + n)});
  EXPECT_EQ(state(), State::FinWait2);
}

TEST_F(Close, SimultaneousCloseThroughClosing) {
  const uint32_t n = fin_wait_1();
  // Their FIN crosses ours: it acknowledges our data, not our FIN.
  send({.seq = peer_next_, .ack = L(1 + n), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
  EXPECT_EQ(state(), State::Closing);
  // The ACK of our FIN: TIME_WAIT, and nothing to acknowledge.
  send({.seq = peer_next_ + 1, .ack = L(2 + n)});
  expect_nothing();
  EXPECT_EQ(state(), State::TimeWait);
  advance(2000);
  EXPECT_EQ(state(), State::Closed);
  expect_clean();
}

TEST_F(Close, FinAndAckOfOurFinAtOnce) {
  const uint32_t n = fin_wait_1();
  send({.seq = peer_next_, .ack = L(2 + n), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
  EXPECT_EQ(state(), State::TimeWait);
}

TEST_F(Close, ResetInCloseWaitCountsAsEstabReset) {
  established();
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN, .wnd = 0, .data = "x"});
  take();
  ASSERT_EQ(state(), State::CloseWait);
  send({.seq = R(3), .flags = flag::RST});
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 0u);
}

// The output queue fills up right at our FIN: the FIN waits for poll(). An
// ACK of all the data that arrives meanwhile must not be taken for the ACK
// of a FIN that was never sent.
TEST_F(Close, FinDelayedByAFullOutputQueue) {
  EngineConfig c = small_config();
  c.max_flows = 128;
  start(c);
  // 102 connections that will send ten segments each, and 3 that send one:
  // 1023 segments, one short of the queue's 1024.
  std::vector<Pkt> burst;
  for (uint16_t i = 0; i < 105; ++i) {
    rport_ = static_cast<uint16_t>(20000 + i);
    established();
    burst.push_back({.seq = R(1),
                     .ack = L(1),
                     .data = pattern(i < 102 ? 14600 : 10),
                     .port = kEcho,
                     .rport = rport_});
  }
  rport_ = kPeerPort;
  established(kHttp);
  const std::string req = "GET /bytes/10 HTTP/1.1\r\nConnection: close\r\n\r\n";
  char h[256];
  const size_t hl = service::write_head(h, sizeof h, {200, 10, true, false, false});
  const uint32_t n = static_cast<uint32_t>(hl + 10);
  burst.push_back({.seq = R(1), .ack = L(1), .data = req});
  // ... and, in the same burst, the peer's ACK of the response data.
  burst.push_back({.seq = R(1 + req.size()), .ack = L(1 + n)});
  send_burst(burst);
  EXPECT_EQ(queue_.size(), 1024u);
  // Not FIN_WAIT_2: the FIN is not out yet (the engine changes state when
  // it sends the FIN, not when the service closes).
  EXPECT_EQ(state(), State::Established);
  EXPECT_TRUE(conn()->close_requested);
  take();
  advance(0);
  std::vector<Got> fin;
  for (const Got& g : take())
    if (g.port == kHttp) fin.push_back(g);
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(flag_str(fin[0].flags), "F.");
  EXPECT_EQ(fin[0].seq, L(1 + n));
  EXPECT_EQ(state(), State::FinWait1);
  send({.seq = R(1 + req.size()), .ack = L(2 + n)});
  EXPECT_EQ(state(), State::FinWait2);
}

// --- TIME_WAIT

TEST_F(Close, TimeWaitReAcksARetransmittedFinAndRestartsTheTimer) {
  const uint32_t n = time_wait();
  advance(1500);
  send({.seq = peer_next_, .ack = L(2 + n), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
  EXPECT_EQ(ctr(Ctr::tcp_timewait_fin_reacked), 1u);
  advance(2000 - 1);
  EXPECT_EQ(state(), State::TimeWait);
  advance(1);
  EXPECT_EQ(state(), State::Closed);
  expect_clean();
}

TEST_F(Close, TimeWaitIgnoresAPlainAck) {
  const uint32_t n = time_wait();
  send({.seq = peer_next_ + 1, .ack = L(2 + n)});
  expect_nothing();
  EXPECT_EQ(state(), State::TimeWait);
}

TEST_F(Close, SynWithHigherSeqReplacesTimeWait) {
  time_wait();
  const uint32_t old_iss = iss_;
  advance(10);
  irs_ = peer_next_ + 100000;
  const Got sa = syn(kHttp);
  EXPECT_EQ(ctr(Ctr::tcp_timewait_reused), 1u);
  EXPECT_EQ(state(), State::SynReceived);
  EXPECT_NE(sa.seq, old_iss);
  send({.seq = R(1), .ack = L(1)});
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(engine_->conns_in_use(), 1u);
}

TEST_F(Close, SynWithLowerSeqDoesNotReplaceTimeWait) {
  const uint32_t n = time_wait();
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
  EXPECT_EQ(state(), State::TimeWait);
  EXPECT_EQ(ctr(Ctr::tcp_timewait_reused), 0u);
}

TEST_F(Close, SynWithHigherTimestampReplacesTimeWait) {
  time_wait({.mss = 1460, .ts = true, .ts_val = 500});
  // A lower sequence number, but a newer timestamp (RFC 6191 2).
  send({.seq = R(0), .flags = flag::SYN, .opt = {.mss = 1460, .ts = true, .ts_val = 501}});
  const Got sa = take_one();
  EXPECT_EQ(flag_str(sa.flags), "S.");
  expect_opts(sa, {HasTsEcr(501)});
  EXPECT_EQ(ctr(Ctr::tcp_timewait_reused), 1u);
  EXPECT_EQ(state(), State::SynReceived);
}

TEST_F(Close, SynWithLowerTimestampDoesNotReplaceTimeWait) {
  const uint32_t n = time_wait({.mss = 1460, .ts = true, .ts_val = 500});
  // A higher sequence number does not help: the timestamp decides.
  send_drop({.seq = peer_next_ + 100000,
             .flags = flag::SYN,
             .opt = {.mss = 1460, .ts = true, .ts_val = 499}},
            Ctr::tcp_paws_rejected);
  const Got g = take_one();
  EXPECT_EQ(flag_str(g.flags), ".");
  EXPECT_EQ(g.seq, L(2 + n));
  EXPECT_EQ(state(), State::TimeWait);
  EXPECT_EQ(ctr(Ctr::tcp_timewait_reused), 0u);
}

TEST_F(Close, AbortAllResetsEverythingButTimeWait) {
  time_wait();
  rport_ = 40001;
  established();
  engine_->abort_all();
  drain();
  expect({{.seq = L(1), .ack = R(1), .flags = flag::RST | flag::ACK}});
  expect_clean();
}

}  // namespace
}  // namespace pmx::tcp::test
