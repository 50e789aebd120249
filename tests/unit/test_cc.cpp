// Congestion control (lib/tcp/cc.cpp): the window curves against the RFCs'
// formulas, driven by a model ACK clock (one ACK per segment, a window's
// worth per RTT, no loss unless a test makes one).
#include "tcp/cc.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace pmx::tcp {
namespace {

constexpr uint32_t kMss = 1000;  // round numbers: windows read in segments

// Runs the ACK clock for `secs` seconds from *now: every RTT, cwnd bytes
// are acknowledged one segment at a time, spread over the RTT.
void run(CcState& s, uint64_t& now, uint32_t rtt_us, double secs) {
  const uint64_t end = now + static_cast<uint64_t>(secs * 1e6);
  while (now < end) {
    const uint32_t segs = std::max<uint32_t>(s.cwnd / kMss, 1);
    for (uint32_t i = 0; i < segs; ++i) cc::on_ack(s, kMss, kMss, now + rtt_us * i / segs, rtt_us);
    now += rtt_us;
  }
}

double segs(uint32_t bytes) { return static_cast<double>(bytes) / kMss; }

// A CUBIC connection in congestion avoidance at `w` segments that then
// sees one loss (fast retransmit) and leaves recovery at ssthresh.
CcState cubic_after_loss(uint32_t w) {
  CcState s;
  cc::init(s, CcKind::Cubic, kMss, Seq(1));
  s.ssthresh = s.cwnd = w * kMss;
  cc::on_congestion(s, s.cwnd, kMss);
  s.cwnd = s.ssthresh;  // RFC 6582 full acknowledgment, flight >= ssthresh
  return s;
}

TEST(Cc, NamesRoundTrip) {
  EXPECT_EQ(cc_from_name("newreno"), CcKind::NewReno);
  EXPECT_EQ(cc_from_name("cubic"), CcKind::Cubic);
  EXPECT_FALSE(cc_from_name("bbr").has_value());
  EXPECT_EQ(cc_name(CcKind::Cubic), "cubic");
}

TEST(Cc, InitialWindowRfc6928) {
  CcState s;
  cc::init(s, CcKind::Cubic, 1460, Seq(7));
  EXPECT_EQ(s.cwnd, 14600u);  // min(10 MSS, max(2 MSS, 14600))
  cc::init(s, CcKind::NewReno, 536, Seq(7));
  EXPECT_EQ(s.cwnd, 5360u);
  cc::init(s, CcKind::NewReno, 9000, Seq(7));
  EXPECT_EQ(s.cwnd, 18000u);
  EXPECT_EQ(s.recover, Seq(7));
  EXPECT_GT(s.ssthresh, 1u << 30);
}

TEST(Cc, SlowStartIsTheSameForBoth) {
  for (CcKind k : {CcKind::NewReno, CcKind::Cubic}) {
    CcState s;
    cc::init(s, k, kMss, Seq(1));
    uint64_t now = 1'000'000;
    run(s, now, 100'000, 0.3);  // three RTTs: 10 -> 20 -> 40 -> 80 segments
    EXPECT_EQ(s.cwnd, 80 * kMss) << cc_name(k);
  }
}

// RFC 3465: an ACK of two segments (a delayed ACK) grows cwnd by two in slow
// start, by at most one after a timeout (2.3), and never by more than two.
TEST(Cc, SlowStartByteCountingLimit) {
  CcState s;
  cc::init(s, CcKind::NewReno, kMss, Seq(1));
  cc::on_ack(s, 2 * kMss, kMss, 1, 0);
  EXPECT_EQ(s.cwnd, 12 * kMss);
  cc::on_ack(s, 5 * kMss, kMss, 2, 0);
  EXPECT_EQ(s.cwnd, 14 * kMss);
  cc::on_rto(s, 14 * kMss, kMss);
  cc::on_ack(s, 2 * kMss, kMss, 3, 0);
  EXPECT_EQ(s.cwnd, 2 * kMss);
  while (s.cwnd < s.ssthresh) cc::on_ack(s, 2 * kMss, kMss, 4, 0);
  cc::on_ack(s, kMss, kMss, 5, 0);  // congestion avoidance ends the post-timeout rule
  s.cwnd = s.ssthresh / 2;
  cc::on_ack(s, 2 * kMss, kMss, 6, 0);
  EXPECT_EQ(s.cwnd, s.ssthresh / 2 + 2 * kMss);
}

TEST(Cc, NewRenoAddsOneSegmentPerRtt) {
  CcState s;
  cc::init(s, CcKind::NewReno, kMss, Seq(1));
  s.ssthresh = s.cwnd = 50 * kMss;
  uint64_t now = 1'000'000;
  run(s, now, 100'000, 1.0);  // ten RTTs
  EXPECT_NEAR(segs(s.cwnd), 60, 1);
}

TEST(Cc, NewRenoHalvesTheFlightAndRtoDropsToOneSegment) {
  CcState s;
  cc::init(s, CcKind::NewReno, kMss, Seq(1));
  s.cwnd = 40 * kMss;
  cc::on_congestion(s, 30 * kMss, kMss);
  EXPECT_EQ(s.ssthresh, 15 * kMss);  // RFC 5681 (4): FlightSize / 2
  EXPECT_EQ(s.prior_cwnd, 40 * kMss);
  cc::on_rto(s, 2 * kMss, kMss);
  EXPECT_EQ(s.ssthresh, 2 * kMss);  // floor 2 MSS
  EXPECT_EQ(s.cwnd, kMss);
}

TEST(Cc, CubicReducesByBetaAndSetsWmax) {
  CcState s = cubic_after_loss(100);
  EXPECT_EQ(s.ssthresh, 70 * kMss);  // RFC 9438 4.6: cwnd * 0.7
  EXPECT_EQ(s.cubic.w_max, 100 * kMss);
  EXPECT_EQ(s.prior_cwnd, 100 * kMss);
  // A second loss before W_max is reached: fast convergence (4.7),
  // W_max = cwnd * (1 + beta) / 2.
  s.cwnd = 80 * kMss;
  cc::on_congestion(s, s.cwnd, kMss);
  EXPECT_EQ(s.cubic.w_max, 68 * kMss);
  EXPECT_EQ(s.ssthresh, 56 * kMss);
}

// RFC 9438 Figure 1 and 2: from cwnd_epoch = 0.7 W_max the window is back at
// W_max after K = cbrt(W_max (1 - beta) / C) seconds, and then grows as
// C (t - K)^3 + W_max. A 100 ms RTT keeps the curve above W_est here.
TEST(Cc, CubicFollowsTheCubicCurve) {
  CcState s = cubic_after_loss(100);
  uint64_t now = 5'000'000;
  const uint64_t epoch = now;
  const double k = std::cbrt(100 * (1 - cc::kCubicBeta) / cc::kCubicC);
  ASSERT_NEAR(k, 4.217, 0.001);
  run(s, now, 100'000, 0.1);
  EXPECT_NEAR(s.cubic.k_s, k, 1e-4);
  EXPECT_EQ(s.cubic.epoch_us, epoch);
  for (double t : {1.0, 2.0, 3.0, 4.2, 5.0, 6.0}) {
    run(s, now, 100'000, t - static_cast<double>(now - epoch) * 1e-6);
    const double elapsed = static_cast<double>(now - epoch) * 1e-6;
    // cwnd aims at W_cubic one RTT ahead and gets there within the RTT:
    // it lies between W_cubic(t) and W_cubic(t + RTT) (4.4, 4.5).
    EXPECT_GE(segs(s.cwnd), cc::kCubicC * std::pow(elapsed - k, 3) + 100 - 0.5) << elapsed;
    EXPECT_LE(segs(s.cwnd), cc::kCubicC * std::pow(elapsed + 0.1 - k, 3) + 100 + 0.5) << elapsed;
  }
  // Concave then convex: slow near W_max, faster beyond it.
  EXPECT_GT(s.cwnd, 100 * kMss);
}

// RFC 9438 4.3: with a short RTT, Reno's estimate outgrows the cubic curve
// and cwnd follows W_est, alpha = 3 (1 - beta) / (1 + beta) segments per
// RTT until W_est reaches the window before the loss.
TEST(Cc, CubicRenoFriendlyRegion) {
  CcState s = cubic_after_loss(20);  // W_max 20, cwnd 14 segments
  uint64_t now = 5'000'000;
  run(s, now, 1'000, 0.1);  // 100 RTTs of 1 ms: K = 2.47 s, the curve is near-flat
  const double w_cubic = cc::cubic_window(s.cubic, 0.1, kMss) / kMss;
  EXPECT_LT(w_cubic, 15);
  // 14 segments plus alpha = 0.529 per RTT until 20, then 1 per RTT.
  const double rtts_to_prior = (20.0 - 14.0) / cc::kCubicAlpha;
  const double want = 20 + (100 - rtts_to_prior);
  EXPECT_NEAR(segs(s.cwnd), want, 0.05 * want);
  EXPECT_NEAR(s.cubic.w_est / kMss, segs(s.cwnd), 1);
}

// RFC 9438 4.8: after a timeout, cwnd is one segment and ssthresh beta *
// cwnd; the first congestion-avoidance stage has K = 0 and W_max = the
// window it starts at, so it grows convexly at once.
TEST(Cc, CubicAfterTimeout) {
  CcState s;
  cc::init(s, CcKind::Cubic, kMss, Seq(1));
  s.ssthresh = s.cwnd = 100 * kMss;
  cc::on_rto(s, s.cwnd, kMss);
  EXPECT_EQ(s.cwnd, kMss);
  EXPECT_EQ(s.ssthresh, 70 * kMss);
  uint64_t now = 1'000'000;
  while (s.cwnd < s.ssthresh) cc::on_ack(s, kMss, kMss, now += 1000, 100'000);
  ASSERT_EQ(s.cwnd, 70 * kMss);
  // A 300 ms RTT: W_est (70 + 0.53 per RTT) stays under the curve.
  const uint64_t epoch = now + 1;
  run(s, now, 300'000, 3.0);
  EXPECT_EQ(s.cubic.k_s, 0.0f);
  EXPECT_EQ(s.cubic.w_max, 70 * kMss);
  const double elapsed = static_cast<double>(now - epoch) * 1e-6;
  // Between W_cubic(t) and W_cubic(t + RTT), the target of 4.4.
  EXPECT_GE(segs(s.cwnd), cc::kCubicC * std::pow(elapsed, 3) + 70 - 1);
  EXPECT_LE(segs(s.cwnd), cc::kCubicC * std::pow(elapsed + 0.3, 3) + 70 + 1);
  EXPECT_LT(s.cubic.w_est / kMss, segs(s.cwnd));
}

// RFC 9438 4.9 / RFC 4015: a spurious recovery restores the window, the
// threshold and W_max.
TEST(Cc, CubicUndoRestoresWmax) {
  CcState s = cubic_after_loss(100);
  uint64_t now = 1'000'000;
  run(s, now, 100'000, 10.0);
  const uint32_t before = s.cwnd;
  const uint32_t w_max = s.cubic.w_max;
  cc::on_congestion(s, s.cwnd, kMss);
  s.cwnd = s.ssthresh + 3 * kMss;
  cc::undo(s);
  EXPECT_EQ(s.cwnd, before);
  EXPECT_EQ(s.cubic.w_max, w_max);
  EXPECT_EQ(s.cubic.epoch_us, 0u);
}

// CUBIC gives up less on a loss and gets back sooner than NewReno: the
// point of it on long fat paths.
TEST(Cc, CubicRecoversFasterThanNewRenoOnALongPath) {
  CcState reno;
  cc::init(reno, CcKind::NewReno, kMss, Seq(1));
  reno.ssthresh = reno.cwnd = 1000 * kMss;
  cc::on_congestion(reno, reno.cwnd, kMss);
  reno.cwnd = reno.ssthresh;
  CcState cubic = cubic_after_loss(1000);
  uint64_t t1 = 1'000'000, t2 = 1'000'000;
  run(reno, t1, 100'000, 10.0);
  run(cubic, t2, 100'000, 10.0);
  EXPECT_NEAR(segs(reno.cwnd), 600, 2);  // 500 + one per RTT
  EXPECT_GT(segs(cubic.cwnd), 990);      // K = 9.1 s: back at W_max
}

// ------------------------------------------------------------ HyStart++ --
// RFC 9406 4.2, driven by a model sender: one ACK per segment, each ACK
// refilling the window (so data is always in flight), rounds delimited as
// the RFC does (a round ends when SND.UNA reaches windowEnd, the SND.NXT of
// the previous round's end), and an RTT sample on every ACK unless a test
// says otherwise.
constexpr uint32_t kMs = 1000;  // RTTs are in microseconds

struct HsLink {
  CcState s;
  Seq una{1}, nxt{1}, wend{1};
  int round = 0;  // rounds ended; round 0 is the first ACK alone

  explicit HsLink(CcKind k = CcKind::NewReno, bool hystart = true) {
    cc::init(s, k, kMss, Seq(1), hystart);
    nxt = una + s.cwnd;
  }
  // One ACK of one segment carrying `rtt` (kNoRtt: no sample); the sender
  // then fills the window. True if the ACK ended a round.
  bool ack(uint32_t rtt) {
    una += kMss;
    cc::on_ack(s, kMss, kMss, 1'000'000, 20 * kMs, rtt, una, nxt);
    const bool end = !(una < wend);
    if (end) {
      wend = nxt;
      ++round;
    }
    if (nxt < una + s.cwnd) nxt = una + s.cwnd;
    return end;
  }
  void finish_round(uint32_t rtt) {
    while (!ack(rtt)) {
    }
  }
  void rounds(int n, uint32_t rtt) {
    for (int i = 0; i < n; ++i) finish_round(rtt);
  }
  bool in_css() const { return s.hs_phase == HyStartPhase::Css; }
};

// Three rounds at `base`, then `n` ACKs at `rtt` in the fourth: true if
// they took the connection into CSS.
bool enters_css(uint32_t base, uint32_t rtt, int n = cc::kHsNRttSample) {
  HsLink l;
  l.rounds(3, base);
  for (int i = 0; i < n; ++i) l.ack(rtt);
  EXPECT_EQ(l.round, 3) << "the fourth round must not have ended";
  return l.in_css();
}

// A round whose minimum RTT rose by RttThresh (here the 4 ms floor: 20 ms
// / MIN_RTT_DIVISOR is only 2.5 ms) enters CSS; ssthresh stays untouched.
TEST(HyStart, RttIncreaseEntersCss) {
  HsLink l;
  l.rounds(3, 20 * kMs);
  EXPECT_EQ(l.s.hs_phase, HyStartPhase::SlowStart);
  for (int i = 0; i < cc::kHsNRttSample - 1; ++i) l.ack(24 * kMs);
  EXPECT_FALSE(l.in_css());
  // The deciding ACK still grows cwnd as slow start: its growth follows
  // the phase it arrived in (4.2 grows cwnd before it checks).
  const uint32_t before = l.s.cwnd;
  l.ack(24 * kMs);
  EXPECT_TRUE(l.in_css());
  EXPECT_EQ(l.s.cwnd - before, kMss);
  EXPECT_EQ(l.s.hs.css_baseline, 24 * kMs);
  EXPECT_GT(l.s.ssthresh, 1u << 30);
}

// Slow start on a flat (or only slightly noisy) RTT never ends by HyStart++:
// cwnd doubles every round.
TEST(HyStart, FlatRttNeverEntersCss) {
  HsLink l;
  l.finish_round(20 * kMs);
  for (int r = 0; r < 9; ++r) {
    const uint32_t before = l.s.cwnd;
    bool odd = false;
    while (!l.ack((odd = !odd) ? 20 * kMs : 23 * kMs)) {
    }
    EXPECT_EQ(l.s.hs_phase, HyStartPhase::SlowStart) << "round " << l.round;
    EXPECT_GE(l.s.cwnd, 2 * before - 2 * kMss) << "round " << l.round;
  }
  EXPECT_GT(l.s.cwnd, 2000 * kMss);
}

// N_RTT_SAMPLE: seven samples, however high, decide nothing; the eighth does.
TEST(HyStart, FewerThanEightSamplesNeverDecide) {
  EXPECT_FALSE(enters_css(20 * kMs, 40 * kMs, cc::kHsNRttSample - 1));
  EXPECT_TRUE(enters_css(20 * kMs, 40 * kMs, cc::kHsNRttSample));
  // ACKs without a sample do not count: a round of them decides nothing.
  HsLink l;
  l.rounds(3, 20 * kMs);
  for (int i = 0; i < 7; ++i) l.ack(40 * kMs);
  for (int i = 0; i < 20; ++i) l.ack(kNoRtt);
  EXPECT_FALSE(l.in_css());
}

// RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms).
TEST(HyStart, ThresholdIsClamped) {
  // 20 ms / 8 = 2.5 ms, raised to MIN_RTT_THRESH = 4 ms.
  EXPECT_FALSE(enters_css(20 * kMs, 24 * kMs - 1));
  EXPECT_TRUE(enters_css(20 * kMs, 24 * kMs));
  // 80 ms / 8 = 10 ms, inside the clamp.
  EXPECT_FALSE(enters_css(80 * kMs, 90 * kMs - 1));
  EXPECT_TRUE(enters_css(80 * kMs, 90 * kMs));
  // 200 ms / 8 = 25 ms, lowered to MAX_RTT_THRESH = 16 ms.
  EXPECT_FALSE(enters_css(200 * kMs, 216 * kMs - 1));
  EXPECT_TRUE(enters_css(200 * kMs, 216 * kMs));
}

// The comparison is against the previous round's minimum, not its average
// or last sample: one low sample in a round of high ones keeps it flat.
TEST(HyStart, UsesTheRoundMinimum) {
  HsLink l;
  l.rounds(3, 20 * kMs);
  l.ack(20 * kMs);
  for (int i = 0; i < 20; ++i) l.ack(30 * kMs);
  EXPECT_FALSE(l.in_css());
}

// In CSS cwnd grows by a quarter of what slow start would add (ABC: at most
// L = 2 SMSS per ACK, so half a segment).
TEST(HyStart, CssGrowthIsAQuarter) {
  HsLink l;
  l.rounds(3, 20 * kMs);
  for (int i = 0; i < cc::kHsNRttSample; ++i) l.ack(30 * kMs);
  ASSERT_TRUE(l.in_css());
  const uint32_t before = l.s.cwnd;
  l.ack(30 * kMs);
  EXPECT_EQ(l.s.cwnd - before, kMss / cc::kHsCssGrowthDivisor);
  const uint32_t before2 = l.s.cwnd;
  cc::on_ack(l.s, 4 * kMss, kMss, 1'000'000, 20 * kMs, 30 * kMs, l.una, l.nxt);
  EXPECT_EQ(l.s.cwnd - before2, 2 * kMss / cc::kHsCssGrowthDivisor);
}

// A CSS round whose minimum falls below the baseline (the rise was a blip)
// returns to slow start and its full growth.
TEST(HyStart, CssReturnsToSlowStartWhenTheRttFalls) {
  HsLink l;
  l.rounds(3, 20 * kMs);
  for (int i = 0; i < cc::kHsNRttSample; ++i) l.ack(30 * kMs);
  ASSERT_TRUE(l.in_css());
  l.finish_round(30 * kMs);
  for (int i = 0; i < cc::kHsNRttSample - 1; ++i) l.ack(29 * kMs);
  EXPECT_TRUE(l.in_css());  // seven samples: not yet
  l.ack(29 * kMs);
  EXPECT_EQ(l.s.hs_phase, HyStartPhase::SlowStart);
  const uint32_t before = l.s.cwnd;
  l.ack(29 * kMs);
  EXPECT_EQ(l.s.cwnd - before, kMss);
  // A CSS round at the baseline (not below it) stays in CSS.
  HsLink m;
  m.rounds(3, 20 * kMs);
  for (int i = 0; i < cc::kHsNRttSample; ++i) m.ack(30 * kMs);
  m.rounds(2, 30 * kMs);
  EXPECT_TRUE(m.in_css());
}

// CSS_ROUNDS rounds in CSS (the one it began in counts) end slow start:
// ssthresh = cwnd, congestion avoidance from there.
TEST(HyStart, CssRoundsThenCongestionAvoidance) {
  for (CcKind k : {CcKind::NewReno, CcKind::Cubic}) {
    HsLink l(k);
    l.rounds(3, 20 * kMs);
    for (int i = 0; i < cc::kHsNRttSample; ++i) l.ack(30 * kMs);
    ASSERT_TRUE(l.in_css());
    l.rounds(cc::kHsCssRounds - 1, 30 * kMs);  // the first, begun above, and three more
    EXPECT_TRUE(l.in_css()) << cc_name(k);
    EXPECT_GT(l.s.ssthresh, 1u << 30);
    l.finish_round(30 * kMs);
    EXPECT_EQ(l.s.hs_phase, HyStartPhase::Off) << cc_name(k);
    EXPECT_EQ(l.s.ssthresh, l.s.cwnd) << cc_name(k);
    // Congestion avoidance: a round adds about a segment, not a quarter
    // of the window.
    const uint32_t w = l.s.cwnd;
    l.finish_round(30 * kMs);
    EXPECT_LE(l.s.cwnd, w + 2 * kMss) << cc_name(k);
  }
}

// Loss in slow start or CSS ends HyStart++ (the algorithm's ssthresh as
// usual); the slow start after a timeout is plain slow start; hystart =
// false never enters CSS.
TEST(HyStart, LossEndsItAndItCanBeTurnedOff) {
  HsLink l;
  l.rounds(3, 20 * kMs);
  for (int i = 0; i < cc::kHsNRttSample; ++i) l.ack(30 * kMs);
  ASSERT_TRUE(l.in_css());
  const uint32_t flight = seq_dist(l.una, l.nxt);
  cc::on_congestion(l.s, flight, kMss);
  EXPECT_EQ(l.s.hs_phase, HyStartPhase::Off);
  EXPECT_EQ(l.s.ssthresh, flight / 2);
  HsLink r;
  r.rounds(3, 20 * kMs);
  cc::on_rto(r.s, seq_dist(r.una, r.nxt), kMss);
  EXPECT_EQ(r.s.hs_phase, HyStartPhase::Off);
  HsLink off(CcKind::Cubic, false);
  off.rounds(3, 20 * kMs);
  for (int i = 0; i < 50; ++i) off.ack(60 * kMs);
  EXPECT_EQ(off.s.hs_phase, HyStartPhase::Off);
  EXPECT_GT(off.s.ssthresh, 1u << 30);
}

}  // namespace
}  // namespace pmx::tcp
