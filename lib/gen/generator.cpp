#include "generator.hpp"

#include "net/addr.hpp"
#include "tcp/segment.hpp"

#include <rte_byteorder.h>
#include <rte_cycles.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace pmx::gen {

using stats::Ctr;

namespace {
// Worker i's share of a total n: n / W, the first n % W workers one more.
uint64_t share_of(uint64_t n, unsigned i, unsigned w) { return n / w + (i < n % w ? 1 : 0); }

ClientMode client_mode(Mode m) {
  switch (m) {
    case Mode::Http:
      return ClientMode::Http;
    case Mode::Echo:
      return ClientMode::Echo;
    case Mode::Stream:
      return ClientMode::Stream;
    case Mode::Raw:
      break;
  }
  return ClientMode::Raw;
}
}  // namespace

Generator::Generator(tcp::Engine& engine, stats::Counters& ctr, unsigned index, unsigned nworkers)
    : engine_(engine), ctr_(ctr), index_(index), nworkers_(nworkers) {
  for (uint8_t i = 0; i < g_.size(); ++i) g_[i].index = i;
}

void Generator::start(const RunPlan* plan, uint64_t now) {
  own_ = RunSet{};
  own_.plans[0] = plan;
  own_.n = 1;
  start(&own_, now);
}

void Generator::start(const RunSet* set, uint64_t now) {
  // A new run replaces the previous one's configuration: its connections
  // still open are stopped first (their config pointers must stay valid).
  engine_.abort_clients(tcp::CloseReason::Local);
  for (uint8_t i = n_; i-- > 0;) {
    set_state(g_[i], RunState::Idle);
    engine_.set_client(i, nullptr, nullptr);
  }
  n_ = set->n;
  for (uint8_t i = 0; i < n_; ++i) start_group(g_[i], set->plans[i], now);
}

void Generator::start_group(Group& g, const RunPlan* plan, uint64_t now) {
  g.plan = plan;
  g.pool = plan->pools.empty() ? nullptr : &plan->pools[index_];
  g.scur = plan->steer.begin();
  const GenSpec& s = plan->spec;
  g.cfg = ClientConfig{};
  g.cfg.mode = client_mode(s.mode);
  g.cfg.reqs = s.reqs;
  g.cfg.req_size = s.req_size;
  g.cfg.resp_size = s.resp_size;
  g.cfg.post = s.method == Method::Post;
  g.cfg.close_rst = s.close == CloseMode::Rst;
  g.cfg.close_abandon = s.close == CloseMode::Abandon;
  g.cfg.cc = s.cc;
  g.cfg.hystart = s.hystart;
  g.cfg.connect_timeout_ms = s.connect_timeout_ms;
  g.cfg.think_ms = plan->think_ms;
  const std::string host = net::to_string(s.dst());
  std::snprintf(g.cfg.host, sizeof g.cfg.host, s.v6 ? "[%s]" : "%s", host.c_str());
  prepare_head(g.cfg);
  g.st.connect_us.reset();
  g.st.request_us.reset();
  g.st.reset_counts();
  g.st.set_open(0);
  g.cap = static_cast<uint32_t>(share_of(s.conns, index_, nworkers_));
  g.share = share_of(plan->total(), index_, nworkers_);
  const uint64_t rate = share_of(s.rate, index_, nworkers_);
  if (s.rate && rate == 0) g.cap = 0, g.share = plan->total() ? 0 : g.share;  // idles
  g.opened = 0;
  g.begin = now + plan->start_us;
  const uint64_t dur = uint64_t{s.duration_s} * 1000000;
  g.deadline = s.duration_s ? g.begin + dur : 0;
  g.pace.start(rate, Ramp{plan->ramp_up_us, plan->ramp_down_us, dur}, g.begin);
  g.progress_at = g.begin;
  g.progress_seen = 0;
  g.cursor = 0;
  g.busy_since = 0;
  const uint64_t nsrc = !g.pool ? plan->steer.n_src()
                        : s.v6  ? plan->src6.size()
                                : uint64_t{plan->src_hi} - plan->src_lo + 1;
  g.warm_left = static_cast<uint32_t>(std::min<uint64_t>(kWarmConns, nsrc));
  g.last_idx = UINT32_MAX;
  g.warm_wait = false;
  g.end_tsc.store(0, std::memory_order_relaxed);
  engine_.set_client(g.index, &g.cfg, &g.st);
  set_state(g, RunState::Running);
}

