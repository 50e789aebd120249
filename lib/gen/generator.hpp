// One core's share of a generator run. A run is one group (`gen start`) or
// several running at once (a scenario's client groups). The control plane
// builds a RunPlan per group (the spec, the port, each worker's source
// tuples, the schedule) and hands every worker a RunSet pointing to them;
// each worker's Generator then opens its share of each group's connections
// from its own tuple pool, paced by its share of the group's (ramped)
// rate, and the client service (client.cpp, through the engine's stream
// API) runs them, group g's connections with group g's ClientConfig and
// ClientStats (Engine::set_client(g, ...)). The Generator lives on its
// worker's core: nothing in it is shared but the published state words and
// the statistics the control plane reads without locks.
#pragma once

#include "client.hpp"
#include "pacer.hpp"
#include "port/src_steer.hpp"
#include "port/steer.hpp"
#include "spec.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"

#include <array>
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
  // The schedule (a scenario's group; `gen start` leaves the defaults).
  // spec.conns caps the connections open at once; count is the total to
  // open (0: spec.conns when the run has no duration, else no total); the
  // opening phase ends at whichever of count and spec.duration_s comes first.
  uint64_t count = 0;
  uint32_t think_ms = 0;                      // between a response and the next request
  uint64_t start_us = 0;                      // the group begins this long after the run starts
  uint64_t ramp_up_us = 0, ramp_down_us = 0;  // Pacer's ramps of spec.rate

  uint64_t total() const { return count ? count : spec.duration_s ? 0 : spec.conns; }
};

// The groups of one run, started together by one message (the control
// plane keeps it and its plans alive as a RunPlan's). Group g runs plans[g].
struct RunSet {
  std::array<const RunPlan*, tcp::kMaxClientGroups> plans{};
  uint8_t n = 0;
};

enum class RunState : uint8_t { Idle, Running, Draining, Done };

class Generator {
 public:
  // How long a group may go without progress (no connection finished, no
  // response, no byte sent or read) before its connections still open are
  // given up on (timeout errors): a server that accepts and never answers
  // must not hold a run for ever.
  static constexpr uint64_t kStallUs = 30'000'000;
  // After a timed group's end, open connections get this long to finish
  // their request before they are stopped.
  static constexpr uint64_t kGraceUs = 10'000'000;
  static constexpr unsigned kMaxOpensPerTick = 64;
  static constexpr unsigned kTupleTries = 16;
  // At most this many connections open one at a time at the start of a
  // group (the first from each source address).
  static constexpr uint32_t kWarmConns = 64;

  Generator(tcp::Engine& engine, stats::Counters& ctr, unsigned index, unsigned nworkers);

  // Owner core only.
  void start(const RunSet* set, uint64_t now);
  void start(const RunPlan* plan, uint64_t now);  // a run of one group
  void stop();                                    // gen stop: resets this core's client connections
  void tick(uint64_t now);

  // Any thread. The run is Done when every group is, Draining when none
  // still opens, else Running.
  RunState state() const;
  RunState state(uint8_t g) const { return g_[g].state.load(std::memory_order_acquire); }
  // rte_get_timer_cycles() when this core's share of group g ended (valid
  // once Done); end_tsc(): the last group's.
  uint64_t end_tsc(uint8_t g) const { return g_[g].end_tsc.load(std::memory_order_relaxed); }
  uint64_t end_tsc() const;
  const ClientStats& stats(uint8_t g = 0) const { return g_[g].st; }
  // Segments group g's connections sent again (relaxed read).
  uint64_t retransmits(uint8_t g) const { return g_[g].cfg.retransmits_now(); }
  // Owner core only: the worker whose pool of the current plan holds k's
  // source tuple (its active open), or port::kNoQueue when k is not a tuple
  // of any group's plan (another port, address or port range; no plan;
  // steering that cannot be predicted, where the run has one worker).
  uint16_t owner(const flow::FlowKey& k) const;

 private:
  enum class Open : uint8_t { Ok, Busy, Failed };  // Busy: no free tuple; Failed: counted
  // One group's state on this core.
  struct Group {
    const RunPlan* plan = nullptr;
    const std::vector<port::SrcTuple>* pool = nullptr;  // null: plan->steer
    port::SrcSteer::Cursor scur{};
    ClientConfig cfg;
    ClientStats st;
    uint8_t index = 0;
    uint32_t cap = 0;    // this core's share of spec.conns (open at once)
    uint64_t share = 0;  // this core's share of the total (0: no total)
    Pacer pace;
    uint64_t opened = 0;    // connections started (attempted) this run
    uint64_t begin = 0;     // us: the group's start (run start + start_us)
    uint64_t deadline = 0;  // us: end of a timed group's opening phase; 0: none
    uint64_t progress_at = 0;
    uint64_t progress_seen = 0;
    size_t cursor = 0;
    uint64_t busy_since = 0;         // every tuple tried was busy since then; 0: tuples were free
    uint32_t warm_left = 0;          // connections still to open one at a time
    uint32_t last_idx = UINT32_MAX;  // pool index of the last connection opened
    bool warm_wait = false;          // that one opened alone: wait until connected or failed
    std::atomic<RunState> state{RunState::Idle};
    std::atomic<uint64_t> end_tsc{0};
  };
  void start_group(Group& g, const RunPlan* plan, uint64_t now);
  void tick_group(Group& g, uint64_t now);
  void open_some(Group& g, uint64_t now);
  Open open_one(Group& g, uint64_t now);
  flow::FlowKey next_key(Group& g);
  void finish(Group& g);
  uint64_t progress(const Group& g) const;
  static void set_state(Group& g, RunState s) { g.state.store(s, std::memory_order_release); }

  tcp::Engine& engine_;
  stats::Counters& ctr_;
  const unsigned index_, nworkers_;
  RunSet own_{};   // start(const RunPlan*)'s set
  uint8_t n_ = 0;  // groups of the current run
  std::array<Group, tcp::kMaxClientGroups> g_;
};

}  // namespace pmx::gen
