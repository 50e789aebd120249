#include "control/scenario_control.hpp"

#include "control/gen_control.hpp"
#include "control/plane.hpp"
#include "scenario/html.hpp"
#include "stats/json.hpp"
#include "stats/log.hpp"
#include "stats/metric_writer.hpp"

#include <rte_cycles.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

namespace pmx::control {

namespace {
worker::Tsc timer_now() { return worker::Tsc{rte_get_timer_cycles()}; }

gen::Totals plus(gen::Totals a, const gen::Totals& b) {
  a.attempts += b.attempts;
  a.connects += b.connects;
  a.requests += b.requests;
  a.responses += b.responses;
  a.completed += b.completed;
  a.stopped += b.stopped;
  a.err_refused += b.err_refused;
  a.err_reset += b.err_reset;
  a.err_connect_timeout += b.err_connect_timeout;
  a.err_timeout += b.err_timeout;
  a.err_bad_response += b.err_bad_response;
  a.err_ports += b.err_ports;
  a.err_no_resources += b.err_no_resources;
  a.tx_bytes += b.tx_bytes;
  a.rx_bytes += b.rx_bytes;
  a.retransmits += b.retransmits;
  a.open += b.open;
  return a;
}

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

double per_s(uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; }

// *dst = a copy of src (histograms are not copied by value: 15 KiB each).
void copy_hist(stats::LatencyHistogram& dst, const stats::LatencyHistogram& src) {
  dst.reset();
  dst.merge_from(src);
}

}  // namespace

ScenarioControl::Track::Track()
    : cum_c(std::make_unique<stats::LatencyHistogram>()),
      cum_r(std::make_unique<stats::LatencyHistogram>()),
      prev_c(std::make_unique<stats::LatencyHistogram>()),
      prev_r(std::make_unique<stats::LatencyHistogram>()),
      iv_c(std::make_unique<stats::LatencyHistogram>()),
      iv_r(std::make_unique<stats::LatencyHistogram>()) {}

ScenarioControl::ScenarioControl(Plane& pl) : pl_(pl) {}
ScenarioControl::~ScenarioControl() = default;

double ScenarioControl::since_start(worker::Tsc t) const {
  return t < start_ ? 0.0
                    : static_cast<double>(t - start_) / static_cast<double>(rte_get_timer_hz());
}

std::string ScenarioControl::path(const std::string& name) const {
  return (std::filesystem::path(dir_) / name).string();
}

uint64_t ScenarioControl::iface_frames(uint16_t iface, bool rx) const {
  using P = stats::Counters;
  if (iface >= P::kIfaces) return 0;  // not split: only in the totals
  uint64_t n = 0;
  for (const auto& w : pl_.workers())
    n += w->counters().get_port(iface, rx ? P::kIfaceRxFrames : P::kIfaceTxFrames);
  return n;
}

std::string ScenarioControl::start(const scenario::Scenario& s, const std::string& out_dir) {
  GenControl& gen = pl_.gen();
  if (state_ == State::Running || gen.running())
    return "a run is under way (scenario stop or gen stop ends it)";
  std::vector<gen::RunPlan> templates;
  for (const scenario::Group& g : s.groups) {
    gen::RunPlan t;
    t.spec = g.spec;
    t.count = g.count;
    t.think_ms = g.think_ms;
    t.start_us = static_cast<uint64_t>(g.start_s * 1e6);
    t.ramp_up_us = static_cast<uint64_t>(g.ramp_up_s * 1e6);
    t.ramp_down_us = static_cast<uint64_t>(g.ramp_down_s * 1e6);
    templates.push_back(std::move(t));
  }
  dir_ = !out_dir.empty() ? out_dir : !s.outputs.dir.empty() ? s.outputs.dir : ".";
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return "output directory '" + dir_ + "': " + ec.message();
  timeline_ = std::ofstream();
  if (!s.outputs.timeline.empty()) {
    timeline_.open(path(s.outputs.timeline), std::ios::trunc);
    if (!timeline_) return "cannot write " + path(s.outputs.timeline);
  }
  gen.set_quiet(true);
  if (std::string err = gen.start_groups(templates); !err.empty()) {
    gen.set_quiet(false);
    return err;
  }
  sc_ = s;
  lines_.clear();
  report_.clear();
  verdicts_.clear();
  error_.clear();
  status_ = kPass;
  groups_.clear();
  groups_.resize(s.groups.size() + 1);  // the last: all groups together
  ifaces_.clear();
  // The groups' interfaces first, then every other one that is up (a DUT's
  // server side: its frames, with no group of its own).
  for (uint8_t g = 0; g < gen.groups(); ++g) {
    const uint16_t i = gen.group_plan(g).port_id;
    if (std::find(ifaces_.begin(), ifaces_.end(), i) == ifaces_.end()) ifaces_.push_back(i);
  }
  for (uint16_t i = 0; i < pl_.shared().ifaces.size(); ++i)
    if (pl_.iface_enabled(i) && std::find(ifaces_.begin(), ifaces_.end(), i) == ifaces_.end())
      ifaces_.push_back(i);
  iface_prev_.clear();
  for (uint16_t i : ifaces_)
    iface_prev_.emplace_back(iface_frames(i, true), iface_frames(i, false));
  start_ = last_sample_ = gen.start_tsc();
  next_sample_ = start_ + static_cast<uint64_t>(s.outputs.interval_s *
                                                static_cast<double>(rte_get_timer_hz()));
  state_ = State::Running;
  PMX_LOG(INFO, "scenario %s (%s): %zu group(s) started; outputs in %s", s.name.c_str(),
          s.file.c_str(), s.groups.size(), dir_.c_str());
  return "";
}

std::string ScenarioControl::apply_at_runtime(const scenario::Scenario& s) {
  static const char* const kRuntime[] = {"--addr", "--gateway", "--route", "--listen"};
  for (size_t i = 0; i < s.option_words.size(); i += 2)
    if (std::find_if(std::begin(kRuntime), std::end(kRuntime),
                     [&](const char* k) { return s.option_words[i] == k; }) == std::end(kRuntime))
      return "option '" + s.option_words[i].substr(2) +
             "' applies only at start-up (portmux -- --scenario " + s.file + ")";
  Options o;
  try {
    o = parse_options(s.option_words);
  } catch (const OptionError& e) {
    return e.what();
  }
  const Options& have = pl_.options();
  // Each address (range) the scenario names must be configured as it says.
  const auto missing = [&](const auto& want, const auto& got) -> std::string {
    for (const auto& a : want) {
      const bool ok = std::any_of(got.begin(), got.end(), [&](const auto& h) {
        return h.port == a.port && h.vlan == a.vlan && h.addr.addr == a.addr.addr &&
               h.addr.prefix == a.addr.prefix && h.addr.count == a.addr.count;
      });
      if (!ok)
        return "interfaces: " + net::to_string(a.addr.addr) + "/" + std::to_string(a.addr.prefix) +
               " is not configured on " + std::to_string(a.port) +
               (a.vlan ? "." + std::to_string(a.vlan) : "") +
               " (interfaces apply at start-up: portmux -- --scenario " + s.file + ")";
    }
    return "";
  };
  if (std::string m = missing(o.addrs, have.addrs); !m.empty()) return m;
  if (std::string m = missing(o.addrs6, have.addrs6); !m.empty()) return m;
  // Each gateway the scenario names must be the interface's.
  const auto gw_differs = [](const auto& want, const auto& got) {
    for (const auto& [iface, gw] : want) {
      const auto it = got.find(iface);
      if (it == got.end() || !(it->second == gw)) return true;
    }
    return false;
  };
  if (gw_differs(o.gateways, have.gateways) || gw_differs(o.gateways6, have.gateways6))
    return "interfaces: a gateway differs from the running configuration (gateways apply at "
           "start-up: portmux -- --scenario " +
           s.file + ")";
  // Each route the scenario names must be configured as it says.
  const auto same = [](const auto& a, const auto& b) {
    return a.prefix == b.prefix && a.len == b.len && a.gateway == b.gateway;
  };
  for (const auto& r : o.routes)
    if (std::none_of(have.routes.begin(), have.routes.end(),
                     [&](const auto& h) { return same(r, h); }))
      return "interfaces: route " + net::to_string(r) +
             " is not configured (routes apply at start-up: portmux -- --scenario " + s.file + ")";
  for (const auto& r : o.routes6)
    if (std::none_of(have.routes6.begin(), have.routes6.end(),
                     [&](const auto& h) { return same(r, h); }))
      return "interfaces: route " + net::to_string(r) +
             " is not configured (routes apply at start-up: portmux -- --scenario " + s.file + ")";
  for (const tcp::ListenSpec& l : o.listen) {
    const auto& cur = pl_.listen_specs();
    if (std::any_of(cur.begin(), cur.end(),
                    [&](const tcp::ListenSpec& c) { return c.ip == l.ip && c.port == l.port; }))
      continue;
    if (std::string err = pl_.tcp_listen(l); !err.empty()) return "servers: " + err;
  }
  return "";
}

std::string ScenarioControl::stop() {
  if (state_ != State::Running) return "no scenario under way";
  return pl_.gen().stop();
}

void ScenarioControl::poll() {
  if (state_ != State::Running) return;
  const worker::Tsc now = timer_now();
  if (!pl_.gen().running()) return finish();
  if (now < next_sample_) return;
  sample(now);
  const auto step =
      static_cast<uint64_t>(sc_->outputs.interval_s * static_cast<double>(rte_get_timer_hz()));
  next_sample_ = next_sample_ + step;
  if (next_sample_ <= now) next_sample_ = now + step;  // the loop fell behind: no burst of lines
}

// One timeline line: every group's change since the last sample, the
// interval's latency histograms (cumulative now minus cumulative then),
// the interfaces' frames, and the progress line.
void ScenarioControl::sample(worker::Tsc now) {
  GenControl& gen = pl_.gen();
  scenario::Interval iv;
  iv.t_s = since_start(now);
  iv.dt_s = static_cast<double>(now - last_sample_) / static_cast<double>(rte_get_timer_hz());
  Track& all = groups_.back();
  all.cum_c->reset();
  all.cum_r->reset();
  gen::Totals total_d;
  std::vector<gen::Totals> per_iface(ifaces_.size());
  for (uint8_t g = 0; g < gen.groups(); ++g) {
    Track& tr = groups_[g];
    const gen::Totals cur = gen.group_totals(g);
    const gen::Totals d = cur - tr.prev;
    tr.prev = cur;
    tr.last_d = d;
    tr.last_dt = iv.dt_s;
    tr.cum_c->reset();
    tr.cum_r->reset();
    gen.group_histograms(g, *tr.cum_c, *tr.cum_r);
    tr.iv_c->set_difference(*tr.cum_c, *tr.prev_c);
    tr.iv_r->set_difference(*tr.cum_r, *tr.prev_r);
    copy_hist(*tr.prev_c, *tr.cum_c);
    copy_hist(*tr.prev_r, *tr.cum_r);
    all.cum_c->merge_from(*tr.cum_c);
    all.cum_r->merge_from(*tr.cum_r);
    iv.groups.push_back({sc_->groups[g].name, d, tr.iv_c.get(), tr.iv_r.get()});
    total_d = plus(total_d, d);
    const size_t k = static_cast<size_t>(
        std::find(ifaces_.begin(), ifaces_.end(), gen.group_plan(g).port_id) - ifaces_.begin());
    per_iface[k] = plus(per_iface[k], d);
  }
  all.iv_c->set_difference(*all.cum_c, *all.prev_c);
  all.iv_r->set_difference(*all.cum_r, *all.prev_r);
  copy_hist(*all.prev_c, *all.cum_c);
  copy_hist(*all.prev_r, *all.cum_r);
  all.last_d = total_d;
  all.last_dt = iv.dt_s;
  iv.connect_us = all.iv_c.get();
  iv.request_us = all.iv_r.get();
  for (size_t k = 0; k < ifaces_.size(); ++k) {
    const uint64_t rx = iface_frames(ifaces_[k], true), tx = iface_frames(ifaces_[k], false);
    iv.ports.push_back({net::iface_name(pl_.shared().ifaces[ifaces_[k]]), per_iface[k],
                        rx - iface_prev_[k].first, tx - iface_prev_[k].second});
    iface_prev_[k] = {rx, tx};
  }
  const std::string line = scenario::timeline_line(iv);
  if (timeline_.is_open()) {
    timeline_ << line;
    timeline_.flush();
  }
  lines_.push_back(line);
  last_sample_ = now;
  // The progress line: the interval's rates over all groups, then each group's open count.
  std::string p = fmt(
      "scenario %5.1fs: %8.0f conn/s %8.0f req/s %8.4f Gbit/s  open %" PRIu64 "  errors %" PRIu64,
      iv.t_s, per_s(total_d.connects, iv.dt_s), per_s(total_d.responses, iv.dt_s),
      iv.dt_s > 0 ? static_cast<double>(total_d.tx_bytes + total_d.rx_bytes) * 8 / iv.dt_s / 1e9
                  : 0.0,
      total_d.open, total_d.errors());
  if (gen.groups() > 1)
    for (uint8_t g = 0; g < gen.groups(); ++g)
      p += fmt("  [%s %.0f/s open %" PRIu64 "]", sc_->groups[g].name.c_str(),
               per_s(groups_[g].last_d.connects, iv.dt_s), groups_[g].last_d.open);
  std::printf("%s\n", p.c_str());
  std::fflush(stdout);
}

scenario::Results ScenarioControl::results() {
  GenControl& gen = pl_.gen();
  scenario::Results r;
  r.elapsed_s = since_start(end_);
  Track& all = groups_.back();
  all.cum_c->reset();
  all.cum_r->reset();
  for (uint8_t g = 0; g < gen.groups(); ++g) {
    const gen::RunPlan& p = gen.group_plan(g);
    const net::PortIp& ip = pl_.shared().ifaces[p.port_id];
    Track& tr = groups_[g];
    tr.cum_c->reset();
    tr.cum_r->reset();
    gen.group_histograms(g, *tr.cum_c, *tr.cum_r);
    all.cum_c->merge_from(*tr.cum_c);
    all.cum_r->merge_from(*tr.cum_r);
    scenario::GroupResult gr;
    gr.name = sc_->groups[g].name;
    gr.spec = gen::to_string(p.spec);
    gr.port = ip.port_id;
    gr.vlan = ip.vlan;
    gr.destination = gen::destination(p.spec);
    gr.start_s = static_cast<double>(p.start_us) / 1e6;
    gr.elapsed_s = std::max(0.0, since_start(gen.group_end(g)) - gr.start_s);
    gr.t = gen.group_totals(g);
    gr.connect_us = tr.cum_c.get();
    gr.request_us = tr.cum_r.get();
    r.total = plus(r.total, gr.t);
    r.groups.push_back(std::move(gr));
  }
  r.connect_us = all.cum_c.get();
  r.request_us = all.cum_r.get();
  return r;
}

void ScenarioControl::finish() {
  GenControl& gen = pl_.gen();
  const worker::Tsc now = timer_now();
  end_ = start_;
  for (uint8_t g = 0; g < gen.groups(); ++g) end_ = std::max(end_, gen.group_end(g));
  // The last (partial) interval: the counts are final, so the lines add up
  // to the report's totals.
  if (now > last_sample_) sample(now);
  timeline_.close();
  const scenario::Results r = results();
  verdicts_ = scenario::evaluate(*sc_, r);
  status_ = scenario::exit_status(verdicts_);
  std::string out = fmt("scenario %s: %s after %.3f s\n", sc_->name.c_str(),
                        status_ == kPass ? "PASS" : "FAIL", r.elapsed_s);
  for (const scenario::GroupResult& g : r.groups)
    out += fmt("  %-12s %" PRIu64 " attempted, %" PRIu64 " established, %" PRIu64
               " completed, %" PRIu64 " errors, %" PRIu64 " responses; %.1f conn/s, %.1f req/s\n",
               g.name.c_str(), g.t.attempts, g.t.connects, g.t.completed, g.t.errors(),
               g.t.responses, per_s(g.t.connects, g.elapsed_s), per_s(g.t.responses, g.elapsed_s));
  for (const scenario::Verdict& v : verdicts_) out += "  " + scenario::verdict_line(v) + "\n";
  const std::string json = scenario::report_json(*sc_, r, verdicts_, sc_->outputs.interval_s);
  report_ = json;
  const auto write = [&](const std::string& name, const std::string& text) {
    if (name.empty()) return;
    std::ofstream f(path(name), std::ios::trunc);
    f << text;
    if (!f) {
      error_ = "cannot write " + path(name);
      PMX_LOG(ERR, "scenario: %s", error_.c_str());
      return;
    }
    out += "  wrote " + path(name) + "\n";
  };
  write(sc_->outputs.report_json, json);
  write(sc_->outputs.report_html, scenario::render_html(json, lines_));
  if (!sc_->outputs.timeline.empty()) out += "  wrote " + path(sc_->outputs.timeline) + "\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  state_ = State::Done;
  gen.set_quiet(false);
  if (batch_) pl_.request_quit();
}

std::string ScenarioControl::status_text() const {
  if (!sc_) return "no scenario run yet\n";
  const GenControl& gen = pl_.gen();
  const worker::Tsc now = state_ == State::Running ? timer_now() : end_;
  std::string s =
      fmt("scenario %s (%s): %s, %.1f s, outputs in %s\n", sc_->name.c_str(), sc_->file.c_str(),
          state_ == State::Running ? "running"
          : status_ == kPass       ? "done, PASS"
                                   : "done, FAIL",
          since_start(now), dir_.c_str());
  for (size_t g = 0; g < sc_->groups.size() && g < gen.groups(); ++g) {
    const gen::Totals t = gen.group_totals(static_cast<uint8_t>(g));
    const Track& tr = groups_[g];
    s += fmt("  %-12s %s  attempted %" PRIu64 "  established %" PRIu64 "  completed %" PRIu64
             "  errors %" PRIu64 "  open %" PRIu64 "  last %.1fs: %.0f conn/s %.0f req/s\n",
             sc_->groups[g].name.c_str(),
             gen.group_done(static_cast<uint8_t>(g)) ? "done   " : "running", t.attempts,
             t.connects, t.completed, t.errors(), t.open, tr.last_dt,
             per_s(tr.last_d.connects, tr.last_dt), per_s(tr.last_d.responses, tr.last_dt));
  }
  for (const scenario::Verdict& v : verdicts_) s += "  " + scenario::verdict_line(v) + "\n";
  return s;
}

std::string ScenarioControl::status_json() const {
  stats::Json j;
  j.obj();
  if (!sc_) return j.kv("state", "idle").end().text() + "\n";
  const GenControl& gen = pl_.gen();
  const worker::Tsc now = state_ == State::Running ? timer_now() : end_;
  j.kv("state", state_ == State::Running ? "running" : "done")
      .kv("name", sc_->name)
      .kv("file", sc_->file)
      .kv("out_dir", dir_)
      .kv("elapsed_s", since_start(now));
  if (state_ == State::Done)
    j.kv("verdict", status_ == kPass ? "pass" : "fail").kv("exit_status", status_);
  j.key("groups").arr();
  for (size_t g = 0; g < sc_->groups.size() && g < gen.groups(); ++g) {
    const gen::Totals t = gen.group_totals(static_cast<uint8_t>(g));
    const Track& tr = groups_[g];
    j.obj()
        .kv("name", sc_->groups[g].name)
        .kv("done", gen.group_done(static_cast<uint8_t>(g)))
        .kv("attempted", t.attempts)
        .kv("established", t.connects)
        .kv("completed", t.completed)
        .kv("errors", t.errors())
        .kv("open", t.open)
        .kv("responses", t.responses)
        .kv("last_interval_s", tr.last_dt)
        .kv("cps", per_s(tr.last_d.connects, tr.last_dt))
        .kv("rps", per_s(tr.last_d.responses, tr.last_dt))
        .end();
  }
  j.end();
  if (state_ == State::Done && !report_.empty()) j.key("report").raw(report_);
  j.key("criteria").arr();
  for (const scenario::Verdict& v : verdicts_)
    j.obj()
        .kv("scope", v.scope)
        .kv("name", v.name)
        .kv("limit", v.limit)
        .kv("measured", v.measured)
        .kv("pass", v.pass)
        .end();
  return j.end().end().text() + "\n";
}

void ScenarioControl::write_metrics(stats::MetricWriter& w) const {
  w.gauge("portmux_scenario_running", "1 while a scenario runs");
  w.value({}, uint64_t{state_ == State::Running ? 1u : 0u});
  if (!sc_) return;
  const GenControl& gen = pl_.gen();
  const size_t n = std::min<size_t>(sc_->groups.size(), gen.groups());
  std::vector<gen::Totals> t;
  for (size_t g = 0; g < n; ++g) t.push_back(gen.group_totals(static_cast<uint8_t>(g)));
  const auto family = [&](const char* name, const char* help, auto pick) {
    w.counter(name, help);
    for (size_t g = 0; g < n; ++g)
      w.value({{"scenario", sc_->name}, {"group", sc_->groups[g].name}}, uint64_t{pick(t[g])});
  };
  family("portmux_scenario_connections_attempted_total", "connections the group opened",
         [](const gen::Totals& x) { return x.attempts; });
  family("portmux_scenario_connections_established_total", "the group's connections established",
         [](const gen::Totals& x) { return x.connects; });
  family("portmux_scenario_connections_completed_total",
         "the group's connections that did all their requests",
         [](const gen::Totals& x) { return x.completed; });
  family("portmux_scenario_errors_total", "the group's failed connections (every kind)",
         [](const gen::Totals& x) { return x.errors(); });
  family("portmux_scenario_responses_total", "responses the group received",
         [](const gen::Totals& x) { return x.responses; });
  family("portmux_scenario_bytes_total", "request and response bytes of the group",
         [](const gen::Totals& x) { return x.tx_bytes + x.rx_bytes; });
  family("portmux_scenario_retransmits_total", "segments the group's connections sent again",
         [](const gen::Totals& x) { return x.retransmits; });
  w.gauge("portmux_scenario_open_connections", "the group's connections not yet finished");
  for (size_t g = 0; g < n; ++g)
    w.value({{"scenario", sc_->name}, {"group", sc_->groups[g].name}}, t[g].open);
  w.gauge("portmux_scenario_interval_connections_per_second",
          "connections the group established per second over the last timeline interval");
  for (size_t g = 0; g < n; ++g)
    w.value({{"scenario", sc_->name}, {"group", sc_->groups[g].name}},
            per_s(groups_[g].last_d.connects, groups_[g].last_dt));
}

}  // namespace pmx::control
