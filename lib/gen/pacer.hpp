// Connection pacing for a generator group: a rate per second, ramped
// linearly up from 0 over the first ramp_up microseconds and down to 0 over
// the last ramp_down of the group's duration (TRex ASTF's and WARP17's
// ramps; scenario keys rate, ramp_up, ramp_down). Credits accrue per
// microsecond at the rate of the moment; at most 10 ms' worth (at least
// one connection) is banked, so a core that was busy does not burst.
// Header-only and pure: the generator calls it once per loop turn, a unit
// test on a manual clock checks the schedule.
#pragma once

#include <algorithm>
#include <cstdint>

namespace pmx::gen {

struct Ramp {
  uint64_t up_us = 0;    // 0: full rate from the start
  uint64_t down_us = 0;  // 0: full rate to the end
  uint64_t dur_us = 0;   // the opening phase's length; 0: no end (no ramp down)
};

// The fraction of the full rate at t microseconds into the group, in [0, 1].
inline double ramp_factor(const Ramp& r, uint64_t t) {
  double f = 1.0;
  if (r.up_us && t < r.up_us) f = static_cast<double>(t) / static_cast<double>(r.up_us);
  if (r.down_us && r.dur_us) {
    const uint64_t left = t < r.dur_us ? r.dur_us - t : 0;
    if (left < r.down_us)
      f = std::min(f, static_cast<double>(left) / static_cast<double>(r.down_us));
  }
  return f;
}

class Pacer {
 public:
  // rate: connections per second at full rate (0: unlimited); begin: when
  // the group starts (the ramp's time zero).
  void start(uint64_t rate, const Ramp& r, uint64_t begin) {
    rate_ = rate;
    ramp_ = r;
    begin_ = last_ = begin;
    credit_ = 0;
  }
  // Connections that may open now, at most max; call take() for each.
  unsigned allow(uint64_t now, unsigned max) {
    if (!rate_) return last_ = now, max;
    if (now <= last_) return static_cast<unsigned>(std::min<uint64_t>(max, credit_ / kOne));
    // The rate at the middle of the step (exact for the linear ramps).
    const uint64_t mid = (last_ + now) / 2;
    const double f = ramp_factor(ramp_, mid > begin_ ? mid - begin_ : 0);
    const double per_us = static_cast<double>(rate_) * f;  // credits (1e-6 connection) per us
    const uint64_t cap = std::max<uint64_t>(static_cast<uint64_t>(per_us * 10000), kOne);
    credit_ = std::min<uint64_t>(
        cap, credit_ + static_cast<uint64_t>(static_cast<double>(now - last_) * per_us));
    last_ = now;
    return static_cast<unsigned>(std::min<uint64_t>(max, credit_ / kOne));
  }
  void take() {
    if (rate_ && credit_ >= kOne) credit_ -= kOne;
  }
  // Waiting (warm-up): time passes without banking credit.
  void hold(uint64_t now) { last_ = now; }

 private:
  static constexpr uint64_t kOne = 1000000;  // one connection, in credits
  uint64_t rate_ = 0;
  Ramp ramp_;
  uint64_t begin_ = 0, last_ = 0;
  uint64_t credit_ = 0;
};

}  // namespace pmx::gen
