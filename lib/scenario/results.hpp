// A scenario run's results and their renderings: the timeline's lines, the
// criteria's verdicts and report.json. Pure: no DPDK, no I/O. The runner
// (lib/control/scenario_control.cpp) fills these from the workers' per-group
// statistics; the histograms of an Interval are that interval's samples only
// (LatencyHistogram::set_difference of two cumulative snapshots: no
// allocation and no extra work per sample on the workers).
//
// timeline.jsonl: one line per interval, in time order (docs/scenarios.md):
//   {"t": 3.000, "dt": 1.000,
//    "groups": [{"name": "short", "new": N, "established": N, "open": N,
//                "closed": {"completed": N, "stopped": N, "refused": N, "reset": N,
//                           "connect_timeout": N, "timeout": N, "bad_response": N,
//                           "ports_exhausted": N, "no_resources": N},
//                "errors": N, "requests": N, "responses": N, "tx_bytes": N, "rx_bytes": N,
//                "retransmits": N,
//                "cps": X, "rps": X, "gbps": X,
//                "connect_us": {"count": N, "p50": N, "p90": N, "p99": N, "max": N},
//                "request_us": {...same...}}, ...],
//    "ports": [{"interface": "0", "rx_frames": N, "tx_frames": N, then the same fields as a
//               group without name/latency: the sum over the groups on that interface}, ...],
//    "total": {the same fields as a group without name: the sum over all groups,
//              latency over all groups}}
//   Counts are the interval's (so the sum of a field over every line equals
//   report.json's total), except "open": the gauge at the interval's end.
//
// report.json (one object):
//   {"scenario": {"file", "name", "description", "yaml": the file's text},
//    "verdict": "pass" | "fail", "elapsed_s": X, "interval_s": X,
//    "total": {"connections": {"attempted","established","completed","stopped","open"},
//              "requests": {"sent","answered"}, "bytes": {"tx","rx"}, "retransmits": N,
//              "errors": {"total","refused","reset","connect_timeout","timeout",
//                         "bad_response","ports_exhausted","no_resources"},
//              "rates": {"cps","rps","gbps"},
//              "latency_us": {"connect": {"count","mean","p50","p90","p99","p99_9","max"},
//                             "request": {...}},
//              "latency_hist_us": {"connect": [[upper_us, count], ...non-empty buckets],
//                                  "request": [...]}},
//    "groups": [{"name", "spec": gen words, "port": P, "vlan": V, "destination",
//                "start_s", "elapsed_s", then the same fields as "total"}, ...],
//    "criteria": [{"scope": "overall" | group name, "name": "min_cps", "limit": X,
//                  "measured": X, "pass": true|false}, ...]}
#pragma once

#include "gen/report.hpp"
#include "scenario/scenario.hpp"
#include "stats/histogram.hpp"

#include <string>
#include <vector>

namespace pmx::scenario {

struct GroupSample {
  std::string name;
  gen::Totals d;  // the interval's change; d.open is the gauge at its end
  const stats::LatencyHistogram* connect_us = nullptr;  // the interval's samples
  const stats::LatencyHistogram* request_us = nullptr;
};

struct PortSample {
  std::string interface;                  // "0", "0.100" (net::iface_name)
  gen::Totals d;                          // the sum over the groups on this interface
  uint64_t rx_frames = 0, tx_frames = 0;  // the interface's, the interval's change
};

struct Interval {
  double t_s = 0;   // the interval's end, seconds since the scenario's start
  double dt_s = 0;  // its length
  std::vector<GroupSample> groups;
  std::vector<PortSample> ports;
  const stats::LatencyHistogram* connect_us = nullptr;  // all groups, the interval's
  const stats::LatencyHistogram* request_us = nullptr;
};

// One timeline line (a JSON object and '\n').
std::string timeline_line(const Interval& iv);

struct GroupResult {
  std::string name;
  std::string spec;  // gen::to_string of the group's GenSpec
  int port = -1;
  uint16_t vlan = 0;
  std::string destination;
  double start_s = 0;    // when it started, since the scenario's start
  double elapsed_s = 0;  // from its start to its last connection's end: its rates' time
  gen::Totals t;
  const stats::LatencyHistogram* connect_us = nullptr;
  const stats::LatencyHistogram* request_us = nullptr;
};

struct Results {
  double elapsed_s = 0;  // the whole scenario: the overall rates' time
  std::vector<GroupResult> groups;
  gen::Totals total;                                    // the sum over groups
  const stats::LatencyHistogram* connect_us = nullptr;  // merged over groups
  const stats::LatencyHistogram* request_us = nullptr;
};

struct Verdict {
  std::string scope;  // "overall" or the group's name
  std::string name;   // the criterion's key: "errors", "min_cps", ...
  double limit = 0;
  double measured = 0;
  bool pass = false;
};

// Every criterion that is set, overall first, then each group's in order.
std::vector<Verdict> evaluate(const Scenario& s, const Results& r);
// "FAIL min_cps (overall): measured 312.4, needs >= 500" / "pass errors (short): ..."
std::string verdict_line(const Verdict& v);
// 0 when every verdict passes (or there is none), 1 otherwise.
int exit_status(const std::vector<Verdict>& v);
std::string report_json(const Scenario& s, const Results& r, const std::vector<Verdict>& v,
                        double interval_s);

}  // namespace pmx::scenario
