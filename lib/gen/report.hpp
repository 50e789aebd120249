// A generator run's results: totals summed over workers, latency histograms
// merged over workers, and their renderings (the console report, the
// per-second progress line, the --gen-report JSON). Pure: no DPDK, no I/O.
#pragma once

#include "stats/histogram.hpp"

#include <cstdint>
#include <string>

namespace pmx::gen {

struct Totals {
  uint64_t attempts = 0, connects = 0, requests = 0, responses = 0, completed = 0, stopped = 0;
  // err_connect_timeout: never established (no SYN-ACK); err_timeout: after
  // ESTABLISHED. Each failed connection is counted under exactly one kind.
  uint64_t err_refused = 0, err_reset = 0, err_connect_timeout = 0, err_timeout = 0;
  uint64_t err_bad_response = 0;
  uint64_t err_ports = 0, err_no_resources = 0;
  uint64_t tx_bytes = 0, rx_bytes = 0;
  uint64_t retransmits = 0;  // segments the run's connections sent again (scenario groups)
  uint64_t open = 0;         // a gauge: connections not yet finished

  uint64_t errors() const {
    return err_refused + err_reset + err_connect_timeout + err_timeout + err_bad_response +
           err_ports + err_no_resources;
  }
  // Field-wise a - b for the counters (open is taken from a).
  friend Totals operator-(const Totals& a, const Totals& b);
};

struct Report {
  std::string spec;   // the run's words (to_string(GenSpec))
  std::string state;  // "running", "draining", "done"
  // The port the run's connections leave from (its 'Per port' column in
  // 'show tcp stats'), and their destination ADDR:PORT; -1 and "": no run.
  int port = -1;
  std::string destination;
  uint16_t vlan = 0;     // the run's interface is VLAN vlan of port (0: untagged)
  double elapsed_s = 0;  // since the start (to the end when done)
  Totals t;
  const stats::LatencyHistogram* connect_us = nullptr;
  const stats::LatencyHistogram* request_us = nullptr;
};

// {"spec": ..., "state": ..., "port": ..., "destination": ..., "elapsed_s": ..., "connections":
// {...}, "errors": {...},
//  "rates": {"cps":..., "rps":..., "gbps":...}, "latency_us": {"connect":
//  {"count","p50","p90","p99","p99_9","max","mean"}, "request": {...}}}
std::string to_json(const Report& r);
// The console report: several lines, each ending in '\n'.
std::string to_text(const Report& r);
// "gen   3s: 10234 conn/s  10234 req/s  0.12 Gbit/s  open 120  errors 0"
// from the change d over dt seconds.
std::string progress_line(double elapsed_s, const Totals& d, double dt, const Totals& now);

}  // namespace pmx::gen
