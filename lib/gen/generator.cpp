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
    case Mode::Raw:
      break;
  }
  return ClientMode::Raw;
}
}  // namespace

Generator::Generator(tcp::Engine& engine, stats::Counters& ctr, unsigned index, unsigned nworkers)
    : engine_(engine), ctr_(ctr), index_(index), nworkers_(nworkers) {}

void Generator::start(const RunPlan* plan, uint64_t now) {
  // A new run replaces the previous one's configuration: its connections
  // still open are stopped first (their config pointer must stay valid).
  engine_.abort_clients(tcp::CloseReason::Local);
  plan_ = plan;
  pool_ = plan->pools.empty() ? nullptr : &plan->pools[index_];
  scur_ = plan->steer.begin();
  const GenSpec& s = plan->spec;
  cfg_ = ClientConfig{};
  cfg_.mode = client_mode(s.mode);
  cfg_.reqs = s.reqs;
  cfg_.req_size = s.req_size;
  cfg_.resp_size = s.resp_size;
  cfg_.post = s.method == Method::Post;
  cfg_.close_rst = s.close == CloseMode::Rst;
  cfg_.close_abandon = s.close == CloseMode::Abandon;
  cfg_.cc = s.cc;
  cfg_.hystart = s.hystart;
  cfg_.connect_timeout_ms = s.connect_timeout_ms;
  const std::string host = net::to_string(s.dst());
  std::snprintf(cfg_.host, sizeof cfg_.host, s.v6 ? "[%s]" : "%s", host.c_str());
  prepare_head(cfg_);
  st_.connect_us.reset();
  st_.request_us.reset();
  st_.set_open(0);
  share_ = static_cast<uint32_t>(share_of(s.conns, index_, nworkers_));
  rate_ = share_of(s.rate, index_, nworkers_);
  if (s.rate && rate_ == 0) share_ = 0;  // a rate below one per worker: this one idles
  opened_ = 0;
  credit_ = 0;
  last_ = now;
  deadline_ = s.duration_s ? now + uint64_t{s.duration_s} * 1000000 : 0;
  progress_at_ = now;
  progress_seen_ = 0;
  cursor_ = 0;
  busy_since_ = 0;
  const uint64_t nsrc = !pool_ ? plan_->steer.n_src()
                        : s.v6 ? plan_->src6.size()
                               : uint64_t{plan_->src_hi} - plan_->src_lo + 1;
  warm_left_ = static_cast<uint32_t>(std::min<uint64_t>(kWarmConns, nsrc));
  last_idx_ = UINT32_MAX;
  warm_wait_ = false;
  engine_.set_client(&cfg_, &st_);
  set_state(RunState::Running);
}

void Generator::stop() {
  if (state() == RunState::Idle || state() == RunState::Done) return;
  engine_.abort_clients(tcp::CloseReason::Local);
  finish();
}

void Generator::finish() {
  cfg_.draining = true;
  end_tsc_.store(rte_get_timer_cycles(), std::memory_order_relaxed);
  set_state(RunState::Done);
}

void Generator::tick(uint64_t now) {
  const RunState s = state();
  if (s != RunState::Running && s != RunState::Draining) return;
  // Progress: a connection finished, a response arrived, or bytes moved
  // (a long keep-alive or raw connection progresses without finishing).
  const uint64_t progress =
      ctr_.get(Ctr::gen_completed) + ctr_.get(Ctr::gen_stopped) + ctr_.get(Ctr::gen_err_refused) +
      ctr_.get(Ctr::gen_err_reset) + ctr_.get(Ctr::gen_err_timeout) +
      ctr_.get(Ctr::gen_err_connect_timeout) + ctr_.get(Ctr::gen_err_bad_response) +
      ctr_.get(Ctr::gen_responses) + ctr_.get(Ctr::gen_rx_bytes) + ctr_.get(Ctr::gen_tx_bytes);
  if (progress != progress_seen_ || st_.open == 0) {
    progress_seen_ = progress;
    progress_at_ = now;
  }
  if (s == RunState::Running) {
    const bool timed_out = deadline_ && now >= deadline_;
    const bool all_opened = !deadline_ && opened_ >= share_;
    if (timed_out || all_opened) {
      cfg_.draining = deadline_ != 0;  // a count run lets each connection do all its requests
      set_state(RunState::Draining);
      // Connections waiting for nothing (reqs 0, or between requests) get
      // no event that would close them: closed here.
      if (cfg_.draining) engine_.close_idle_clients();
    } else {
      open_some(now);
    }
  }
  if (state() == RunState::Draining && st_.open == 0) return finish();
  // Nothing has moved for kStallUs (or a timed run's grace is over): the
  // connections still open are given up on.
  // Held connections (reqs 0) wait for nothing: holding them is the run.
  const bool stalled = cfg_.reqs > 0 && st_.open && now - progress_at_ >= kStallUs;
  const bool grace_over = deadline_ && now >= deadline_ + kGraceUs;
  if (stalled || (state() == RunState::Draining && grace_over)) {
    engine_.abort_clients(stalled ? tcp::CloseReason::Timeout : tcp::CloseReason::Local);
    progress_at_ = now;
  }
}

