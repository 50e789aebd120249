#include "report.hpp"

#include "stats/json.hpp"

#include <cinttypes>
#include <cstdio>

namespace pmx::gen {

using stats::json_string;

Totals operator-(const Totals& a, const Totals& b) {
  Totals d;
  d.attempts = a.attempts - b.attempts;
  d.connects = a.connects - b.connects;
  d.requests = a.requests - b.requests;
  d.responses = a.responses - b.responses;
  d.completed = a.completed - b.completed;
  d.stopped = a.stopped - b.stopped;
  d.err_refused = a.err_refused - b.err_refused;
  d.err_reset = a.err_reset - b.err_reset;
  d.err_connect_timeout = a.err_connect_timeout - b.err_connect_timeout;
  d.err_timeout = a.err_timeout - b.err_timeout;
  d.err_bad_response = a.err_bad_response - b.err_bad_response;
  d.err_ports = a.err_ports - b.err_ports;
  d.err_no_resources = a.err_no_resources - b.err_no_resources;
  d.tx_bytes = a.tx_bytes - b.tx_bytes;
  d.rx_bytes = a.rx_bytes - b.rx_bytes;
  d.retransmits = a.retransmits - b.retransmits;
  d.open = a.open;
  return d;
}

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

double per_s(uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; }
double gbps(const Totals& t, double s) {
  return s > 0 ? static_cast<double>(t.tx_bytes + t.rx_bytes) * 8 / s / 1e9 : 0.0;
}

std::string latency_json(const stats::LatencyHistogram* h) {
  if (!h || h->count() == 0) return "{\"count\": 0}";
  return fmt("{\"count\": %" PRIu64 ", \"mean\": %.1f, \"p50\": %" PRIu64 ", \"p90\": %" PRIu64
             ", \"p99\": %" PRIu64 ", \"p99_9\": %" PRIu64 ", \"max\": %" PRIu64 "}",
             h->count(), static_cast<double>(h->sum()) / static_cast<double>(h->count()),
             h->percentile(50), h->percentile(90), h->percentile(99), h->percentile(99.9),
             h->max());
}

std::string latency_text(const char* name, const stats::LatencyHistogram* h) {
  if (!h || h->count() == 0) return fmt("  %-8s latency (us): no samples\n", name);
  return fmt("  %-8s latency (us): p50 %" PRIu64 "  p90 %" PRIu64 "  p99 %" PRIu64
             "  p99.9 %" PRIu64 "  max %" PRIu64 "  (%" PRIu64 " samples)\n",
             name, h->percentile(50), h->percentile(90), h->percentile(99), h->percentile(99.9),
             h->max(), h->count());
}

}  // namespace

std::string to_json(const Report& r) {
  const Totals& t = r.t;
  std::string j = "{\n";
  j += "  \"spec\": " + json_string(r.spec) + ",\n";
  j += "  \"state\": " + json_string(r.state) + ",\n";
  j += fmt("  \"port\": %d,\n", r.port);
  j += "  \"destination\": " + json_string(r.destination) + ",\n";
  j += fmt("  \"vlan\": %u,\n", unsigned{r.vlan});
  j += fmt("  \"elapsed_s\": %.3f,\n", r.elapsed_s);
  j += fmt("  \"connections\": {\"attempted\": %" PRIu64 ", \"established\": %" PRIu64
           ", \"completed\": %" PRIu64 ", \"stopped\": %" PRIu64 ", \"open\": %" PRIu64 "},\n",
           t.attempts, t.connects, t.completed, t.stopped, t.open);
  j += fmt("  \"requests\": {\"sent\": %" PRIu64 ", \"answered\": %" PRIu64 "},\n", t.requests,
           t.responses);
  j += fmt("  \"bytes\": {\"tx\": %" PRIu64 ", \"rx\": %" PRIu64 "},\n", t.tx_bytes, t.rx_bytes);
  j +=
      fmt("  \"errors\": {\"total\": %" PRIu64 ", \"refused\": %" PRIu64 ", \"reset\": %" PRIu64
          ", \"connect_timeout\": %" PRIu64 ", \"timeout\": %" PRIu64 ", \"bad_response\": %" PRIu64
          ", \"ports_exhausted\": %" PRIu64 ", \"no_resources\": %" PRIu64 "},\n",
          t.errors(), t.err_refused, t.err_reset, t.err_connect_timeout, t.err_timeout,
          t.err_bad_response, t.err_ports, t.err_no_resources);
  j += fmt("  \"rates\": {\"cps\": %.1f, \"rps\": %.1f, \"gbps\": %.4f},\n",
           per_s(t.connects, r.elapsed_s), per_s(t.responses, r.elapsed_s), gbps(t, r.elapsed_s));
  j += "  \"latency_us\": {\"connect\": " + latency_json(r.connect_us) +
       ", \"request\": " + latency_json(r.request_us) + "}\n";
  return j + "}\n";
}

std::string to_text(const Report& r) {
  const Totals& t = r.t;
  std::string s = "gen " + r.state + ": " + r.spec + "\n";
  if (r.port >= 0)  // "port 0", or "port 0.100" on a VLAN (show tcp stats' column)
    s += fmt("  port %d%s, to %s\n", r.port, r.vlan ? fmt(".%u", unsigned{r.vlan}).c_str() : "",
             r.destination.c_str());
  s += fmt("  %.3f s: %" PRIu64 " connections attempted, %" PRIu64 " established, %" PRIu64
           " completed, %" PRIu64 " stopped, %" PRIu64 " open\n",
           r.elapsed_s, t.attempts, t.connects, t.completed, t.stopped, t.open);
  s += fmt("  %" PRIu64 " requests, %" PRIu64 " responses; tx %" PRIu64 " B, rx %" PRIu64 " B\n",
           t.requests, t.responses, t.tx_bytes, t.rx_bytes);
  s += fmt("  rates: %.1f conn/s, %.1f req/s, %.4f Gbit/s\n", per_s(t.connects, r.elapsed_s),
           per_s(t.responses, r.elapsed_s), gbps(t, r.elapsed_s));
  s += latency_text("connect", r.connect_us);
  s += latency_text("request", r.request_us);
  s += fmt("  errors: %" PRIu64 " (refused %" PRIu64 ", reset %" PRIu64 ", connect timeout %" PRIu64
           ", timeout %" PRIu64 ", bad response %" PRIu64 ", ports exhausted %" PRIu64
           ", no resources %" PRIu64 ")\n",
           t.errors(), t.err_refused, t.err_reset, t.err_connect_timeout, t.err_timeout,
           t.err_bad_response, t.err_ports, t.err_no_resources);
  return s;
}

std::string progress_line(double elapsed_s, const Totals& d, double dt, const Totals& now) {
  return fmt("gen %5.0fs: %9.0f conn/s %9.0f req/s %8.4f Gbit/s  open %" PRIu64 "  errors %" PRIu64
             "\n",
             elapsed_s, per_s(d.connects, dt), per_s(d.responses, dt), gbps(d, dt), now.open,
             now.errors());
}

}  // namespace pmx::gen
