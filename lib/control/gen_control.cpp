#include "control/gen_control.hpp"

#include "control/plane.hpp"
#include "stats/log.hpp"
#include "stats/metric_writer.hpp"

#include <rte_cycles.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>

namespace pmx::control {

using stats::Ctr;

namespace {
worker::Tsc timer_now() { return worker::Tsc{rte_get_timer_cycles()}; }
}  // namespace

GenControl::GenControl(Plane& pl)
    : pl_(pl),
      connect_(std::make_unique<stats::LatencyHistogram>()),
      request_(std::make_unique<stats::LatencyHistogram>()) {
  // The software Toeplitz hash decides which worker opens which tuple: it
  // must agree with the NIC's, so it is checked on known vectors first.
  selftest_ok_ = port::softrss_selftest();
  if (selftest_ok_)
    PMX_LOG(INFO, "rte_softrss self-test passed (RSS verification vectors, IPv4 and IPv6)");
  else
    PMX_LOG(ERR, "rte_softrss self-test failed: the generator is disabled");
}

GenControl::~GenControl() = default;

void GenControl::set_batch(std::string report_file) {
  batch_ = true;
  report_file_ = std::move(report_file);
}

// The first interface (in index order: the ports' untagged ones, then the
// VLANs) with a next hop for dst, or UINT16_MAX.
uint16_t GenControl::route_iface(const net::IpAddr& dst) const {
  const auto& ifaces = pl_.shared().ifaces;
  for (uint16_t i = 0; i < ifaces.size(); ++i)
    if (pl_.iface_enabled(i) && !ifaces[i].next_hop(dst).is_zero()) return i;
  return UINT16_MAX;
}

// The IPv6 part of plan(): the port by route (on-link prefix, link-local,
// or gateway6, as PortIp::next_hop6), the source addresses (each ours:
// PortIp::first_not_local6, over the ranges) and the steering spec.
std::string GenControl::plan6(const gen::GenSpec& s, gen::RunPlan& p, port::RangeSpec& rs) const {
  const std::string dst_s = net::to_string(s.dst6);
  const uint16_t port = route_iface(net::IpAddr(s.dst6));
  if (port == UINT16_MAX)
    return "no route to " + dst_s +
           " (no interface has it on-link, an IPv6 route to it or an IPv6 gateway)";
  const net::PortIp& ip = pl_.shared().ifaces[port];
  const std::string name = "port " + net::iface_name(ip);
  p.spec = s;
  p.port_id = port;
  net::Ipv6Addr lo = s.src6_lo, hi = s.src6_hi;
  if (lo.is_zero()) {
    // A global destination needs a global source (RFC 4291 2.5.6: a
    // link-local one is not forwarded).
    if (!s.dst6.is_link_local() && ip.naddrs6 == 0)
      return name + " has no IPv6 address for " + dst_s + " (add one with --addr " +
             net::iface_name(ip) + "=ADDR/LEN)";
    lo = hi = ip.source_for6(s.dst6);
  }
  // lo..hi differ only in the low 64 bits, at most 2^20 addresses (GenSpec).
  const uint64_t n = net::Ifaddr6::low64(hi) - net::Ifaddr6::low64(lo) + 1;
  rs.n_src = static_cast<uint32_t>(n);
  // The link-local address is ours without being in a range.
  const auto bad = lo == ip.link_local && n == 1 ? std::nullopt : ip.first_not_local6(lo, rs.n_src);
  if (bad) {
    return "source address " + net::to_string(*bad) + " is not an address of " + name +
           " (add it with --addr)";
  }
  p.src6_lo = lo;
  rs.v6 = true;
  rs.server6 = s.dst6;
  rs.server_port = s.dst_port;
  rs.src6_lo = lo;
  return "";
}

// Port, source addresses and the per-worker source steering for s.
std::string GenControl::plan(const gen::GenSpec& s, gen::RunPlan& p) const {
  port::RangeSpec rs;
  if (s.v6) {
    if (std::string err = plan6(s, p, rs); !err.empty()) return err;
    return steer(p, rs);
  }
  const net::Ipv4Addr dst = net::Ipv4Addr::from_host(s.dst_ip);
  const std::string dst_s = net::to_string(dst);
  const uint16_t port = route_iface(net::IpAddr(dst));
  if (port == UINT16_MAX)
    return "no route to " + dst_s + " (no interface has it on-link, a route to it or a gateway)";
  const net::PortIp& ip = pl_.shared().ifaces[port];
  p.spec = s;
  p.port_id = port;
  p.src_lo = s.src_lo ? s.src_lo : ip.source_for(dst).host();
  p.src_hi = s.src_lo ? s.src_hi : p.src_lo;
  rs.server_ip = s.dst_ip;
  rs.server_port = s.dst_port;
  rs.src_lo = p.src_lo;
  rs.n_src = p.src_hi - p.src_lo + 1;  // at most 2^20 (GenSpec)
  if (auto bad = ip.first_not_local(net::Ipv4Addr::from_host(p.src_lo), rs.n_src))
    return "source address " + net::to_string(*bad) + " is not an address of port " +
           net::iface_name(ip) + " (add it with --addr)";
  return steer(p, rs);
}

// The ephemeral range, the port's steering and the range walk, either
// family; warns when a worker's tuples are fewer than its connections.
std::string GenControl::steer(gen::RunPlan& p, port::RangeSpec& rs) const {
  const uint16_t port = pl_.shared().ifaces[p.port_id].port_id;  // the interface's ethdev port
  p.port_lo = rs.port_lo = pl_.options().ephemeral_lo;
  p.port_hi = rs.port_hi = pl_.options().ephemeral_hi;
  rs.workers = static_cast<uint16_t>(pl_.workers().size());
  p.rss = port::query_rss(port, rs.workers);
  if (p.rss.mode == port::RssInfo::Mode::Unpredictable)
    return "port " + std::to_string(port) + ": " + p.rss.why;
  if (std::string err = p.steer.build(p.rss, rs); !err.empty())
    return "port " + std::to_string(port) + ": " + err;
  return "";
}

// TRex's socket-utilisation warning: a worker whose source tuples are fewer
// than its share of the connections (concurrent in a timed run, total in
// count mode, where TIME_WAIT holds each tuple 2 MSL after use) will wait
// for tuples and count gen_ports_busy / gen_err_ports_exhausted. "" when
// every worker has enough.
std::string GenControl::tuple_warning(const gen::RunPlan& p) const {
  const uint64_t w = pl_.workers().size();
  const uint64_t conns = p.spec.conns;
  for (uint16_t i = 0; i < w; ++i) {
    const uint64_t want = conns / w + (i < conns % w ? 1 : 0);
    const uint64_t have = p.steer.tuples(i);
    if (have >= want) continue;
    return "source tuples too few: " + std::to_string(p.steer.n_src()) + " address(es) x " +
           std::to_string(p.steer.n_ports()) + " ports steer " + std::to_string(have) +
           " tuples to worker " + std::to_string(i) + " (about " +
           std::to_string(have / p.steer.n_src()) + " usable ports per address), for " +
           std::to_string(want) +
           " connections on it: widen src or --ephemeral-ports, or expect gen_ports_busy";
  }
  return "";
}

std::string GenControl::start(const gen::GenSpec& s) {
  gen::RunPlan t;
  t.spec = s;
  return start_groups({t});
}

std::string GenControl::start_groups(const std::vector<gen::RunPlan>& templates) {
  if (running_) return "a run is under way (gen stop ends it)";
  if (!selftest_ok_) return "disabled: the rte_softrss self-test failed at start-up";
  if (templates.empty() || templates.size() > tcp::kMaxClientGroups)
    return "a run has 1.." + std::to_string(tcp::kMaxClientGroups) + " groups";
  auto r = std::make_unique<Run>();
  for (size_t g = 0; g < templates.size(); ++g) {
    auto p = std::make_unique<gen::RunPlan>(templates[g]);
    if (std::string err = plan(templates[g].spec, *p); !err.empty())
      return templates.size() == 1 ? err : "group " + std::to_string(g) + ": " + err;
    r->set.plans[g] = p.get();
    r->plans.push_back(std::move(p));
  }
  r->set.n = static_cast<uint8_t>(templates.size());
  base_ = last_ = totals();
  // Workers keep pointers to their plans (also for Generator::owner() after
  // the run): the previous run is freed only once every worker has taken
  // the new one, and the new one lives from before the first worker sees it.
  retired_ = std::move(run_);
  run_ = std::move(r);
  // The run starts when the first worker may start it, not after the last ack.
  start_tsc_ = last_tsc_ = timer_now();
  running_ = true;
  if (std::string err = pl_.gen_start(&run_->set); !err.empty()) return err;  // both runs kept
  retired_.reset();
  for (const auto& p : run_->plans) {
    std::string per;
    for (uint16_t w = 0; w < pl_.workers().size(); ++w)
      per += (w ? ", " : "") + std::to_string(p->steer.tuples(w));
    PMX_LOG(INFO, "gen: started %s on port %s (%s), source tuples per worker: %s",
            gen::to_string(p->spec).c_str(),
            net::iface_name(pl_.shared().ifaces[p->port_id]).c_str(), p->rss.why.c_str(),
            per.c_str());
    if (std::string w = tuple_warning(*p); !w.empty()) PMX_LOG(WARNING, "gen: %s", w.c_str());
  }
  return "";
}

gen::Totals GenControl::group_totals(uint8_t g) const {
  gen::Totals t;
  for (const auto& w : pl_.workers()) {
    const gen::ClientStats& st = w->generator().stats(g);
    t.attempts += st.get(Ctr::gen_attempts);
    t.connects += st.get(Ctr::gen_connects);
    t.requests += st.get(Ctr::gen_requests);
    t.responses += st.get(Ctr::gen_responses);
    t.completed += st.get(Ctr::gen_completed);
    t.stopped += st.get(Ctr::gen_stopped);
    t.err_refused += st.get(Ctr::gen_err_refused);
    t.err_reset += st.get(Ctr::gen_err_reset);
    t.err_connect_timeout += st.get(Ctr::gen_err_connect_timeout);
    t.err_timeout += st.get(Ctr::gen_err_timeout);
    t.err_bad_response += st.get(Ctr::gen_err_bad_response);
    t.err_ports += st.get(Ctr::gen_err_ports_exhausted);
    t.err_no_resources += st.get(Ctr::gen_err_no_resources);
    t.tx_bytes += st.get(Ctr::gen_tx_bytes);
    t.rx_bytes += st.get(Ctr::gen_rx_bytes);
    t.retransmits += w->generator().retransmits(g);
    t.open += st.open_now();
  }
  return t;
}

void GenControl::group_histograms(uint8_t g, stats::LatencyHistogram& connect,
                                  stats::LatencyHistogram& request) const {
  for (const auto& w : pl_.workers()) {
    connect.merge_from(w->generator().stats(g).connect_us);
    request.merge_from(w->generator().stats(g).request_us);
  }
}

bool GenControl::group_done(uint8_t g) const {
  for (const auto& w : pl_.workers())
    if (w->generator().state(g) != gen::RunState::Done) return false;
  return true;
}

worker::Tsc GenControl::group_end(uint8_t g) const {
  worker::Tsc e = start_tsc_;
  for (const auto& w : pl_.workers()) e = std::max(e, worker::Tsc{w->generator().end_tsc(g)});
  return e;
}

std::string GenControl::stop() {
  if (!running_) return "no run under way";
  return pl_.gen_stop();
}

gen::Totals GenControl::totals() const {
  const auto c = [&](Ctr x) { return pl_.counter_total(static_cast<size_t>(x)); };
  gen::Totals t;
  t.attempts = c(Ctr::gen_attempts);
  t.connects = c(Ctr::gen_connects);
  t.requests = c(Ctr::gen_requests);
  t.responses = c(Ctr::gen_responses);
  t.completed = c(Ctr::gen_completed);
  t.stopped = c(Ctr::gen_stopped);
  t.err_refused = c(Ctr::gen_err_refused);
  t.err_reset = c(Ctr::gen_err_reset);
  t.err_connect_timeout = c(Ctr::gen_err_connect_timeout);
  t.err_timeout = c(Ctr::gen_err_timeout);
  t.err_bad_response = c(Ctr::gen_err_bad_response);
  t.err_ports = c(Ctr::gen_err_ports_exhausted);
  t.err_no_resources = c(Ctr::gen_err_no_resources);
  t.tx_bytes = c(Ctr::gen_tx_bytes);
  t.rx_bytes = c(Ctr::gen_rx_bytes);
  for (const auto& w : pl_.workers()) t.open += w->generator().stats().open_now();
  return t;
}

gen::Report GenControl::report() {
  gen::Report r;
  bool draining = false;
  for (const auto& w : pl_.workers()) draining |= w->generator().state() == gen::RunState::Draining;
  r.state = running_ ? (draining ? "draining" : "running") : "done";
  if (run_) {  // a run of several groups: the first one's (a scenario reports each)
    const gen::RunPlan& p = *run_->plans[0];
    r.spec = gen::to_string(p.spec);
    if (run_->set.n > 1) r.spec += " (+" + std::to_string(run_->set.n - 1) + " more groups)";
    const net::PortIp& ip = pl_.shared().ifaces[p.port_id];  // the run's interface
    r.port = ip.port_id;
    r.vlan = ip.vlan;
    r.destination = gen::destination(p.spec);
  }
  const worker::Tsc end = running_ ? timer_now() : end_tsc_;
  r.elapsed_s = static_cast<double>(end - start_tsc_) / static_cast<double>(rte_get_timer_hz());
  r.t = totals() - base_;
  connect_->reset();
  request_->reset();
  for (const auto& w : pl_.workers()) {
    connect_->merge_from(w->generator().stats().connect_us);
    request_->merge_from(w->generator().stats().request_us);
  }
  r.connect_us = connect_.get();
  r.request_us = request_.get();
  return r;
}

void GenControl::poll() {
  if (!running_) return;
  bool done = true;
  for (const auto& w : pl_.workers()) done &= w->generator().state() == gen::RunState::Done;
  const worker::Tsc now = timer_now();
  const uint64_t hz = rte_get_timer_hz();
  if (done) return finish_run();
  if (quiet_ || now - last_tsc_ < hz) return;
  const gen::Totals t = totals();
  std::fputs(gen::progress_line(static_cast<double>(now - start_tsc_) / hz, t - last_,
                                static_cast<double>(now - last_tsc_) / hz, t - base_)
                 .c_str(),
             stdout);
  std::fflush(stdout);
  last_ = t;
  last_tsc_ = now;
}

void GenControl::finish_run() {
  running_ = false;
  // The run ended when its last worker finished, not when this loop (which
  // sleeps up to 100 ms) noticed.
  end_tsc_ = start_tsc_;
  for (const auto& w : pl_.workers())
    end_tsc_ = std::max(end_tsc_, worker::Tsc{w->generator().end_tsc()});
  if (quiet_) return;
  const gen::Report r = report();
  std::fputs(gen::to_text(r).c_str(), stdout);
  std::fflush(stdout);
  if (!batch_) return;
  if (!report_file_.empty()) {
    std::ofstream out(report_file_);
    out << gen::to_json(r);
    if (!out) PMX_LOG(ERR, "gen: cannot write the report to %s", report_file_.c_str());
  }
  pl_.request_quit();
}

std::optional<gen::Report> GenControl::last_report() {
  if (!run_) return std::nullopt;
  return report();
}

namespace {
// Prometheus buckets from a log-linear histogram: le = 2^k - 1 microseconds
// (k = 0..26, up to 67 s), in seconds. A power of two always starts a
// log-linear bucket, so each of those lies wholly below 2^k or at/above it,
// and with whole microseconds "< 2^k" is exactly "<= 2^k - 1": the
// cumulative counts are exact, not interpolated.
constexpr unsigned kPowBuckets = 27;

std::array<stats::Bucket, kPowBuckets> pow2_buckets(const stats::LatencyHistogram& h) {
  std::array<stats::Bucket, kPowBuckets> b{};
  for (unsigned k = 0; k < kPowBuckets; ++k)
    b[k].le = static_cast<double>((uint64_t{1} << k) - 1) / 1e6;
  h.for_each_bucket([&](uint64_t, uint64_t upper, uint64_t n) {
    unsigned k = 0;
    while (k < kPowBuckets && upper >= (uint64_t{1} << k)) ++k;
    if (k < kPowBuckets) b[k].count += n;  // beyond 67 s: only in +Inf
  });
  return b;
}
}  // namespace

void GenControl::write_metrics(stats::MetricWriter& w) const {
  const auto& ws = pl_.workers();
  w.gauge("portmux_gen_running", "1 while a generator run is under way (running or draining)");
  w.value({}, uint64_t{running_ ? 1u : 0u});
  w.gauge("portmux_gen_open_connections",
          "generator connections whose requests are not finished, per lcore");
  for (const auto& wk : ws) {
    const std::string lc = std::to_string(wk->lcore());
    w.value({{"lcore", lc}}, uint64_t{wk->generator().stats().open_now()});
  }
  const auto hist = [&](const char* name, const char* help, auto pick) {
    w.histogram(name, help);
    for (const auto& wk : ws) {
      const stats::LatencyHistogram& h = pick(wk->generator().stats());
      stats::LatencyHistogram snap;  // a consistent copy: merge_from reads relaxed
      snap.merge_from(h);
      const auto b = pow2_buckets(snap);
      const std::string lc = std::to_string(wk->lcore());
      w.observe({{"lcore", lc}}, b, static_cast<double>(snap.sum()) / 1e6, snap.count());
    }
  };
  hist("portmux_gen_connect_duration_seconds",
       "generator connect time, SYN sent to SYN-ACK received (the current or last run)",
       [](const gen::ClientStats& s) -> const stats::LatencyHistogram& { return s.connect_us; });
  hist("portmux_gen_request_duration_seconds",
       "generator request time, first byte queued to last response byte (the current or last run)",
       [](const gen::ClientStats& s) -> const stats::LatencyHistogram& { return s.request_us; });
}

std::string GenControl::show() {
  if (!run_) return "no generator run yet\n";
  return gen::to_text(report());
}

}  // namespace pmx::control
