// The control plane's side of a scenario run (docs/scenarios.md): starts
// the scenario's client groups as one generator run (GenControl), samples
// every group's figures once per interval into timeline.jsonl (interval
// latency histograms are differences of cumulative snapshots: nothing is
// recorded twice and the workers do no extra work), prints a progress line
// per interval, and at the end evaluates the criteria and writes
// report.json and report.html. Control thread only.
#pragma once

#include "gen/report.hpp"
#include "scenario/results.hpp"
#include "scenario/scenario.hpp"
#include "stats/histogram.hpp"
#include "worker/clock.hpp"

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pmx::stats {
class MetricWriter;
}

namespace pmx::control {

class Plane;

class ScenarioControl {
 public:
  // Exit statuses of `portmux -- --scenario FILE` (docs/scenarios.md).
  static constexpr int kPass = 0, kFail = 1, kBadScenario = 2, kCannotStart = 3;

  explicit ScenarioControl(Plane& pl);
  ~ScenarioControl();

  // Starts s; its interfaces, servers and options are configured already
  // (start-up, or checked by `scenario run`). Outputs go to out_dir (or the
  // scenario's outputs.dir, else "."). "" or a one-line error.
  std::string start(const scenario::Scenario& s, const std::string& out_dir);
  // `scenario run FILE`: the appliance runs already, so the scenario's
  // interfaces must be configured as it says (addresses, gateways, routes:
  // checked, never changed), its servers are added as listeners where none
  // listens yet, and other options are refused (they apply at start-up).
  // "" or a one-line error naming the mismatch.
  std::string apply_at_runtime(const scenario::Scenario& s);
  std::string stop();  // the groups' open connections are reset; the report follows
  void poll();         // from the control loop
  // --scenario: quit when the run is over; run_status() is then the exit status.
  void set_batch() { batch_ = true; }
  int run_status() const { return status_; }
  bool running() const { return state_ == State::Running; }

  // `show scenario`: the run under way or the last one; the JSON view
  // carries report.json's content under "report" once it is done.
  std::string status_text() const;
  std::string status_json() const;
  // Prometheus: portmux_scenario_* (docs/metrics.md).
  void write_metrics(stats::MetricWriter& w) const;

 private:
  enum class State : uint8_t { Idle, Running, Done };
  struct Track {  // one group's (or the whole run's) sampling state
    gen::Totals prev;
    std::unique_ptr<stats::LatencyHistogram> cum_c, cum_r, prev_c, prev_r, iv_c, iv_r;
    gen::Totals last_d;  // the last interval's change (Prometheus, status)
    double last_dt = 0;
    Track();
  };
  void sample(worker::Tsc now);
  void finish();
  scenario::Results results();
  double since_start(worker::Tsc t) const;
  std::string path(const std::string& name) const;
  uint64_t iface_frames(uint16_t iface, bool rx) const;

  Plane& pl_;
  std::optional<scenario::Scenario> sc_;
  std::string dir_;
  State state_ = State::Idle;
  bool batch_ = false;
  int status_ = kPass;
  std::ofstream timeline_;
  std::vector<std::string> lines_;  // the timeline so far (report.html)
  worker::Tsc start_, last_sample_, next_sample_, end_;
  std::vector<Track> groups_;
  std::vector<uint16_t> ifaces_;  // the groups' interfaces in first-use order, then the others
  std::vector<std::pair<uint64_t, uint64_t>> iface_prev_;  // rx, tx frames
  std::vector<scenario::Verdict> verdicts_;
  std::string error_;   // why the run could not finish its outputs
  std::string report_;  // report.json's text, once done (show scenario's JSON carries it)
};

}  // namespace pmx::control
