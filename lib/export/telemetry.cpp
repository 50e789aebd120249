#include "export/telemetry.hpp"

#include "control/conn_table.hpp"
#include "control/control_queue.hpp"
#include "control/gen_control.hpp"
#include "control/plane.hpp"
#include "export/metrics.hpp"
#include "net/addr.hpp"
#include "service/catalog.hpp"
#include "stats/log.hpp"

#include <rte_telemetry.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pmx::control {

namespace {

// What the callbacks reach; guarded, since attach/detach run on the control
// thread and the callbacks on the telemetry thread.
std::mutex g_mu;
std::shared_ptr<ControlQueue> g_queue;
Plane* g_plane = nullptr;

// Runs fn(Plane&) on the control thread; nullopt if detached or no answer.
template <class T, class F>
std::optional<T> on_control(F fn) {
  std::shared_ptr<ControlQueue> q;
  Plane* pl;
  {
    std::lock_guard lk(g_mu);
    q = g_queue;
    pl = g_plane;
  }
  if (!q) return std::nullopt;
  return q->call<T>([pl, fn] { return fn(*pl); }, std::chrono::milliseconds(kTelemetryWaitMs));
}

using NamedU64 = std::vector<std::pair<std::string, uint64_t>>;

int tcp_stats(const char*, const char*, rte_tel_data* d) {
  auto v = on_control<NamedU64>([](Plane& pl) {
    NamedU64 out;
    for (size_t i = 0; i < stats::kNumCounters; ++i) {
      if (!stats::kCounterInfo[i].name.starts_with("tcp_")) continue;
      const std::string name(stats::kCounterInfo[i].name);
      out.emplace_back(name, pl.counter_total(i));
      if (!counter_by_family(i)) continue;
      // The family split of Prometheus' `family` label: <name>_ipv4, <name>_ipv6.
      for (const bool v6 : {false, true}) {
        uint64_t sum = 0;
        for (const auto& w : pl.workers()) sum += counter_family_share(w->counters(), i, v6);
        out.emplace_back(name + (v6 ? "_ipv6" : "_ipv4"), sum);
      }
    }
    return out;
  });
  if (!v) return -EAGAIN;
  rte_tel_data_start_dict(d);
  for (const auto& [k, x] : *v) rte_tel_data_add_dict_u64(d, k.c_str(), x);
  return 0;
}

// net_af_packet ports' kernel ring counts (port/kernel_ring.hpp), as in
// 'show port stats': port<N>_rx_kernel_drops and port<N>_rx_kernel_frames.
int kernel_ring(const char*, const char*, rte_tel_data* d) {
  auto v = on_control<NamedU64>([](Plane& pl) {
    NamedU64 out;
    for (uint16_t id = 0; id < pl.nb_ports(); ++id)
      if (auto k = pl.kernel_ring(id)) {
        const std::string p = "port" + std::to_string(id);
        out.emplace_back(p + "_rx_kernel_drops", k->drops);
        out.emplace_back(p + "_rx_kernel_frames", k->frames);
      }
    return out;
  });
  if (!v) return -EAGAIN;
  rte_tel_data_start_dict(d);
  for (const auto& [k, x] : *v) rte_tel_data_add_dict_u64(d, k.c_str(), x);
  return 0;
}

int connections(const char*, const char* params, rte_tel_data* d) {
  const size_t offset = params && *params ? std::strtoull(params, nullptr, 10) : 0;
  auto v = on_control<std::vector<ConnLine>>([](Plane& pl) { return connection_lines(pl); });
  if (!v) return -EAGAIN;
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "total", v->size());
  rte_tel_data_add_dict_u64(d, "offset", offset);
  rte_tel_data* rows = rte_tel_data_alloc();
  if (!rows) return -ENOMEM;
  rte_tel_data_start_array(rows, RTE_TEL_STRING_VAL);
  for (size_t i = offset; i < v->size() && i < offset + kTelemetryConnRows; ++i)
    rte_tel_data_add_array_string(rows, join((*v)[i]).c_str());
  std::string cols;
  for (const char* c : kConnColumns) cols += std::string(cols.empty() ? "" : ",") + c;
  rte_tel_data_add_dict_string(d, "columns", cols.c_str());
  rte_tel_data_add_dict_container(d, "rows", rows, 0);
  return 0;
}

// A dict of columns: name -> array (strings or u64), one entry per row.
struct Columns {
  std::vector<std::pair<std::string, std::vector<std::string>>> text;
  std::vector<std::pair<std::string, std::vector<uint64_t>>> num;
};

int put_columns(const Columns& c, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  for (const auto& [name, vals] : c.text) {
    rte_tel_data* a = rte_tel_data_alloc();
    if (!a) return -ENOMEM;
    rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
    for (const auto& s : vals) rte_tel_data_add_array_string(a, s.c_str());
    rte_tel_data_add_dict_container(d, name.c_str(), a, 0);
  }
  for (const auto& [name, vals] : c.num) {
    rte_tel_data* a = rte_tel_data_alloc();
    if (!a) return -ENOMEM;
    rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
    for (uint64_t x : vals) rte_tel_data_add_array_u64(a, x);
    rte_tel_data_add_dict_container(d, name.c_str(), a, 0);
  }
  return 0;
}

