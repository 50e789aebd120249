#include "export/metrics.hpp"

#include "control/plane.hpp"
#include "net/addr.hpp"
#include "service/catalog.hpp"
#include "stats/metric_writer.hpp"

#include "portmux_config.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include <array>
#include <string_view>

namespace pmx::control {

using stats::MetricWriter;

namespace {

// Counter name prefixes that already name a subsystem; others get
// "worker_" (rx_frames -> portmux_worker_rx_frames_total); gen_ is the
// traffic generator's.
constexpr std::string_view kSubsystems[] = {"tcp_",   "arp_", "ipv4_",  "icmp_", "ipv6_",
                                            "icmp6_", "nd_",  "neigh_", "gen_",  "http_"};

// A counter that is really a gauge (its help text says so): exported as one.
bool is_gauge(size_t i) { return i == static_cast<size_t>(stats::Ctr::tcp_curr_estab); }

const char* family_name(bool v6) { return v6 ? "ipv6" : "ipv4"; }

// Counter i of one lcore: one value, or one per address family for the
// counters whose IPv4 and IPv6 counts differ in meaning to an operator.
void write_counter(MetricWriter& w, const std::string& lcore, const stats::Counters& c, size_t i) {
  if (!counter_by_family(i)) {
    w.value({{"lcore", lcore}}, c.load(i));
    return;
  }
  for (const bool v6 : {false, true})
    w.value({{"lcore", lcore}, {"family", family_name(v6)}}, counter_family_share(c, i, v6));
}

struct PortSample {
  rte_eth_stats s{};
  std::vector<rte_eth_xstat> xs;
  std::vector<rte_eth_xstat_name> names;
  rte_eth_link link{};
};

PortSample sample_port(uint16_t id) {
  PortSample p;
  rte_eth_stats_get(id, &p.s);
  const int n = rte_eth_xstats_get(id, nullptr, 0);
  if (n > 0) {
    p.xs.resize(static_cast<size_t>(n));
    p.names.resize(static_cast<size_t>(n));
    const int got = rte_eth_xstats_get(id, p.xs.data(), static_cast<unsigned>(n));
    const int gotn = rte_eth_xstats_get_names(id, p.names.data(), static_cast<unsigned>(n));
    if (got != n || gotn != n) p.xs.clear();
  }
  rte_eth_link_get_nowait(id, &p.link);
  return p;
}

}  // namespace

std::string counter_metric_name(size_t i) {
  const auto& c = stats::kCounterInfo[i];
  if (c.drop) return "portmux_drops_total";
  std::string n = "portmux_";
  bool has_subsystem = false;
  for (auto s : kSubsystems) has_subsystem |= c.name.starts_with(s);
  if (!has_subsystem) n += "worker_";  // rx_frames, tx_frames
  n += c.name;
  if (!is_gauge(i)) n += "_total";
  return n;
}

bool counter_by_family(size_t i) {
  for (const stats::Ctr c : stats::Counters::kByFamily)
    if (static_cast<size_t>(c) == i) return true;
  return i == static_cast<size_t>(stats::Ctr::tcp_curr_estab);
}

// tcp_curr_estab (RFC 4022: ESTABLISHED and CLOSE-WAIT) comes from the
// per-family state gauge, the others from their IPv6 share.
uint64_t counter_family_share(const stats::Counters& c, size_t i, bool v6) {
  if (i == static_cast<size_t>(stats::Ctr::tcp_curr_estab))
    return c.in_state(static_cast<size_t>(tcp::State::Established), v6) +
           c.in_state(static_cast<size_t>(tcp::State::CloseWait), v6);
  return c.get(static_cast<stats::Ctr>(i), v6);
}

void Exporter::refresh_views() {
  const uint64_t now = rte_get_timer_cycles();
  if (views_tsc_ && now - views_tsc_ < rte_get_timer_hz() * kViewMaxAgeMs / 1000) return;
  views_tsc_ = now;
  flows_ = pl_.flow_info();
  listeners_ = pl_.listener_info();
}

std::string Exporter::render() {
  refresh_views();
  MetricWriter w;
  write_build_info(w);
  write_ports(w);
  write_ifaces(w);
  write_counters(w);
  write_states(w);
  write_flowtable(w);
  write_listeners(w);
  write_lcores(w);
  write_mempool(w);
  for (const auto& section : sections_) section(w);
  return w.take();
}

void Exporter::write_build_info(MetricWriter& w) const {
  w.gauge("portmux_build_info", "always 1; labels name the portmux and DPDK versions");
  w.value({{"version", PORTMUX_VERSION}, {"dpdk", rte_version()}, {"compiler", __VERSION__}},
          uint64_t{1});
}

void Exporter::write_ports(MetricWriter& w) const {
  std::vector<PortSample> ps;
  std::vector<std::string> ids;
  for (uint16_t id = 0; id < pl_.nb_ports(); ++id) {
    ps.push_back(sample_port(id));
    ids.push_back(std::to_string(id));
  }
  struct Field {
    const char* name;
    const char* help;
    uint64_t rte_eth_stats::*f;
  };
  static constexpr Field kFields[] = {
      {"portmux_port_rx_packets_total", "packets received (ethdev ipackets)",
       &rte_eth_stats::ipackets},
      {"portmux_port_rx_bytes_total", "bytes received (ethdev ibytes)", &rte_eth_stats::ibytes},
      {"portmux_port_rx_missed_packets_total", "packets the NIC dropped: RX queue full (imissed)",
       &rte_eth_stats::imissed},
      {"portmux_port_rx_errors_total", "erroneous packets received (ierrors)",
       &rte_eth_stats::ierrors},
      {"portmux_port_rx_nombuf_total", "RX mbuf allocation failures (rx_nombuf)",
       &rte_eth_stats::rx_nombuf},
      {"portmux_port_tx_packets_total", "packets sent (ethdev opackets)", &rte_eth_stats::opackets},
      {"portmux_port_tx_bytes_total", "bytes sent (ethdev obytes)", &rte_eth_stats::obytes},
      {"portmux_port_tx_errors_total", "packets the NIC failed to send (oerrors)",
       &rte_eth_stats::oerrors},
  };
  for (const auto& f : kFields) {
    w.counter(f.name, f.help);
    for (size_t p = 0; p < ps.size(); ++p) w.value({{"port", ids[p]}}, ps[p].s.*f.f);
  }
  std::vector<std::optional<port::KernelRingStats>> kring;
  for (uint16_t id = 0; id < pl_.nb_ports(); ++id) kring.push_back(pl_.kernel_ring(id));
  w.counter("portmux_port_rx_kernel_drops_total",
            "frames the kernel dropped before the PMD saw them: its ring was full "
            "(net_af_packet ports, PACKET_STATISTICS)");
  for (size_t p = 0; p < ps.size(); ++p)
    if (kring[p]) w.value({{"port", ids[p]}}, kring[p]->drops);
  w.counter("portmux_port_xstats_total",
            "the port's extended statistics (rte_eth_xstats), by name");
  for (size_t p = 0; p < ps.size(); ++p) {
    for (size_t i = 0; i < ps[p].xs.size(); ++i)
      w.value({{"port", ids[p]}, {"name", ps[p].names[ps[p].xs[i].id].name}}, ps[p].xs[i].value);
    if (kring[p]) w.value({{"port", ids[p]}, {"name", "rx_kernel_drops"}}, kring[p]->drops);
  }
  w.gauge("portmux_port_link_up", "1 if the port's link is up");
  for (size_t p = 0; p < ps.size(); ++p)
    w.value({{"port", ids[p]}}, uint64_t{ps[p].link.link_status == RTE_ETH_LINK_UP});
  // Prometheus' base unit for data is bytes (promtool lints bits).
  w.gauge("portmux_port_link_speed_bytes_per_second", "link speed the PMD reports");
  for (size_t p = 0; p < ps.size(); ++p)
    w.value({{"port", ids[p]}}, uint64_t{ps[p].link.link_speed} * 1000000 / 8);
}

// Per interface (a port's untagged one, "0", and its VLANs, "0.100"):
// frames after untagging and TCP opens/CurrEstab, summed over workers
// (stats::Counters::port; interfaces from kIfaces on are in the totals only).
void Exporter::write_ifaces(MetricWriter& w) const {
  using P = stats::Counters;
  struct Field {
    const char* name;
    const char* help;
    P::PortCtr c;
    bool gauge;
  };
  static constexpr Field kFields[] = {
      {"portmux_interface_rx_frames_total", "frames received on the interface (after untagging)",
       P::kIfaceRxFrames, false},
      {"portmux_interface_tx_frames_total", "frames sent from the interface", P::kIfaceTxFrames,
       false},
      {"portmux_interface_tcp_active_opens_total", "connections opened from the interface",
       P::kPortActiveOpens, false},
      {"portmux_interface_tcp_passive_opens_total", "connections accepted on the interface",
       P::kPortPassiveOpens, false},
      {"portmux_interface_tcp_curr_estab", "connections ESTABLISHED or CLOSE_WAIT on the interface",
       P::kPortCurrEstab, true},
  };
  const auto& ifaces = pl_.shared().ifaces;
  for (const auto& f : kFields) {
    if (f.gauge)
      w.gauge(f.name, f.help);
    else
      w.counter(f.name, f.help);
    for (uint16_t i = 0; i < ifaces.size() && i < P::kIfaces; ++i) {
      if (!pl_.iface_enabled(i)) continue;
      uint64_t v = 0;
      for (const auto& wk : pl_.workers()) v += wk->counters().get_port(i, f.c);
      w.value({{"interface", net::iface_name(ifaces[i])},
               {"port", std::to_string(ifaces[i].port_id)},
               {"vlan", std::to_string(ifaces[i].vlan)}},
              v);
    }
  }
}

void Exporter::write_counters(MetricWriter& w) const {
  const auto& ws = pl_.workers();
  std::vector<std::string> lcores;
  for (const auto& wk : ws) lcores.push_back(std::to_string(wk->lcore()));
  for (size_t i = 0; i < stats::kNumCounters; ++i) {
    const auto& c = stats::kCounterInfo[i];
    if (c.drop) continue;
    if (is_gauge(i))
      w.gauge(counter_metric_name(i), c.help);
    else
      w.counter(counter_metric_name(i), c.help);
    for (size_t k = 0; k < ws.size(); ++k) write_counter(w, lcores[k], ws[k]->counters(), i);
  }
  // Every dropped frame counts in exactly one reason (counters.def).
  w.counter("portmux_drops_total", "frames dropped, by lcore and reason (see docs/metrics.md)");
  for (size_t i = 0; i < stats::kNumCounters; ++i) {
    const auto& c = stats::kCounterInfo[i];
    if (!c.drop) continue;
    for (size_t k = 0; k < ws.size(); ++k)
      w.value({{"lcore", lcores[k]}, {"reason", c.name}}, ws[k]->counters().load(i));
  }
}

void Exporter::write_states(MetricWriter& w) const {
  w.gauge("portmux_tcp_connections",
          "connections by lcore, address family and TCP state (netstat's names)");
  for (const auto& wk : pl_.workers()) {
    const std::string lc = std::to_string(wk->lcore());
    for (const bool v6 : {false, true})
      for (auto s = static_cast<size_t>(tcp::State::SynSent);
           s <= static_cast<size_t>(tcp::State::TimeWait); ++s)
        w.value({{"lcore", lc},
                 {"family", family_name(v6)},
                 {"state", tcp::state_name(static_cast<tcp::State>(s))}},
                wk->counters().in_state(s, v6));
  }
}

void Exporter::write_flowtable(MetricWriter& w) const {
  struct Field {
    const char* name;
    const char* help;
    bool counter;
    uint64_t worker::FlowInfo::*f;
  };
  static constexpr Field kFields[] = {
      {"portmux_flowtable_entries", "4-tuples in the lcore's flow table", false,
       &worker::FlowInfo::entries},
      {"portmux_flowtable_capacity_entries", "the flow table's size (--max-flows)", false,
       &worker::FlowInfo::capacity},
      {"portmux_flowtable_insert_failures_total", "4-tuples the flow table refused", true,
       &worker::FlowInfo::insert_failures},
      {"portmux_tcp_buffers_in_use", "send/receive buffers in use", false,
       &worker::FlowInfo::bufs_in_use},
      {"portmux_tcp_buffers_capacity", "send/receive buffers (--tcp-buffers)", false,
       &worker::FlowInfo::bufs_total},
  };
  const auto& ws = pl_.workers();
  for (const auto& f : kFields) {
    w.family(f.name, f.counter ? MetricWriter::Type::counter : MetricWriter::Type::gauge, f.help);
    for (size_t k = 0; k < flows_.size() && k < ws.size(); ++k)
      w.value({{"lcore", std::to_string(ws[k]->lcore())}}, flows_[k].*f.f);
  }
}

void Exporter::write_listeners(MetricWriter& w) const {
  struct Field {
    const char* name;
    const char* help;
    bool counter;
    uint64_t (*get)(const tcp::Listener&);
  };
  static constexpr Field kFields[] = {
      {"portmux_listener_backlog_overflows_total", "SYNs refused: the SYN backlog was full", true,
       [](const tcp::Listener& l) { return l.overflows; }},
      {"portmux_listener_accepted_total", "handshakes completed", true,
       [](const tcp::Listener& l) { return l.accepted; }},
      {"portmux_listener_syn_recv_connections", "connections in SYN_RECV", false,
       [](const tcp::Listener& l) { return uint64_t{l.syn_recv}; }},
  };
  const auto& ws = pl_.workers();
  for (const auto& f : kFields) {
    w.family(f.name, f.counter ? MetricWriter::Type::counter : MetricWriter::Type::gauge, f.help);
    for (size_t k = 0; k < listeners_.size() && k < ws.size(); ++k)
      for (const auto& l : listeners_[k]) {
        const std::string addr = net::endpoint_string(l.spec.ip, l.spec.port);
        w.value({{"lcore", std::to_string(ws[k]->lcore())},
                 {"listener", addr},
                 {"service", service::name(l.spec.service.kind)}},
                f.get(l));
      }
  }
}

// Each worker's busy ratio over the last whole window of at least one
// second, sampled by the control loop, so a gauge does not depend on when
// or how often anyone scrapes.
void Exporter::tick() {
  const auto& ws = pl_.workers();
  const uint64_t now = rte_get_timer_cycles();
  busy_.resize(ws.size());
  for (size_t k = 0; k < ws.size(); ++k) {
    Busy& b = busy_[k];
    if (b.tsc && now - b.tsc < rte_get_timer_hz()) continue;  // window under 1 s
    const auto [busy, total] = ws[k]->loop_cycles();
    if (b.tsc && total > b.total)
      b.ratio = static_cast<double>(busy - b.busy) / static_cast<double>(total - b.total);
    b = {busy, total, now, b.ratio};
  }
}

void Exporter::write_lcores(MetricWriter& w) const {
  const auto& ws = pl_.workers();
  const double hz = static_cast<double>(rte_get_tsc_hz());
  w.gauge("portmux_lcore_busy_ratio",
          "share of the worker loop's time spent in iterations that received frames, over the "
          "last whole second (sampled by the control loop, 1 to 1.1 s windows)");
  for (size_t k = 0; k < ws.size(); ++k)
    w.value({{"lcore", std::to_string(ws[k]->lcore())}}, k < busy_.size() ? busy_[k].ratio : 0.0);
  std::vector<worker::Worker::LoopCycles> c;
  for (const auto& wk : ws) c.push_back(wk->loop_cycles());
  w.counter("portmux_lcore_busy_seconds_total", "time in loop iterations that received frames");
  for (size_t k = 0; k < ws.size(); ++k)
    w.value({{"lcore", std::to_string(ws[k]->lcore())}}, static_cast<double>(c[k].busy) / hz);
  w.counter("portmux_lcore_loop_seconds_total", "time in the worker loop");
  for (size_t k = 0; k < ws.size(); ++k)
    w.value({{"lcore", std::to_string(ws[k]->lcore())}}, static_cast<double>(c[k].total) / hz);
}

void Exporter::write_mempool(MetricWriter& w) const {
  rte_mempool* mp = pl_.pool();
  w.gauge("portmux_mbuf_pool_in_use",
          "mbufs taken from the pool (mbufs in per-lcore caches count as free)");
  w.value({{"pool", mp->name}}, uint64_t{rte_mempool_in_use_count(mp)});
  w.gauge("portmux_mbuf_pool_size", "mbufs in the pool");
  w.value({{"pool", mp->name}}, uint64_t{mp->size});
}

}  // namespace pmx::control
