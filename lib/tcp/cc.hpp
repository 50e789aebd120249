// Congestion control: the window policy, one unit per algorithm.
//
// NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438). The engine keeps the
// loss-recovery mechanics every algorithm shares (duplicate-ACK counting,
// RFC 6582's "recover" point, which hole to resend, Eifel detection of a
// spurious recovery) and calls these functions at the events; only they
// change cwnd and ssthresh, except the recovery-exit and inflation rules
// of RFC 6582 3.2 steps 3-4, which are the same for both. Dispatch is a
// switch on CcKind, a closed set: no virtual call and no allocation.
// HyStart++ (RFC 9406) ends the initial slow start of either algorithm
// when the round-trip time grows, before the queue overflows.
#pragma once

#include "seq.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace pmx::tcp {

enum class CcKind : uint8_t { NewReno, Cubic };

constexpr std::string_view cc_name(CcKind k) { return k == CcKind::Cubic ? "cubic" : "newreno"; }
// Inline: the option parsers (lib/gen/spec.cpp, lib/config) use it without
// linking the engine (the fuzz targets for them link only those files).
inline std::optional<CcKind> cc_from_name(std::string_view name) {
  if (name == "newreno") return CcKind::NewReno;
  if (name == "cubic") return CcKind::Cubic;
  return std::nullopt;
}

// RFC 9438 state. Windows in bytes; the formulas work in segments and
// seconds (C = 0.4 is defined so) and are converted at the edges.
struct CubicState {
  uint64_t epoch_us = 0;     // t_epoch: start of this congestion-avoidance stage; 0 = not begun
  uint32_t w_max = 0;        // W_max (4.6, after fast convergence 4.7)
  uint32_t cwnd_prior = 0;   // cwnd just before the last reduction (4.3's switch to alpha = 1)
  uint32_t prior_w_max = 0;  // W_max before the last reduction: restored by undo (4.9)
  float k_s = 0;             // K (Figure 2), seconds
  float w_est = 0;           // W_est (4.3), bytes
  float acc = 0;             // cwnd growth not yet a whole byte
  bool after_rto = false;    // 4.8: the next stage starts with K = 0, W_max = cwnd
};

// RFC 9406 4.2: where the initial slow start is. Off: HyStart++ disabled,
// or its slow start over (a congestion event, a timeout, or CSS_ROUNDS
// rounds of Conservative Slow Start ended it).
enum class HyStartPhase : uint8_t { Off, SlowStart, Css };

// RFC 9406 4.2 variables; RTTs in microseconds, kNoRtt for "infinity".
inline constexpr uint32_t kNoRtt = UINT32_MAX;
struct HyStartRound {
  Seq window_end;                  // windowEnd: the round ends when it is acknowledged
  uint32_t last_min = kNoRtt;      // lastRoundMinRTT
  uint32_t cur_min = kNoRtt;       // currentRoundMinRTT
  uint32_t css_baseline = kNoRtt;  // cssBaselineMinRtt
};

struct CcState {
  CcKind kind = CcKind::NewReno;
  HyStartPhase hs_phase = HyStartPhase::Off;  // in the padding after kind
  uint8_t hs_samples = 0;                     // rttSampleCount, saturating at N_RTT_SAMPLE
  uint8_t hs_css_rounds = 0;                  // rounds completed in CSS
  uint32_t cwnd = 0, ssthresh = 0;
  Seq recover;  // RFC 6582 "recover"
  uint16_t dupacks = 0;
  bool in_recovery = false;
  bool rto_slow_start = false;  // slow start after a timeout: L = 1 SMSS
  uint32_t bytes_acked = 0;     // RFC 5681 3.1 appropriate byte counting in CA (NewReno)
  // RFC 3522 / 4015 (Eifel): what to restore if the recovery was spurious.
  uint32_t prior_cwnd = 0, prior_ssthresh = 0;
  uint32_t rtx_tsval = 0;  // TSval of the fast retransmission
  bool undo_ok = false;
  // Lost-retransmission detection: the head was retransmitted at rtx_seq
  // when the highest byte sent was rtx_high.
  Seq rtx_seq, rtx_high;
  HyStartRound hs;
  CubicState cubic;
};

