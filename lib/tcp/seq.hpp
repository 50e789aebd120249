// TCP sequence numbers: modulo-2^32 arithmetic, compared by the sign of the
// difference (RFC 9293 3.4). Two numbers more than 2^31 apart have no order;
// the engine never keeps such pairs (windows are < 2^30).
#pragma once

#include <cstdint>

namespace pmx::tcp {

struct Seq {
  uint32_t v = 0;

  constexpr Seq() = default;
  constexpr explicit Seq(uint32_t x) : v(x) {}

  friend constexpr Seq operator+(Seq a, uint32_t n) { return Seq(a.v + n); }
  friend constexpr Seq operator-(Seq a, uint32_t n) { return Seq(a.v - n); }
  Seq& operator+=(uint32_t n) {
    v += n;
    return *this;
  }
  // Signed distance a - b.
  friend constexpr int32_t operator-(Seq a, Seq b) { return static_cast<int32_t>(a.v - b.v); }
  friend constexpr bool operator==(Seq a, Seq b) { return a.v == b.v; }
  friend constexpr bool operator<(Seq a, Seq b) { return (a - b) < 0; }
  friend constexpr bool operator<=(Seq a, Seq b) { return (a - b) <= 0; }
  friend constexpr bool operator>(Seq a, Seq b) { return (a - b) > 0; }
  friend constexpr bool operator>=(Seq a, Seq b) { return (a - b) >= 0; }
};

constexpr Seq seq_max(Seq a, Seq b) { return a < b ? b : a; }
constexpr Seq seq_min(Seq a, Seq b) { return a < b ? a : b; }
// Unsigned distance from a forward to b (b >= a).
constexpr uint32_t seq_dist(Seq a, Seq b) { return b.v - a.v; }

}  // namespace pmx::tcp
