// The Prometheus exporter's body: every metric of docs/metrics.md, rendered
// on the control thread. Counters are the workers' own per-lcore words read
// with relaxed loads (a scrape costs a worker nothing); what lives in worker
// tables (flow table, listeners) comes by Plane's request path, cached for
// kViewMaxAgeMs so a scrape loop cannot turn into a stream of requests.
#pragma once

#include "worker/worker.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pmx::stats {
class MetricWriter;
}

namespace pmx::control {

class Plane;

class Exporter {
 public:
  static constexpr uint64_t kViewMaxAgeMs = 500;
  explicit Exporter(Plane& pl) : pl_(pl) {}

  // Control thread only.
  std::string render();
  // Control thread, every loop iteration: samples the busy ratio windows.
  void tick();

  // More families from other parts of the appliance (the traffic
  // generator's results and latency histograms, as MetricWriter::observe
  // writes them): called on the control thread at every scrape, after the
  // built-in families. A section writes whole families (family() then its
  // samples) under names nobody else uses, and reads workers the way the
  // rest does (relaxed loads, or Plane's request path).
  using Section = std::function<void(stats::MetricWriter&)>;
  void add_section(Section s) { sections_.push_back(std::move(s)); }

 private:
  void refresh_views();
  void write_build_info(stats::MetricWriter& w) const;
  void write_ports(stats::MetricWriter& w) const;
  void write_ifaces(stats::MetricWriter& w) const;
  void write_counters(stats::MetricWriter& w) const;
  void write_states(stats::MetricWriter& w) const;
  void write_flowtable(stats::MetricWriter& w) const;
  void write_listeners(stats::MetricWriter& w) const;
  void write_lcores(stats::MetricWriter& w) const;
  void write_mempool(stats::MetricWriter& w) const;

  Plane& pl_;
  std::vector<Section> sections_;
  uint64_t views_tsc_ = 0;
  std::vector<worker::FlowInfo> flows_;
  std::vector<std::vector<tcp::Listener>> listeners_;
  // Busy ratio over the last window of at least one second, per worker.
  struct Busy {
    uint64_t busy = 0, total = 0, tsc = 0;
    double ratio = 0;
  };
  std::vector<Busy> busy_;
};

// The metric name of data-path counter i (counters.def): drops are one
// family, portmux_drops_total{reason}; others portmux_<subsystem>_<name>_total.
std::string counter_metric_name(size_t i);
// Counters exported with a `family` label (docs/metrics.md): those of
// stats::Counters::kByFamily and tcp_curr_estab.
bool counter_by_family(size_t i);
// One lcore's IPv4 (v6 false) or IPv6 share of such a counter.
uint64_t counter_family_share(const stats::Counters& c, size_t i, bool v6);

}  // namespace pmx::control
