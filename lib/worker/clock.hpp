// The two clocks where the worker loop meets the engine and the control
// plane. Tsc: TSC ticks (rte_rdtsc(), which rte_get_timer_cycles() is without
// HPET), Shared::hz per second: the loop's own accounting, neighbour aging
// and announcements, the control plane's deadlines and run times. The TCP
// engine and the generator count microseconds since the worker started in
// a plain uint64_t; Worker::usec(Tsc) is the one conversion. Tsc is a type
// of its own so that a tick count cannot reach a microsecond parameter (or
// the reverse) without that conversion; the engine's internals stay
// uint64_t.
#pragma once

#include <compare>
#include <cstdint>

namespace pmx::worker {

struct Tsc {
  uint64_t v = 0;

  friend constexpr auto operator<=>(Tsc, Tsc) = default;
  // A point `ticks` later.
  friend constexpr Tsc operator+(Tsc t, uint64_t ticks) { return Tsc{t.v + ticks}; }
  // Ticks from b to a (a not before b).
  friend constexpr uint64_t operator-(Tsc a, Tsc b) { return a.v - b.v; }
};

}  // namespace pmx::worker