namespace cc {

// RFC 9438 constants (4.2, 4.3, 4.6).
inline constexpr double kCubicC = 0.4;
inline constexpr double kCubicBeta = 0.7;
inline constexpr double kCubicAlpha = 3.0 * (1.0 - kCubicBeta) / (1.0 + kCubicBeta);

// RFC 9406 4.3 constants (RTTs in microseconds).
inline constexpr uint32_t kHsMinRttThresh = 4000;
inline constexpr uint32_t kHsMaxRttThresh = 16000;
inline constexpr uint32_t kHsMinRttDivisor = 8;
inline constexpr uint8_t kHsNRttSample = 8;
inline constexpr uint32_t kHsCssGrowthDivisor = 4;
inline constexpr uint8_t kHsCssRounds = 5;

// A new connection: RFC 6928 initial window, ssthresh "arbitrarily high"
// (RFC 5681 3.1), recover = ISS (RFC 6582 3.2 step 1); HyStart++ for its
// initial slow start unless hystart is false, the first round ending at
// the first ACK.
void init(CcState& s, CcKind kind, uint32_t mss, Seq iss, bool hystart = true);

// RFC 9406 4.2, one ACK of the initial slow start or CSS: grows cwnd by
// inc (CSS: inc / CSS_GROWTH_DIVISOR), takes the ACK's RTT sample (kNoRtt:
// none), decides on entering or leaving CSS, and ends the round when
// snd_una reaches windowEnd (the next one ends at snd_nxt).
void hystart_ack(CcState& s, uint32_t inc, uint32_t rtt_us, Seq snd_una, Seq snd_nxt);

// Congestion avoidance, per algorithm (cwnd >= ssthresh).
void avoidance(CcState& s, uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us);

// New data acknowledged outside recovery: slow start below ssthresh, the
// same for every algorithm and inline; else the algorithm's congestion
// avoidance. now_us and srtt_us feed CUBIC's clock (srtt_us 0: no sample).
// Slow start counts bytes (RFC 3465) with L = 2 SMSS, so that a receiver's
// delayed ACKs (one per two segments) do not halve its growth; L = 1 SMSS
// in the slow start that follows a timeout (RFC 3465 2.3). RFC 5681 3.1
// asks for L = 1 (a SHOULD): docs/tcp.md lists this as a deviation.
// In the initial slow start HyStart++ takes the ACK's RTT sample (rtt_us,
// kNoRtt if it has none) and the round's edges (SND.UNA after the ACK,
// SND.NXT); the defaults (no sample) never let it decide anything.
inline void on_ack(CcState& s, uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us,
                   uint32_t rtt_us = kNoRtt, Seq snd_una = Seq(), Seq snd_nxt = Seq()) {
  if (s.cwnd < s.ssthresh) {
    const uint32_t limit = s.rto_slow_start ? mss : 2 * mss;
    const uint32_t inc = acked < limit ? acked : limit;
    if (s.hs_phase == HyStartPhase::Off)
      s.cwnd += inc;
    else
      hystart_ack(s, inc, rtt_us, snd_una, snd_nxt);
  } else {
    s.rto_slow_start = false;
    avoidance(s, acked, mss, now_us, srtt_us);
  }
}

// A congestion event (fast retransmit): remembers what undo() restores and
// sets ssthresh, NewReno to max(FlightSize / 2, 2 MSS) (RFC 5681 (4)),
// CUBIC to max(cwnd * beta, 2 MSS) (RFC 9438 4.6) with W_max per 4.7. The
// engine then sets cwnd for fast recovery.
void on_congestion(CcState& s, uint32_t flight, uint32_t mss);

// The retransmission timer fired: ssthresh as on a congestion event (but
// no undo), cwnd one segment (RFC 5681 (4) and 3.1; RFC 9438 4.8).
void on_rto(CcState& s, uint32_t flight, uint32_t mss);

// The recovery was spurious (RFC 4015): restore cwnd, ssthresh and, for
// CUBIC, W_max (RFC 9438 4.9); the next stage recomputes K.
void undo(CcState& s);

// CUBIC's window after t seconds of the stage, in bytes (Figure 1).
double cubic_window(const CubicState& q, double t_s, uint32_t mss);

}  // namespace cc
}  // namespace pmx::tcp
