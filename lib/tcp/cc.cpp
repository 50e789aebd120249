// Congestion control: NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438),
// HyStart++ (RFC 9406) for the initial slow start of both.
#include "cc.hpp"

#include <algorithm>
#include <cmath>

namespace pmx::tcp {

namespace cc {
namespace {

// RFC 5681 3.1: one segment per cwnd of data acknowledged.
void reno_avoidance(CcState& s, uint32_t acked, uint32_t mss) {
  s.bytes_acked += acked;
  if (s.bytes_acked >= s.cwnd) {
    s.bytes_acked -= s.cwnd;
    s.cwnd += mss;
  }
}

// RFC 9438 4.2: a congestion-avoidance stage begins at its first ACK.
// After a timeout (4.8) K = 0 and W_max is the window the stage starts at.
void cubic_begin(CcState& s, uint32_t mss, uint64_t now_us) {
  CubicState& q = s.cubic;
  q.epoch_us = now_us ? now_us : 1;
  if (q.after_rto || q.w_max == 0) {
    q.w_max = s.cwnd;
    q.after_rto = false;
  }
  // Figure 2, cwnd_epoch = cwnd; a negative K (cwnd above W_max after an
  // undo) starts the curve in its convex part, as the formula says.
  q.k_s = static_cast<float>(std::cbrt((static_cast<double>(q.w_max) - s.cwnd) / mss / kCubicC));
  q.w_est = static_cast<float>(s.cwnd);  // 4.3: W_est = cwnd_epoch
  q.acc = 0;
  if (q.cwnd_prior == 0) q.cwnd_prior = q.w_max;
}

// RFC 9438 4.3-4.5, per ACK of `acked` new bytes in congestion avoidance.
void cubic_avoidance(CcState& s, uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us) {
  CubicState& q = s.cubic;
  if (q.epoch_us == 0) cubic_begin(s, mss, now_us);
  const double cwnd = s.cwnd;
  // 4.3: W_est grows by alpha segments per window acknowledged, alpha
  // becoming 1 once W_est has reached the window before the reduction.
  const double alpha = q.w_est >= q.cwnd_prior ? 1.0 : kCubicAlpha;
  q.w_est += static_cast<float>(alpha * acked * mss / cwnd);
  const double t = static_cast<double>(now_us - q.epoch_us) * 1e-6;
  if (cubic_window(q, t, mss) < q.w_est) {
    // 4.3 Reno-friendly region: cwnd = W_est.
    if (q.w_est > cwnd) s.cwnd = static_cast<uint32_t>(q.w_est);
    return;
  }
  // 4.4 / 4.5: aim at W_cubic one RTT ahead, clamped to [cwnd, 1.5 cwnd],
  // and close (target - cwnd) / cwnd of the gap per segment acknowledged.
  const double target = std::clamp(cubic_window(q, t + srtt_us * 1e-6, mss), cwnd, 1.5 * cwnd);
  q.acc += static_cast<float>((target - cwnd) * acked / cwnd);
  if (q.acc >= 1.0f) {
    const auto whole = static_cast<uint32_t>(q.acc);
    s.cwnd += whole;
    q.acc -= static_cast<float>(whole);
  }
}

uint32_t cubic_ssthresh(const CcState& s, uint32_t mss) {
  return std::max<uint32_t>(static_cast<uint32_t>(s.cwnd * kCubicBeta), 2u * mss);
}

// RFC 9438 4.6 / 4.7: W_max is the window at the event, less when the
// event came before the previous W_max was reached (fast convergence).
void cubic_reduce(CcState& s) {
  CubicState& q = s.cubic;
  q.prior_w_max = q.w_max;
  q.cwnd_prior = s.cwnd;
  q.w_max = s.cwnd < q.w_max ? static_cast<uint32_t>(s.cwnd * (1.0 + kCubicBeta) / 2.0) : s.cwnd;
  q.epoch_us = 0;
}

}  // namespace

double cubic_window(const CubicState& q, double t_s, uint32_t mss) {
  const double d = t_s - q.k_s;
  return (kCubicC * d * d * d) * mss + q.w_max;
}

void init(CcState& s, CcKind kind, uint32_t mss, Seq iss, bool hystart) {
  s = CcState{};
  s.kind = kind;
  s.hs_phase = hystart ? HyStartPhase::SlowStart : HyStartPhase::Off;
  s.hs.window_end = iss;
  s.cwnd = std::min<uint32_t>(10u * mss, std::max<uint32_t>(2u * mss, 14600));
  s.ssthresh = UINT32_MAX / 2;
  // Left at 0, RFC 6582's step 2 test (SND.UNA - 1 >= recover) fails for
  // every ISS in the upper half of the sequence space, and such
  // connections never fast-retransmit.
  s.recover = iss;
}

void hystart_ack(CcState& s, uint32_t inc, uint32_t rtt_us, Seq snd_una, Seq snd_nxt) {
  HyStartRound& h = s.hs;
  // 4.2: the growth of this ACK follows the phase it arrived in.
  s.cwnd += s.hs_phase == HyStartPhase::Css ? inc / kHsCssGrowthDivisor : inc;
  if (rtt_us != kNoRtt) {
    h.cur_min = std::min(h.cur_min, rtt_us);
    if (s.hs_samples < kHsNRttSample) ++s.hs_samples;
  }
  // Decisions need N_RTT_SAMPLE samples in this round (and, to leave slow
  // start, a previous round with a minimum to compare against).
  if (s.hs_samples >= kHsNRttSample) {
    if (s.hs_phase == HyStartPhase::SlowStart) {
      if (h.last_min != kNoRtt) {
        // RttThresh = clamp(lastRoundMinRTT / MIN_RTT_DIVISOR, MIN, MAX).
        const uint32_t thresh =
            std::clamp(h.last_min / kHsMinRttDivisor, kHsMinRttThresh, kHsMaxRttThresh);
        if (h.cur_min >= h.last_min + thresh) {
          s.hs_phase = HyStartPhase::Css;
          s.hs_css_rounds = 0;
          h.css_baseline = h.cur_min;
        }
      }
    } else if (h.cur_min < h.css_baseline) {
      // The RTT increase was spurious: back to slow start.
      s.hs_phase = HyStartPhase::SlowStart;
      h.css_baseline = kNoRtt;
    }
  }
  if (snd_una < h.window_end) return;
  // The round is over: CSS_ROUNDS of them in CSS end slow start.
  if (s.hs_phase == HyStartPhase::Css && ++s.hs_css_rounds >= kHsCssRounds) {
    s.ssthresh = s.cwnd;
    s.hs_phase = HyStartPhase::Off;
    return;
  }
  h.last_min = h.cur_min;
  h.cur_min = kNoRtt;
  s.hs_samples = 0;
  h.window_end = snd_nxt;
}

void avoidance(CcState& s, uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us) {
  if (s.kind == CcKind::Cubic)
    cubic_avoidance(s, acked, mss, now_us, srtt_us);
  else
    reno_avoidance(s, acked, mss);
}

// RFC 9406 4.2: a loss in slow start or CSS ends HyStart++; the
// algorithm sets ssthresh as for any congestion event.
void on_congestion(CcState& s, uint32_t flight, uint32_t mss) {
  s.rto_slow_start = false;
  s.hs_phase = HyStartPhase::Off;
  s.prior_cwnd = s.cwnd;
  s.prior_ssthresh = s.ssthresh;
  if (s.kind == CcKind::Cubic) {
    s.ssthresh = cubic_ssthresh(s, mss);
    cubic_reduce(s);
  } else {
    s.ssthresh = std::max<uint32_t>(flight / 2, 2u * mss);
  }
  s.bytes_acked = 0;
}

void on_rto(CcState& s, uint32_t flight, uint32_t mss) {
  s.hs_phase = HyStartPhase::Off;  // HyStart++ is for the initial slow start only
  if (s.kind == CcKind::Cubic) {
    s.ssthresh = cubic_ssthresh(s, mss);
    cubic_reduce(s);
    s.cubic.after_rto = true;
  } else {
    s.ssthresh = std::max<uint32_t>(flight / 2, 2u * mss);
  }
  s.cwnd = mss;
  s.rto_slow_start = true;
  s.bytes_acked = 0;
}

void undo(CcState& s) {
  s.cwnd = std::max(s.cwnd, s.prior_cwnd);
  s.ssthresh = std::max(s.ssthresh, s.prior_ssthresh);
  if (s.kind == CcKind::Cubic) {
    s.cubic.w_max = s.cubic.prior_w_max;
    s.cubic.epoch_us = 0;
  }
}

}  // namespace cc
}  // namespace pmx::tcp
