// One core's share of a generator run. The control plane builds a RunPlan
// (the spec, the port, each worker's source tuples) and hands every worker a
// pointer to it; each worker's Generator then opens its share of the
// connections from its own tuple pool, paced by its share of the rate, and
// the client service (client.cpp, through the engine's stream API) runs them. The Generator
// lives on its worker's core: nothing in it is shared but the published
// state word and the statistics the control plane reads without locks.
#pragma once

#include "client.hpp"
#include "port/src_steer.hpp"
#include "port/steer.hpp"
#include "spec.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"

#include <atomic>
#include <cstdint>
#include <vector>

namespace pmx::gen {

// Immutable once workers have it; the control plane keeps it alive until
// every worker has acknowledged the next run's start (or shutdown).
struct RunPlan {
  GenSpec spec;
  uint16_t port_id = 0;  // the interface index (worker::Shared::ifaces): the flow keys' port_id
  port::RssInfo rss;
  uint16_t port_lo = 49152, port_hi = 65535;  // the ephemeral range
  // The source tuples: the range walk of steer (GenControl's plans, any
  // range up to 2^20 addresses, no per-address memory) or, when pools is
  // not empty, these explicit per-worker lists (build_tuple_pools(), and
  // unit tests that hand-pick tuples).
  port::SrcSteer steer;
  std::vector<std::vector<port::SrcTuple>> pools;  // per worker index
  uint32_t src_lo = 0, src_hi = 0;                 // host order, the source addresses
  // IPv6 runs (spec.v6), with pools: the addresses, a range FIRST..LAST in
  // order (equal high 64 bits, GenSpec); a v6 SrcTuple's ip indexes it.
  std::vector<net::Ipv6Addr> src6;
  // IPv6 runs with steer: the first address; address k is src6_lo + k.
  net::Ipv6Addr src6_lo{};
};

enum class RunState : uint8_t { Idle, Running, Draining, Done };

class Generator {
 public:
  // How long a run may go without progress (no connection finished, no
  // response, no byte sent or read) before the connections still open are
  // given up on (timeout errors): a server that accepts and never answers
  // must not hold a run for ever.
  static constexpr uint64_t kStallUs = 30'000'000;
  // After a timed run's end, open connections get this long to finish
  // their request before they are stopped.
  static constexpr uint64_t kGraceUs = 10'000'000;
  static constexpr unsigned kMaxOpensPerTick = 64;
  static constexpr unsigned kTupleTries = 16;
  // At most this many connections open one at a time at the start of a run
  // (the first from each source address).
  static constexpr uint32_t kWarmConns = 64;

  Generator(tcp::Engine& engine, stats::Counters& ctr, unsigned index, unsigned nworkers);

  // Owner core only.
  void start(const RunPlan* plan, uint64_t now);
  void stop();  // gen stop: resets this core's client connections
  void tick(uint64_t now);

  // Any thread.
  RunState state() const { return state_.load(std::memory_order_acquire); }
  // rte_get_timer_cycles() when this core's share ended (valid once Done).
  uint64_t end_tsc() const { return end_tsc_.load(std::memory_order_relaxed); }
  const ClientStats& stats() const { return st_; }
  // Owner core only: the worker whose pool of the current plan holds k's
  // source tuple (its active open), or port::kNoQueue when k is not a tuple
  // of the plan (another port, address or port range; no plan; steering
  // that cannot be predicted, where the run has one worker).
  uint16_t owner(const flow::FlowKey& k) const;

 private:
  enum class Open : uint8_t { Ok, Busy, Failed };  // Busy: no free tuple; Failed: counted
  void open_some(uint64_t now);
  Open open_one(uint64_t now);
  flow::FlowKey next_key();
  void finish();
  void set_state(RunState s) { state_.store(s, std::memory_order_release); }

  tcp::Engine& engine_;
  stats::Counters& ctr_;
  const unsigned index_, nworkers_;
  const RunPlan* plan_ = nullptr;
  const std::vector<port::SrcTuple>* pool_ = nullptr;  // null: plan_->steer
  port::SrcSteer::Cursor scur_{};
  ClientConfig cfg_;
  ClientStats st_;
  uint32_t share_ = 0;     // connections: total (count mode) or concurrent (timed)
  uint64_t rate_ = 0;      // connections per second; 0: unlimited
  uint64_t opened_ = 0;    // connections started (attempted) this run
  uint64_t credit_ = 0;    // pacing: connection credits * 1e6
  uint64_t last_ = 0;      // pacing: last tick
  uint64_t deadline_ = 0;  // timed run: end of the opening phase; 0: count mode
  uint64_t progress_at_ = 0;
  uint64_t progress_seen_ = 0;
  size_t cursor_ = 0;
  uint64_t busy_since_ = 0;         // every tuple tried was busy since then; 0: tuples were free
  uint32_t warm_left_ = 0;          // connections still to open one at a time
  uint32_t last_idx_ = UINT32_MAX;  // pool index of the last connection opened
  bool warm_wait_ = false;          // that one opened alone: wait until it is connected or failed
  std::atomic<RunState> state_{RunState::Idle};
  std::atomic<uint64_t> end_tsc_{0};
};

}  // namespace pmx::gen
