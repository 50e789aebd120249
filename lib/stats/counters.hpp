// Per-lcore data-path counters: plain 64-bit words, each written only by the
// lcore that owns it (no atomic read-modify-write), read by the control plane
// with relaxed loads and summed. x86-64 loads and stores of aligned 64-bit
// words are single-copy atomic, and std::atomic_ref makes that explicit.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pmx::stats {

enum class Ctr : uint16_t {
#define PMX_COUNT(n, h) n,
#define PMX_DROP(n, h) n,
#include "counters.def"
#undef PMX_COUNT
#undef PMX_DROP
};

inline constexpr size_t kNumCounters = 0
#define PMX_COUNT(n, h) +1
#define PMX_DROP(n, h) +1
#include "counters.def"
#undef PMX_COUNT
#undef PMX_DROP
    ;

struct CounterInfo {
  std::string_view name;
  std::string_view help;
  bool drop;
};

inline constexpr std::array<CounterInfo, kNumCounters> kCounterInfo{{
#define PMX_COUNT(n, h) {#n, h, false},
#define PMX_DROP(n, h) {#n, h, true},
#include "counters.def"
#undef PMX_COUNT
#undef PMX_DROP
}};

// One lcore's counters. Cache-line aligned so two lcores never share a line.
struct alignas(64) Counters {
  std::array<uint64_t, kNumCounters> v{};

  // Owner only. A relaxed load + store, not a locked RMW: nobody else writes.
  void inc(Ctr c, uint64_t by = 1) {
    std::atomic_ref<uint64_t> r(v[static_cast<size_t>(c)]);
    r.store(r.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  // Owner only: for gauges (tcp_curr_estab).
  void set(Ctr c, uint64_t val) {
    std::atomic_ref<uint64_t>(v[static_cast<size_t>(c)]).store(val, std::memory_order_relaxed);
  }
  // Any thread.
  uint64_t get(Ctr c) const { return load(static_cast<size_t>(c)); }
  uint64_t load(size_t i) const {
    std::atomic_ref<uint64_t> r(const_cast<uint64_t&>(v[i]));
    return r.load(std::memory_order_relaxed);
  }

  // Counters the exporter splits by address family (a `family` label,
  // docs/metrics.md): their IPv6 share is kept apart in v6, the IPv4 share
  // is the total less it. Every increment of these goes through inc_family().
  static constexpr Ctr kByFamily[] = {Ctr::tcp_passive_opens, Ctr::tcp_active_opens};
  std::array<uint64_t, kNumCounters> v6{};

  // Owner only: c, and its IPv6 share when is_v6.
  void inc_family(Ctr c, bool is_v6) {
    inc(c);
    if (is_v6) bump(v6[static_cast<size_t>(c)], 1);
  }
  // Any thread: the family's share of c (0: IPv4, 1: IPv6).
  uint64_t get(Ctr c, bool is_v6) const {
    const uint64_t six =
        std::atomic_ref<uint64_t>(const_cast<uint64_t&>(v6[static_cast<size_t>(c)]))
            .load(std::memory_order_relaxed);
    return is_v6 ? six : get(c) - six;
  }

  // Connections per address family (0: IPv4, 1: IPv6) and TCP state
  // (index = tcp::State), a gauge per lcore for the exporter: the engine
  // reports every transition with move_state(). Index 0 is
  // tcp::State::Closed, "no connection", and is not counted.
  static constexpr size_t kStates = 16;
  std::array<std::array<uint64_t, kStates>, 2> states{};

  // Owner only, like inc().
  void move_state(size_t from, size_t to, bool is_v6) {
    if (from == to) return;
    auto& st = states[is_v6];
    if (from != 0) bump(st[from], -1);
    if (to != 0) bump(st[to], +1);
  }
  // Per interface (the flow key's port_id is an interface index: a port's
  // untagged interface has the port's id, VLAN interfaces follow;
  // worker::Shared::ifaces): RFC 4022's open, fail and reset counts and the
  // CurrEstab gauge of the connections on it, so a generator on one
  // interface and listeners on another in one process read side by side
  // (show tcp stats, "Per interface"), and the frames each received and
  // sent (show interfaces; portmux_interface_*_frames_total). Interfaces
  // from kIfaces on are not split (they are in the totals only).
  enum PortCtr : size_t {
    kPortActiveOpens,
    kPortPassiveOpens,
    kPortEstablished,  // handshakes completed: SYN_SENT/SYN_RECV -> ESTABLISHED
    kPortAttemptFails,
    kPortEstabResets,
    kPortCurrEstab,  // a gauge
    kIfaceRxFrames,  // frames of this interface after untagging (before any layer 3 check)
    kIfaceTxFrames,  // frames handed to the port for it (tagged if a VLAN)
    kPortCtrs
  };
  static constexpr size_t kIfaces = 16;
  std::array<std::array<uint64_t, kPortCtrs>, kIfaces> port{};

  // Owner only, like inc(); by -1 for the gauge.
  void inc_port(uint16_t iface, PortCtr c, int64_t by = 1) {
    if (iface < kIfaces) bump(port[iface][c], by);
  }
  void inc_iface(uint16_t iface, PortCtr c) { inc_port(iface, c); }
  // Any thread.
  uint64_t get_port(uint16_t iface, PortCtr c) const {
    return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(port[iface][c]))
        .load(std::memory_order_relaxed);
  }

  // Any thread: one family's count, or both families'.
  uint64_t in_state(size_t s, bool is_v6) const {
    return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(states[is_v6][s]))
        .load(std::memory_order_relaxed);
  }
  uint64_t in_state(size_t s) const { return in_state(s, false) + in_state(s, true); }

 private:
  static void bump(uint64_t& w, int64_t by) {
    std::atomic_ref<uint64_t> r(w);
    r.store(r.load(std::memory_order_relaxed) + static_cast<uint64_t>(by),
            std::memory_order_relaxed);
  }
};

// Index of a counter by name, or kNumCounters if there is none.
size_t counter_index(std::string_view name);

}  // namespace pmx::stats