void Generator::stop() {
  bool any = false;
  for (uint8_t i = 0; i < n_; ++i) {
    const RunState s = state(i);
    if (s == RunState::Running || s == RunState::Draining) any = true;
  }
  if (!any) return;
  engine_.abort_clients(tcp::CloseReason::Local);
  for (uint8_t i = 0; i < n_; ++i)
    if (state(i) != RunState::Done && state(i) != RunState::Idle) finish(g_[i]);
}

void Generator::finish(Group& g) {
  g.cfg.draining = true;
  g.end_tsc.store(rte_get_timer_cycles(), std::memory_order_relaxed);
  set_state(g, RunState::Done);
}

RunState Generator::state() const {
  if (n_ == 0) return RunState::Idle;
  bool done = true, opening = false;
  for (uint8_t i = 0; i < n_; ++i) {
    const RunState s = state(i);
    done &= s == RunState::Done;
    opening |= s == RunState::Running;
  }
  return done ? RunState::Done : opening ? RunState::Running : RunState::Draining;
}

uint64_t Generator::end_tsc() const {
  uint64_t e = 0;
  for (uint8_t i = 0; i < n_; ++i) e = std::max(e, end_tsc(i));
  return e;
}

// Progress: a connection finished, a response arrived, or bytes moved (a
// long keep-alive or raw connection progresses without finishing).
uint64_t Generator::progress(const Group& g) const {
  const ClientStats& st = g.st;
  return st.get(Ctr::gen_completed) + st.get(Ctr::gen_stopped) + st.get(Ctr::gen_err_refused) +
         st.get(Ctr::gen_err_reset) + st.get(Ctr::gen_err_timeout) +
         st.get(Ctr::gen_err_connect_timeout) + st.get(Ctr::gen_err_bad_response) +
         st.get(Ctr::gen_responses) + st.get(Ctr::gen_rx_bytes) + st.get(Ctr::gen_tx_bytes);
}

void Generator::tick(uint64_t now) {
  for (uint8_t i = 0; i < n_; ++i) tick_group(g_[i], now);
}

void Generator::tick_group(Group& g, uint64_t now) {
  const RunState s = state(g.index);
  if (s != RunState::Running && s != RunState::Draining) return;
  if (now < g.begin) return;  // a later group: not yet
  const uint64_t p = progress(g);
  if (p != g.progress_seen || g.st.open == 0) {
    g.progress_seen = p;
    g.progress_at = now;
  }
  if (s == RunState::Running) {
    const bool timed_out = g.deadline && now >= g.deadline;
    const bool all_opened = g.share && g.opened >= g.share;
    if (timed_out || all_opened || g.cap == 0) {
      // A timed group's connections finish their request under way and
      // close; a counted one lets each do all its requests.
      g.cfg.draining = timed_out;
      set_state(g, RunState::Draining);
      // Connections waiting for nothing (reqs 0, or between requests) get
      // no event that would close them: closed here.
      if (g.cfg.draining) engine_.close_idle_clients(g.index);
    } else {
      open_some(g, now);
    }
  } else if (!g.cfg.draining && g.deadline && now >= g.deadline) {
    // A counted group that outlives its duration drains like a timed one.
    g.cfg.draining = true;
    engine_.close_idle_clients(g.index);
  }
  if (state(g.index) == RunState::Draining && g.st.open == 0) return finish(g);
  // Nothing has moved for kStallUs (or a timed group's grace is over): the
  // connections still open are given up on.
  // Held connections (reqs 0) wait for nothing: holding them is the run.
  const bool stalled = g.cfg.reqs > 0 && g.st.open && now - g.progress_at >= kStallUs;
  const bool grace_over = g.deadline && now >= g.deadline + kGraceUs;
  if (stalled || (state(g.index) == RunState::Draining && grace_over)) {
    engine_.abort_clients(stalled ? tcp::CloseReason::Timeout : tcp::CloseReason::Local, g.index);
    g.progress_at = now;
  }
}

