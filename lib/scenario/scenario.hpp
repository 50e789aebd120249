// A test scenario (docs/scenarios.md): a YAML file that describes a whole
// test -- interfaces, servers, client traffic groups, pass/fail criteria and
// outputs -- parsed and validated before anything starts. Pure: no DPDK.
//
// Interfaces, servers and `options` are start-up configuration: the parser
// turns them into the command-line words they stand for (--addr, --gateway,
// --route, --listen, any other option by its long name), each checked by
// the options parser, so a scenario can say everything the command line can
// and a value means the same in both. Client groups are generator runs
// (GenSpec) with what a single `gen start` cannot say: a name, a total
// count apart from the concurrency cap, think time, a ramped rate and a
// start offset.
#pragma once

#include "gen/spec.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pmx::scenario {

// A scenario mistake: what() is ONE printable line naming the file, the
// line, the key's path and the expected form, e.g.
//   "s.yaml:7: clients[0].rate: bad value 'fast' (expected 0..100000000 connections per second)"
// The caller exits with status 2.
struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Pass/fail limits; an absent one is not checked. Overall (Scenario::criteria:
// over all groups together) or per group (Group::criteria).
struct Criteria {
  std::optional<uint64_t> errors;              // at most this many failed connections
  std::optional<double> min_cps;               // established connections per second, whole run
  std::optional<double> min_rps;               // responses per second, whole run
  std::optional<uint64_t> min_established;     // connections established in total
  std::optional<uint64_t> max_connect_p99_us;  // connect latency p99
  std::optional<uint64_t> max_request_p99_us;  // request latency p99
  std::optional<double> min_gbps;              // payload bytes both ways, Gbit/s
  bool empty() const {
    return !errors && !min_cps && !min_rps && !min_established && !max_connect_p99_us &&
           !max_request_p99_us && !min_gbps;
  }
  friend bool operator==(const Criteria&, const Criteria&) = default;
};

// One client traffic group: a generator run with a schedule.
//   spec: target (dst, dst_port), mode, method, sizes, reqs, src range,
//         close, cc, hystart, connect_timeout_ms as in `gen start`;
//         spec.conns is the CONCURRENCY CAP (connections open at once),
//         spec.rate the connection rate after the ramp-up, spec.duration_s
//         the length of the group's opening phase (0: until `count` opened).
//   count: total connections to open (0: no total, only duration ends it).
//   At least one of duration/count is set (the parser insists).
struct Group {
  std::string name;  // unique in the scenario; [A-Za-z0-9_.-]{1,32}
  gen::GenSpec spec;
  uint64_t count = 0;
  uint32_t think_ms = 0;   // pause between a response and the next request
  double ramp_up_s = 0;    // rate grows linearly from 0 to spec.rate over this
  double ramp_down_s = 0;  // ... and falls to 0 over the last ramp_down_s of duration
  double start_s = 0;      // offset from the scenario's start
  Criteria criteria;       // this group's own
  friend bool operator==(const Group&, const Group&) = default;
};

struct Outputs {
  double interval_s = 1.0;                  // timeline interval, 0.1 .. 60
  std::string dir;                          // "" : --out DIR, else the current directory
  std::string timeline = "timeline.jsonl";  // file names relative to dir ("" : not written)
  std::string report_json = "report.json";
  std::string report_html = "report.html";
  friend bool operator==(const Outputs&, const Outputs&) = default;
};

struct Scenario {
  std::string file;  // as given
  std::string name;  // `name:` or the file's stem
  std::string description;
  // interfaces + servers + options as command-line words, in file order,
  // e.g. {"--addr", "0=198.18.0.1/24", "--listen", "0.0.0.0:80=http,size=64"}:
  // the caller appends them to its own and runs control::parse_options.
  std::vector<std::string> option_words;
  std::vector<Group> groups;  // 1 .. kMaxGroups
  Criteria criteria;          // overall
  Outputs outputs;
  std::string text;  // the file's text (report.json's "scenario_yaml")
};

constexpr size_t kMaxGroups = 8;

// Reads and validates path. Throws ScenarioError.
Scenario load(const std::string& path);
// The same from text (unit tests, fuzzing); `file` names it in errors.
Scenario parse(const std::string& text, const std::string& file);

}  // namespace pmx::scenario
