// The control plane's side of the traffic generator: turns a GenSpec into a
// RunPlan (port, source addresses, per-worker tuple pools steered by the
// port's RSS), starts and stops it on every worker by message, prints a
// progress line per second and the final report, and writes --gen-report.
// Runs on the control thread only; reads the workers' counters and
// histograms without locks (they are single-writer).
#pragma once

#include "gen/generator.hpp"
#include "gen/report.hpp"
#include "worker/clock.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pmx::stats {
class MetricWriter;
}

namespace pmx::control {

class Plane;

class GenControl {
 public:
  explicit GenControl(Plane& pl);
  ~GenControl();

  std::string start(const gen::GenSpec& s);  // "" or a one-line error
  // A run of several groups at once (a scenario's clients): each template
  // holds a group's spec and schedule (RunPlan's count, think_ms, start_us,
  // ramps); the port, sources and steering are planned here. "" or one line
  // naming the group ("group 1: no route to ...").
  std::string start_groups(const std::vector<gen::RunPlan>& templates);
  bool running() const { return running_; }
  // The current or last run's groups (0: none yet) and their figures, summed
  // over workers. Control thread only.
  uint8_t groups() const { return run_ ? run_->set.n : 0; }
  const gen::RunPlan& group_plan(uint8_t g) const { return *run_->plans[g]; }
  gen::Totals group_totals(uint8_t g) const;
  // Merges group g's histograms over the workers into connect/request
  // (which the caller resets first if it wants only these).
  void group_histograms(uint8_t g, stats::LatencyHistogram& connect,
                        stats::LatencyHistogram& request) const;
  // Every worker's share of group g is Done; its end (timer cycles).
  bool group_done(uint8_t g) const;
  worker::Tsc group_end(uint8_t g) const;
  worker::Tsc start_tsc() const { return start_tsc_; }
  // While a scenario runs, it prints its own progress and report.
  void set_quiet(bool q) { quiet_ = q; }
  std::string stop();
  // From the control loop (every <= 100 ms): progress and the end of a run.
  void poll();
  // show gen stats: the run under way, or the last one.
  std::string show();
  // The same as a Report (nullopt before the first run); its histogram
  // pointers stay valid until the next call. Control thread only.
  std::optional<gen::Report> last_report();
  // The Prometheus families of docs/metrics.md's generator section.
  void write_metrics(stats::MetricWriter& w) const;
  // --gen: when the run ends, write the report there (if set) and quit.
  void set_batch(std::string report_file);
  // Not enough source tuples for the run's connections on some worker: one
  // line with the numbers, or "" (also logged at start).
  std::string tuple_warning(const gen::RunPlan& p) const;
  const gen::RunPlan* run_plan() const { return run_ ? run_->plans[0].get() : nullptr; }

 private:
  gen::Totals totals() const;
  gen::Report report();
  std::string plan(const gen::GenSpec& s, gen::RunPlan& p) const;
  std::string plan6(const gen::GenSpec& s, gen::RunPlan& p, port::RangeSpec& rs) const;
  std::string steer(gen::RunPlan& p, port::RangeSpec& rs) const;
  uint16_t route_iface(const net::IpAddr& dst) const;
  void finish_run();

  Plane& pl_;
  bool selftest_ok_ = false;
  // A run's plans and the set the workers get: they hold pointers into
  // both, so the previous run is freed only once every worker took the next.
  struct Run {
    std::vector<std::unique_ptr<gen::RunPlan>> plans;
    gen::RunSet set;
  };
  std::unique_ptr<Run> run_;
  std::unique_ptr<Run> retired_;
  bool quiet_ = false;
  gen::Totals base_, last_;
  worker::Tsc start_tsc_, last_tsc_, end_tsc_;  // rte_get_timer_cycles()
  bool running_ = false;
  bool batch_ = false;
  std::string report_file_;
  std::unique_ptr<stats::LatencyHistogram> connect_, request_;
};

}  // namespace pmx::control