// Opens what the pacing allows: rate_ per second (credits accrue per
// microsecond, at most 10 ms' worth banked), at most kMaxOpensPerTick per
// loop turn, and never more than share_ at once (timed) or in total (count).
void Generator::open_some(uint64_t now) {
  // Warm-up: the first connection from each source address (the pools
  // cycle through the addresses) goes alone, the next once it has connected
  // or failed. Its SYN waits for our ARP of the next hop, and its SYN-ACK
  // for the server's ARP of that source address: a burst behind it would
  // overflow those bounded queues of frames for an unresolved neighbour
  // (4 here, RFC 1122 2.3.2.2) and wait a second for SYN retransmission.
  if (warm_wait_) {
    last_ = now;  // no credit banked while waiting
    if (engine_.connecting(last_idx_)) return;
    warm_wait_ = false;
  }
  unsigned budget = kMaxOpensPerTick;
  if (rate_) {
    const uint64_t cap = std::max<uint64_t>(rate_ * 10000, 1000000);  // 10 ms, at least one
    credit_ = std::min(cap, credit_ + (now - last_) * rate_);
    budget = static_cast<unsigned>(std::min<uint64_t>(budget, credit_ / 1000000));
  }
  last_ = now;
  const tcp::EngineConfig& ec = engine_.config();
  for (unsigned i = 0; i < budget; ++i) {
    if (deadline_ ? st_.open >= share_ : opened_ >= share_) break;
    // A connection needs a pool entry, and two buffers for its requests
    // (a held one, reqs 0, none: Engine::connect() asks the same): while
    // the engine has none free (its own TIME_WAITs, or passive opens, hold
    // them) a run waits instead of failing; they come back within 2 MSL.
    const bool need_bufs = cfg_.reqs > 0;
    if (engine_.conns_in_use() >= ec.max_flows ||
        (need_bufs && engine_.bufs_total() - engine_.bufs_in_use() < 2))
      break;
    const Open r = open_one(now);
    if (r == Open::Busy) {
      // Every tuple tried is in use or in TIME_WAIT. Wait for them to come
      // back (within 2 MSL) rather than fail at once; a connection fails as
      // ports exhausted only when that wait is over and still none is free.
      if (!busy_since_) {
        busy_since_ = now;
        ctr_.inc(Ctr::gen_ports_busy);
      }
      const uint64_t limit = 2ull * engine_.config().msl_ms * 1000 + 1000000;
      if (now - busy_since_ < limit) break;
      ctr_.inc(Ctr::gen_err_ports_exhausted);
    } else {
      busy_since_ = 0;
    }
    if (rate_) credit_ -= 1000000;
    ++opened_;
    if (r != Open::Ok) break;
    if (warm_left_ > 0) {
      --warm_left_;
      warm_wait_ = true;
      break;  // alone
    }
  }
}

// The key of this core's next tuple, round robin over its pool or its
// walk of the range (so the longest-unused comes first).
flow::FlowKey Generator::next_key() {
  const GenSpec& s = plan_->spec;
  net::IpAddr src;
  uint16_t port;
  if (pool_) {
    const port::SrcTuple& st = (*pool_)[cursor_];
    cursor_ = cursor_ + 1 == pool_->size() ? 0 : cursor_ + 1;
    // IPv6: the tuple's ip is the index of its address in the plan.
    src = s.v6 ? net::IpAddr::of(plan_->src6[st.ip])
               : net::IpAddr::of(net::Ipv4Addr::from_host(st.ip));
    port = st.port;
  } else {
    plan_->steer.next(static_cast<uint16_t>(index_), scur_);
    src = s.v6 ? net::IpAddr::of(net::Ifaddr6{plan_->src6_lo, 128, 1}.at(scur_.k))
               : net::IpAddr::of(net::Ipv4Addr::from_host(plan_->src_lo + scur_.k));
    port = plan_->steer.port_of(scur_);
  }
  return tcp::make_key(
      src, s.v6 ? net::IpAddr::of(s.dst6) : net::IpAddr::of(net::Ipv4Addr::from_host(s.dst_ip)),
      rte_cpu_to_be_16(port), rte_cpu_to_be_16(s.dst_port), plan_->port_id);
}

// Takes the next tuple of this core's that is free and connects from it.
Generator::Open Generator::open_one(uint64_t now) {
  const uint64_t n = pool_ ? pool_->size() : plan_->steer.tuples(static_cast<uint16_t>(index_));
  for (unsigned t = 0; t < std::min<uint64_t>(kTupleTries, n); ++t) {
    const int r = engine_.connect(next_key(), now);
    if (r >= 0) {
      last_idx_ = static_cast<uint32_t>(r);
      ctr_.inc(Ctr::gen_attempts);
      return Open::Ok;
    }
    if (r != -EADDRINUSE) {
      ctr_.inc(Ctr::gen_err_no_resources);
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

uint16_t Generator::owner(const flow::FlowKey& k) const {
  const RunPlan* p = plan_;
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

}  // namespace pmx::gen
