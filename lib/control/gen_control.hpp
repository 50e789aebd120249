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
  const gen::RunPlan* run_plan() const { return plan_.get(); }

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
  std::unique_ptr<gen::RunPlan> plan_;     // the workers hold pointers into it
  std::unique_ptr<gen::RunPlan> retired_;  // the previous plan, until all workers moved on
  gen::Totals base_, last_;
  worker::Tsc start_tsc_, last_tsc_, end_tsc_;  // rte_get_timer_cycles()
  bool running_ = false;
  bool batch_ = false;
  std::string report_file_;
  std::unique_ptr<stats::LatencyHistogram> connect_, request_;
};

}  // namespace pmx::control