// Opens what the pacing allows (Pacer: the group's share of the rate,
// ramped), at most kMaxOpensPerTick per loop turn, never more than the
// group's cap open at once nor its share of the total.
void Generator::open_some(Group& g, uint64_t now) {
  // Warm-up: the first connection from each source address (the pools
  // cycle through the addresses) goes alone, the next once it has connected
  // or failed. Its SYN waits for our ARP of the next hop, and its SYN-ACK
  // for the server's ARP of that source address: a burst behind it would
  // overflow those bounded queues of frames for an unresolved neighbour
  // (4 here, RFC 1122 2.3.2.2) and wait a second for SYN retransmission.
  if (g.warm_wait) {
    g.pace.hold(now);  // no credit banked while waiting
    if (engine_.connecting(g.last_idx)) return;
    g.warm_wait = false;
  }
  const unsigned budget = g.pace.allow(now, kMaxOpensPerTick);
  const tcp::EngineConfig& ec = engine_.config();
  for (unsigned i = 0; i < budget; ++i) {
    if (g.st.open >= g.cap || (g.share && g.opened >= g.share)) break;
    // A connection needs a pool entry, and two buffers for its requests
    // (a held one, reqs 0, none: Engine::connect() asks the same): while
    // the engine has none free (its own TIME_WAITs, or passive opens, hold
    // them) a run waits instead of failing; they come back within 2 MSL.
    const bool need_bufs = g.cfg.reqs > 0;
    if (engine_.conns_in_use() >= ec.max_flows ||
        (need_bufs && engine_.bufs_total() - engine_.bufs_in_use() < 2))
      break;
    const Open r = open_one(g, now);
    if (r == Open::Busy) {
      // Every tuple tried is in use or in TIME_WAIT. Wait for them to come
      // back (within 2 MSL) rather than fail at once; a connection fails as
      // ports exhausted only when that wait is over and still none is free.
      if (!g.busy_since) {
        g.busy_since = now;
        ctr_.inc(Ctr::gen_ports_busy);
        g.st.count(Ctr::gen_ports_busy);
      }
      const uint64_t limit = 2ull * engine_.config().msl_ms * 1000 + 1000000;
      if (now - g.busy_since < limit) break;
      ctr_.inc(Ctr::gen_err_ports_exhausted);
      g.st.count(Ctr::gen_err_ports_exhausted);
    } else {
      g.busy_since = 0;
    }
    g.pace.take();
    ++g.opened;
    if (r != Open::Ok) break;
    if (g.warm_left > 0) {
      --g.warm_left;
      g.warm_wait = true;
      break;  // alone
    }
  }
}