int listeners(const char*, const char*, rte_tel_data* d) {
  auto v = on_control<Columns>([](Plane& pl) {
    Columns c;
    c.text = {{"address", {}}, {"service", {}}};
    c.num = {{"backlog", {}}, {"syn_recv", {}}, {"accepted", {}}, {"overflows", {}}};
    for (const auto& r : listener_rows(pl)) {
      c.text[0].second.push_back(r.address);
      c.text[1].second.emplace_back(service::name(r.spec.service.kind));
      for (auto [i, x] : {std::pair{0, uint64_t{r.spec.backlog}},
                          {1, r.syn_recv},
                          {2, r.accepted},
                          {3, r.overflows}})
        c.num[static_cast<size_t>(i)].second.push_back(x);
    }
    return c;
  });
  return v ? put_columns(*v, d) : -EAGAIN;
}

int flowtable(const char*, const char*, rte_tel_data* d) {
  auto v = on_control<Columns>([](Plane& pl) {
    const auto info = pl.flow_info();
    Columns c;
    c.num = {{"lcore", {}},           {"entries", {}},     {"capacity", {}},
             {"insert_failures", {}}, {"connections", {}}, {"buffers_in_use", {}},
             {"buffers_total", {}}};
    for (size_t i = 0; i < info.size(); ++i) {
      const auto& f = info[i];
      const uint64_t row[] = {pl.workers()[i]->lcore(),
                              f.entries,
                              f.capacity,
                              f.insert_failures,
                              f.conns,
                              f.bufs_in_use,
                              f.bufs_total};
      for (size_t k = 0; k < c.num.size(); ++k) c.num[k].second.push_back(row[k]);
    }
    return c;
  });
  return v ? put_columns(*v, d) : -EAGAIN;
}

// The generator's run (as 'show gen stats'): strings and whole numbers only
// (22.11's telemetry has no floating-point values), times in microseconds.
struct GenView {
  bool any = false;
  std::string spec, state;
  NamedU64 nums;
};

void add_latency(NamedU64& out, const std::string& p, const stats::LatencyHistogram* h) {
  const bool n = h && h->count();
  out.emplace_back(p + "_count", h ? h->count() : 0);
  for (const auto& [name, q] :
       {std::pair{"_p50_us", 50.0}, {"_p90_us", 90.0}, {"_p99_us", 99.0}, {"_p99_9_us", 99.9}})
    out.emplace_back(p + name, n ? h->percentile(q) : 0);
  out.emplace_back(p + "_max_us", n ? h->max() : 0);
}

int gen_stats(const char*, const char*, rte_tel_data* d) {
  auto v = on_control<GenView>([](Plane& pl) {
    GenView g;
    const auto r = pl.gen().last_report();
    if (!r) return g;
    g.any = true;
    g.spec = r->spec;
    g.state = r->state;
    const gen::Totals& t = r->t;
    g.nums = {{"elapsed_us", static_cast<uint64_t>(r->elapsed_s * 1e6)},
              {"attempted", t.attempts},
              {"established", t.connects},
              {"completed", t.completed},
              {"stopped", t.stopped},
              {"open", t.open},
              {"requests", t.requests},
              {"responses", t.responses},
              {"tx_bytes", t.tx_bytes},
              {"rx_bytes", t.rx_bytes},
              {"errors", t.errors()},
              {"err_refused", t.err_refused},
              {"err_reset", t.err_reset},
              {"err_connect_timeout", t.err_connect_timeout},
              {"err_timeout", t.err_timeout},
              {"err_bad_response", t.err_bad_response},
              {"err_ports_exhausted", t.err_ports},
              {"err_no_resources", t.err_no_resources}};
    add_latency(g.nums, "connect", r->connect_us);
    add_latency(g.nums, "request", r->request_us);
    return g;
  });
  if (!v) return -EAGAIN;
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "state", v->any ? v->state.c_str() : "none");
  if (!v->any) return 0;
  rte_tel_data_add_dict_string(d, "spec", v->spec.c_str());
  for (const auto& [k, x] : v->nums) rte_tel_data_add_dict_u64(d, k.c_str(), x);
  return 0;
}

void register_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::pair<const char*, telemetry_cb> cmds[] = {
        {"/portmux/tcp/stats", tcp_stats}, {"/portmux/connections", connections},
        {"/portmux/listeners", listeners}, {"/portmux/flowtable", flowtable},
        {"/portmux/gen/stats", gen_stats}, {"/portmux/port/kernel_ring", kernel_ring},
    };
    const char* help[] = {
        "TCP counters summed over workers (as 'show tcp stats'). No parameters",
        "Rows of 'show connections', 100 per reply. Parameter: first row (default 0)",
        "Listeners with backlog use, accepted handshakes and overflows. No parameters",
        "Per-lcore flow table entries, capacity, insert failures. No parameters",
        "The traffic generator's run under way or the last one (as 'show gen stats'). No "
        "parameters",
        "net_af_packet ports: frames the kernel dropped (ring full) and offered, since start. No "
        "parameters",
    };
    for (size_t i = 0; i < std::size(cmds); ++i)
      if (rte_telemetry_register_cmd(cmds[i].first, cmds[i].second, help[i]) != 0)
        PMX_LOG(WARNING, "telemetry: cannot register %s", cmds[i].first);
  });
}

}  // namespace

void telemetry_attach(std::shared_ptr<ControlQueue> q, Plane& pl) {
  register_once();
  std::lock_guard lk(g_mu);
  g_queue = std::move(q);
  g_plane = &pl;
}

void telemetry_detach() {
  std::lock_guard lk(g_mu);
  g_queue.reset();
  g_plane = nullptr;
}

}  // namespace pmx::control
