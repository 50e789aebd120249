// What a blind attacker can make an established connection send (RFC 5961):
// challenge ACKs and the ACKs answering unacceptable segments are limited
// per connection, never by a budget one connection can drain for another
// (CVE-2016-5696), while the ACKs a real peer needs for progress are not
// limited at all.
#include "tcp_fixture.hpp"

#include <cstdio>
#include <random>

namespace pmx::tcp::test {
namespace {

class Limits : public TcpTest {
 protected:
  // Segments the engine sends for one input (the fixture's queue is bypassed
  // for floods).
  size_t input_count(const Pkt& p) {
    engine_->input(seg(p), now_);
    const size_t n = engine_->output().size();
    engine_->clear_output();
    return n;
  }
  // 300 in-window RSTs not at RCV.NXT at the connection from rport, 3 ms
  // apart; returns the challenge ACKs they drew.
  size_t spend_challenges(uint16_t rport) {
    size_t acks = 0;
    for (int i = 0; i < 300; ++i) {
      acks += input_count({.seq = R(100), .flags = flag::RST, .rport = rport});
      now_ += 3000;
    }
    return acks;
  }
};

// The attacker spends 300 challenge ACKs on its own connection: another
// connection's budget is untouched, so the count it gets back reveals
// nothing about the first.
TEST_F(Limits, ChallengeAckBudgetIsPerConnection) {
  rport_ = kPeerPort + 1;
  established();
  const uint32_t victim_iss = iss_;
  rport_ = kPeerPort;
  established();
  const size_t attacker = spend_challenges(kPeerPort);
  // 900 ms: one at 0 ms and one at 501 ms.
  EXPECT_EQ(attacker, 2u);
  EXPECT_EQ(ctr(Ctr::tcp_challenge_ack_limited), 298u);
  // Within the same second, the other connection gets exactly what the
  // first one got from a fresh start.
  now_ -= 900000;
  iss_ = victim_iss;
  const size_t victim = spend_challenges(kPeerPort + 1);
  EXPECT_EQ(victim, attacker);
  EXPECT_EQ(ctr(Ctr::tcp_challenge_acks), 4u);
  EXPECT_EQ(ctr(Ctr::tcp_rst_challenged), 600u);
  EXPECT_EQ(state(0, kPeerPort), State::Established);
  EXPECT_EQ(state(0, kPeerPort + 1), State::Established);
}

// 131,072 SYNs with sequence numbers outside the window, at the rate one
// core sent them in the test (about 476k/s: 2 us apart), draw one
// ACK per 500 ms, as Linux (1 for the same flood).
TEST_F(Limits, OutOfWindowSynFloodDrawsOneAckPerHalfSecond) {
  established(kDiscard);
  std::mt19937 rng(11);
  size_t acks = 0;
  for (uint32_t i = 0; i < 131072; ++i) {
    // Anywhere outside [R(1), R(1) + 16384].
    const uint32_t seq = R(1 + 16385) + rng() % (0xffffffffu - 16386);
    acks += input_count({.seq = seq, .flags = flag::SYN});
    now_ += 2;
  }
  std::printf("131072 out-of-window SYNs in %.0f ms drew %zu ACKs\n", 131072 * 2 / 1000.0, acks);
  RecordProperty("acks", static_cast<int>(acks));
  EXPECT_EQ(acks, 1u);
  EXPECT_EQ(ctr(Ctr::tcp_seq_not_acceptable), 131072u);
  EXPECT_EQ(ctr(Ctr::tcp_oow_ack_limited), 131071u);
  EXPECT_EQ(state(), State::Established);
  // A second later the connection answers again, and still works.
  now_ = (now_ + 999) / 1000 * 1000;  // whole ms again, for the delayed ACK below
  advance(1000);
  expect_nothing();
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(1), .ack = R(1)}});
  send({.seq = R(1), .ack = L(1), .data = "x"});
  advance(40);
  expect({{.seq = L(1), .ack = R(2)}});
}

// Pure ACKs outside the window (old duplicates, or beyond the right edge)
// are answered at most once per 500 ms.
TEST_F(Limits, PureAcksOutsideTheWindowAreRateLimited) {
  established(kDiscard);
  send_drop({.seq = R(0), .ack = L(1)}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(1), .ack = R(1)}});
  send_drop({.seq = R(1 + 20000), .ack = L(1)}, Ctr::tcp_seq_not_acceptable);
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_oow_ack_limited), 1u);
  advance(500);
  send_drop({.seq = R(1 + 20000), .ack = L(1)}, Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(1), .ack = R(1)}});
}

// Text outside the window is answered every time (Linux's
// tcp_oow_rate_limited exempts it): a peer whose ACKs were lost resends
// old data, and the ACK is what stops it.
TEST_F(Limits, TextOutsideTheWindowIsAlwaysAnswered) {
  established(kDiscard);
  send({.seq = R(1), .ack = L(1), .data = "hello"});
  advance(40);
  expect({{.seq = L(1), .ack = R(6)}});
  for (int i = 0; i < 5; ++i) {
    send_drop({.seq = R(1), .ack = L(1), .data = "hello"}, Ctr::tcp_seq_not_acceptable);
    expect({{.seq = L(1), .ack = R(6)}});
  }
  EXPECT_EQ(ctr(Ctr::tcp_oow_ack_limited), 0u);
  // Text with SYN is an attack, not a retransmission: limited.
  for (int i = 0; i < 2; ++i)
    send_drop({.seq = R(0), .ack = L(1), .flags = flag::SYN, .data = "hello"},
              Ctr::tcp_seq_not_acceptable);
  expect({{.seq = L(1), .ack = R(6)}});
  EXPECT_EQ(ctr(Ctr::tcp_oow_ack_limited), 1u);
}