// The key of this core's next tuple of group g, round robin over its pool
// or its walk of the range (so the longest-unused comes first).
flow::FlowKey Generator::next_key(Group& g) {
  const RunPlan& p = *g.plan;
  const GenSpec& s = p.spec;
  net::IpAddr src;
  uint16_t port;
  if (g.pool) {
    const port::SrcTuple& st = (*g.pool)[g.cursor];
    g.cursor = g.cursor + 1 == g.pool->size() ? 0 : g.cursor + 1;
    // IPv6: the tuple's ip is the index of its address in the plan.
    src = s.v6 ? net::IpAddr::of(p.src6[st.ip]) : net::IpAddr::of(net::Ipv4Addr::from_host(st.ip));
    port = st.port;
  } else {
    p.steer.next(static_cast<uint16_t>(index_), g.scur);
    src = s.v6 ? net::IpAddr::of(net::Ifaddr6{p.src6_lo, 128, 1}.at(g.scur.k))
               : net::IpAddr::of(net::Ipv4Addr::from_host(p.src_lo + g.scur.k));
    port = p.steer.port_of(g.scur);
  }
  return tcp::make_key(
      src, s.v6 ? net::IpAddr::of(s.dst6) : net::IpAddr::of(net::Ipv4Addr::from_host(s.dst_ip)),
      rte_cpu_to_be_16(port), rte_cpu_to_be_16(s.dst_port), p.port_id);
}

// Takes the next tuple of this core's that is free and connects from it.
Generator::Open Generator::open_one(Group& g, uint64_t now) {
  const uint64_t n = g.pool ? g.pool->size() : g.plan->steer.tuples(static_cast<uint16_t>(index_));
  for (unsigned t = 0; t < std::min<uint64_t>(kTupleTries, n); ++t) {
    const int r = engine_.connect(next_key(g), now, g.index);
    if (r >= 0) {
      g.last_idx = static_cast<uint32_t>(r);
      ctr_.inc(Ctr::gen_attempts);
      g.st.count(Ctr::gen_attempts);
      return Open::Ok;
    }
    if (r != -EADDRINUSE) {
      ctr_.inc(Ctr::gen_err_no_resources);
      g.st.count(Ctr::gen_err_no_resources);
      return Open::Failed;
    }
  }
  return Open::Busy;
}

namespace {
uint64_t half(const std::array<uint8_t, 16>& a, size_t first) {
  uint64_t v = 0;
  for (size_t i = first; i < first + 8; ++i) v = (v << 8) | a[i];
  return v;
}
}  // namespace

namespace {
// The worker whose share of plan p holds k's source tuple, or port::kNoQueue.
uint16_t owner_of(const RunPlan* p, const flow::FlowKey& k) {
  if (!p || k.port_id != p->port_id || k.is_v6() != p->spec.v6) return port::kNoQueue;
  if (k.is_v6()) {
    // The sources are one range in order: the same high 64 bits, low 64
    // ascending.
    if (!p->pools.empty() && p->src6.empty()) return port::kNoQueue;
    const uint16_t port = rte_be_to_cpu_16(k.local_port);
    const auto& first = p->pools.empty() ? p->src6_lo.b : p->src6.front().b;
    const uint64_t last =
        p->pools.empty() ? half(first, 8) + p->steer.n_src() - 1 : half(p->src6.back().b, 8);
    const uint64_t lo = half(k.local6, 8);
    if (half(k.local6, 0) != half(first, 0) || lo < half(first, 8) || lo > last ||
        port < p->port_lo || port > p->port_hi)
      return port::kNoQueue;
    return port::reply_queue6(p->rss, net::Ipv6Addr{k.remote6}, rte_be_to_cpu_16(k.remote_port),
                              net::Ipv6Addr{k.local6}, port);
  }
  const uint32_t ip = rte_be_to_cpu_32(k.local_ip);
  const uint16_t port = rte_be_to_cpu_16(k.local_port);
  if (ip < p->src_lo || ip > p->src_hi || port < p->port_lo || port > p->port_hi)
    return port::kNoQueue;
  // The pools, and the steer's walk, give the tuple to exactly this worker.
  return port::reply_queue(p->rss, rte_be_to_cpu_32(k.remote_ip), rte_be_to_cpu_16(k.remote_port),
                           ip, port);
}

}  // namespace

uint16_t Generator::owner(const flow::FlowKey& k) const {
  for (uint8_t i = 0; i < n_; ++i)
    if (const uint16_t q = owner_of(g_[i].plan, k); q != port::kNoQueue) return q;
  return port::kNoQueue;
}

}  // namespace pmx::gen