// Duplicate ACKs for out-of-order text inside the window drive the peer's
// fast retransmit (RFC 5681 4.2): every one is sent.
TEST_F(Limits, DuplicateAcksForOutOfOrderTextAreNotLimited) {
  established(kDiscard);
  for (uint32_t i = 1; i <= 6; ++i) {
    send({.seq = R(1 + 100 * i), .ack = L(1), .data = pattern(100)});
    const Got g = take_one();
    EXPECT_EQ(g.ack, R(1));
  }
  EXPECT_EQ(ctr(Ctr::tcp_oow_ack_limited), 0u);
}

// RFC 5961 5.2: an ACK of data never sent is answered, rate-limited.
TEST_F(Limits, AckOfDataNeverSentIsRateLimited) {
  established(kDiscard);
  send_drop({.seq = R(1), .ack = L(100)}, Ctr::tcp_ack_too_new);
  expect({{.seq = L(1), .ack = R(1)}});
  send_drop({.seq = R(1), .ack = L(100), .data = "x"}, Ctr::tcp_ack_too_new);
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_oow_ack_limited), 1u);
}

// PAWS rejects share the rule: pure ACKs limited, text answered.
TEST_F(Limits, PawsRejectsAreAnsweredLikeUnacceptableSegments) {
  established(kDiscard, {.mss = 1460, .ts = true, .ts_val = 100});
  send_drop({.seq = R(1), .ack = L(1), .opt = {.ts = true, .ts_val = 50}}, Ctr::tcp_paws_rejected);
  EXPECT_EQ(take().size(), 1u);
  send_drop({.seq = R(1), .ack = L(1), .opt = {.ts = true, .ts_val = 50}}, Ctr::tcp_paws_rejected);
  expect_nothing();
  send_drop({.seq = R(1), .ack = L(1), .opt = {.ts = true, .ts_val = 50}, .data = "x"},
            Ctr::tcp_paws_rejected);
  EXPECT_EQ(take().size(), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_oow_ack_limited), 1u);
}

// SYN+RST, and every flag at once, on an established connection. RFC 9293
// 3.10.7.4 checks RST (second) before SYN (fourth), and RFC 5961 3.2 decides
// a RST by its sequence number alone, so these are RSTs, as Linux takes
// them (tcp_validate_incoming): outside the window dropped silently, exactly
// at RCV.NXT a reset, elsewhere in the window a challenge ACK, limited per
// connection like any other.
constexpr uint8_t kAllFlags = flag::FIN | flag::SYN | flag::RST | flag::PSH | flag::ACK | flag::URG;

// Outside means SEG.SEQ outside (RFC 5961 3.2): all flags at R(0) span
// [R(0), R(2)) with SYN and FIN and so reach into the window, and were
// challenged before.
TEST_F(Limits, SynRstOutsideTheWindowIsDroppedSilently) {
  established(kDiscard);
  for (uint8_t f : {uint8_t(flag::SYN | flag::RST), kAllFlags}) {
    send_drop({.seq = R(1 + 20000), .ack = L(1), .flags = f}, Ctr::tcp_rst_out_of_window);
    send_drop({.seq = R(0), .ack = L(1), .flags = f}, Ctr::tcp_rst_out_of_window);
  }
  expect_nothing();
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Limits, SynRstInTheWindowDrawsOneRateLimitedChallengeAck) {
  established(kDiscard);
  for (uint8_t f : {uint8_t(flag::SYN | flag::RST), kAllFlags}) {
    send_drop({.seq = R(100), .ack = L(1), .flags = f}, Ctr::tcp_rst_challenged);
    expect({{.seq = L(1), .ack = R(1)}});
    send_drop({.seq = R(200), .ack = L(1), .flags = f}, Ctr::tcp_rst_challenged);
    expect_nothing();  // within 500 ms of the last answer
    advance(500);
  }
  EXPECT_EQ(ctr(Ctr::tcp_challenge_acks), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_challenge_ack_limited), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_syn_challenged), 0u);
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Limits, SynRstAtRcvNxtResets) {
  established(kDiscard);
  send({.seq = R(1), .ack = L(1), .flags = flag::SYN | flag::RST});
  expect_nothing();
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 1u);
  established(kEcho);
  send({.seq = R(1), .ack = L(1), .flags = kAllFlags});
  expect_nothing();
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 2u);
}

// Issue 11: a peer MSS of 65535 on a passive open is clamped to ours
// (MTU - 40); segments carry 1448 bytes with timestamps, 1460 without, as
// Linux on a 1500-byte MTU.
TEST_F(Limits, PeerMss65535IsClampedToOurs) {
  for (const bool ts : {true, false}) {
    established(kHttp, {.mss = 65535, .wscale = 7, .sack_ok = true, .ts = ts, .ts_val = 5});
    EXPECT_EQ(conn()->mss, 1460);
    const TcpOpts o{.ts = ts, .ts_val = 6};
    send({.seq = R(1), .ack = L(1), .opt = o, .data = "GET /bytes/10000 HTTP/1.1\r\n\r\n"});
    const std::vector<Got> g = take();
    ASSERT_GE(g.size(), 6u);
    for (size_t i = 0; i + 1 < g.size(); ++i) EXPECT_EQ(g[i].data.size(), ts ? 1448u : 1460u) << i;
    engine_->abort_all();
    engine_->clear_output();
    queue_.clear();
  }
}

}  // namespace
}  // namespace pmx::tcp::test
