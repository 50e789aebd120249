// The renderings of a scenario run (results.hpp): timeline lines, verdicts,
// report.json. Every number written is finite (JSON has no NaN or
// infinity): a rate over no time is 0.
#include "scenario/results.hpp"

#include "stats/json.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace pmx::scenario {

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[640];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

double finite(double x) { return std::isfinite(x) ? x : 0.0; }
double per_s(uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; }
double gbps(const gen::Totals& t, double s) {
  return s > 0 ? static_cast<double>(t.tx_bytes + t.rx_bytes) * 8 / s / 1e9 : 0.0;
}

std::string str(const std::string& s) { return stats::json_string(s); }

// {"count","p50","p90","p99","max"} of an interval.
std::string short_latency(const stats::LatencyHistogram* h) {
  if (!h || h->count() == 0)
    return "{\"count\": 0, \"p50\": 0, \"p90\": 0, \"p99\": 0, \"max\": 0}";
  return fmt("{\"count\": %" PRIu64 ", \"p50\": %" PRIu64 ", \"p90\": %" PRIu64
             ", \"p99\": %" PRIu64 ", \"max\": %" PRIu64 "}",
             h->count(), h->percentile(50), h->percentile(90), h->percentile(99), h->max());
}

std::string long_latency(const stats::LatencyHistogram* h) {
  if (!h || h->count() == 0)
    return "{\"count\": 0, \"mean\": 0, \"p50\": 0, \"p90\": 0, \"p99\": 0, \"p99_9\": 0, \"max\": "
           "0}";
  return fmt("{\"count\": %" PRIu64 ", \"mean\": %.1f, \"p50\": %" PRIu64 ", \"p90\": %" PRIu64
             ", \"p99\": %" PRIu64 ", \"p99_9\": %" PRIu64 ", \"max\": %" PRIu64 "}",
             h->count(), static_cast<double>(h->sum()) / static_cast<double>(h->count()),
             h->percentile(50), h->percentile(90), h->percentile(99), h->percentile(99.9),
             h->max());
}

// [[upper_us, count], ...] over the non-empty buckets.
std::string hist_json(const stats::LatencyHistogram* h) {
  std::string j = "[";
  if (h)
    h->for_each_bucket([&](uint64_t, uint64_t upper, uint64_t n) {
      j += fmt("%s[%" PRIu64 ", %" PRIu64 "]", j.size() > 1 ? ", " : "", upper, n);
    });
  return j + "]";
}

// The interval fields every timeline object shares (after its name).
std::string counts(const gen::Totals& d, double dt) {
  return fmt("\"new\": %" PRIu64 ", \"established\": %" PRIu64 ", \"open\": %" PRIu64
             ", \"closed\": {\"completed\": %" PRIu64 ", \"stopped\": %" PRIu64
             ", \"refused\": %" PRIu64 ", \"reset\": %" PRIu64 ", \"connect_timeout\": %" PRIu64
             ", \"timeout\": %" PRIu64 ", \"bad_response\": %" PRIu64
             ", \"ports_exhausted\": %" PRIu64 ", \"no_resources\": %" PRIu64 "}",
             d.attempts, d.connects, d.open, d.completed, d.stopped, d.err_refused, d.err_reset,
             d.err_connect_timeout, d.err_timeout, d.err_bad_response, d.err_ports,
             d.err_no_resources) +
         fmt(", \"errors\": %" PRIu64 ", \"requests\": %" PRIu64 ", \"responses\": %" PRIu64
             ", \"tx_bytes\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 ", \"retransmits\": %" PRIu64
             ", \"cps\": %.1f, \"rps\": %.1f, \"gbps\": %.6f",
             d.errors(), d.requests, d.responses, d.tx_bytes, d.rx_bytes, d.retransmits,
             finite(per_s(d.connects, dt)), finite(per_s(d.responses, dt)), finite(gbps(d, dt)));
}

// report.json's figures of a group or the total.
std::string totals_json(const gen::Totals& t, double s, const stats::LatencyHistogram* c,
                        const stats::LatencyHistogram* r) {
  return fmt("\"connections\": {\"attempted\": %" PRIu64 ", \"established\": %" PRIu64
             ", \"completed\": %" PRIu64 ", \"stopped\": %" PRIu64 ", \"open\": %" PRIu64
             "}, \"requests\": {\"sent\": %" PRIu64 ", \"answered\": %" PRIu64
             "}, \"bytes\": {\"tx\": %" PRIu64 ", \"rx\": %" PRIu64 "}, \"retransmits\": %" PRIu64,
             t.attempts, t.connects, t.completed, t.stopped, t.open, t.requests, t.responses,
             t.tx_bytes, t.rx_bytes, t.retransmits) +
         fmt(", \"errors\": {\"total\": %" PRIu64 ", \"refused\": %" PRIu64 ", \"reset\": %" PRIu64
             ", \"connect_timeout\": %" PRIu64 ", \"timeout\": %" PRIu64
             ", \"bad_response\": %" PRIu64 ", \"ports_exhausted\": %" PRIu64
             ", \"no_resources\": %" PRIu64 "}",
             t.errors(), t.err_refused, t.err_reset, t.err_connect_timeout, t.err_timeout,
             t.err_bad_response, t.err_ports, t.err_no_resources) +
         fmt(", \"rates\": {\"cps\": %.1f, \"rps\": %.1f, \"gbps\": %.6f}",
             finite(per_s(t.connects, s)), finite(per_s(t.responses, s)), finite(gbps(t, s))) +
         ", \"latency_us\": {\"connect\": " + long_latency(c) +
         ", \"request\": " + long_latency(r) +
         "}, \"latency_hist_us\": {\"connect\": " + hist_json(c) +
         ", \"request\": " + hist_json(r) + "}";
}

// The criteria of one scope, in Criteria's field order.
void judge(const Criteria& c, const std::string& scope, const gen::Totals& t, double s,
           const stats::LatencyHistogram* conn, const stats::LatencyHistogram* req,
           std::vector<Verdict>& out) {
  const auto at_most = [&](const char* name, double limit, double measured) {
    out.push_back({scope, name, limit, measured, measured <= limit});
  };
  const auto at_least = [&](const char* name, double limit, double measured) {
    out.push_back({scope, name, limit, measured, measured >= limit});
  };
  // A latency limit with no samples is not met: nothing was measured.
  const auto p99 = [&](const char* name, uint64_t limit, const stats::LatencyHistogram* h) {
    const bool none = !h || h->count() == 0;
    const double m = none ? 0.0 : static_cast<double>(h->percentile(99));
    out.push_back(
        {scope, name, static_cast<double>(limit), m, !none && m <= static_cast<double>(limit)});
  };
  if (c.errors) at_most("errors", static_cast<double>(*c.errors), static_cast<double>(t.errors()));
  if (c.min_cps) at_least("min_cps", *c.min_cps, finite(per_s(t.connects, s)));
  if (c.min_rps) at_least("min_rps", *c.min_rps, finite(per_s(t.responses, s)));
  if (c.min_established)
    at_least("min_established", static_cast<double>(*c.min_established),
             static_cast<double>(t.connects));
  if (c.max_connect_p99_us) p99("max_connect_p99_us", *c.max_connect_p99_us, conn);
  if (c.max_request_p99_us) p99("max_request_p99_us", *c.max_request_p99_us, req);
  if (c.min_gbps) at_least("min_gbps", *c.min_gbps, finite(gbps(t, s)));
}

bool is_max(const std::string& name) { return name == "errors" || name.starts_with("max_"); }

}  // namespace

std::string timeline_line(const Interval& iv) {
  std::string j = fmt("{\"t\": %.3f, \"dt\": %.3f, \"groups\": [", iv.t_s, iv.dt_s);
  gen::Totals total;
  for (size_t i = 0; i < iv.groups.size(); ++i) {
    const GroupSample& g = iv.groups[i];
    j += (i ? ", {\"name\": " : "{\"name\": ") + str(g.name) + ", " + counts(g.d, iv.dt_s) +
         ", \"connect_us\": " + short_latency(g.connect_us) +
         ", \"request_us\": " + short_latency(g.request_us) + "}";
  }
  j += "], \"ports\": [";
  for (size_t i = 0; i < iv.ports.size(); ++i) {
    const PortSample& p = iv.ports[i];
    j += (i ? ", {\"interface\": " : "{\"interface\": ") + str(p.interface) +
         fmt(", \"rx_frames\": %" PRIu64 ", \"tx_frames\": %" PRIu64 ", ", p.rx_frames,
             p.tx_frames) +
         counts(p.d, iv.dt_s) + "}";
  }
  // The total: the sum over the groups (each interface's sum is one part of it).
  for (const GroupSample& g : iv.groups) {
    const gen::Totals& d = g.d;
    total.attempts += d.attempts;
    total.connects += d.connects;
    total.requests += d.requests;
    total.responses += d.responses;
    total.completed += d.completed;
    total.stopped += d.stopped;
    total.err_refused += d.err_refused;
    total.err_reset += d.err_reset;
    total.err_connect_timeout += d.err_connect_timeout;
    total.err_timeout += d.err_timeout;
    total.err_bad_response += d.err_bad_response;
    total.err_ports += d.err_ports;
    total.err_no_resources += d.err_no_resources;
    total.tx_bytes += d.tx_bytes;
    total.rx_bytes += d.rx_bytes;
    total.retransmits += d.retransmits;
    total.open += d.open;
  }
  j += "], \"total\": {" + counts(total, iv.dt_s) +
       ", \"connect_us\": " + short_latency(iv.connect_us) +
       ", \"request_us\": " + short_latency(iv.request_us) + "}}\n";
  return j;
}

std::vector<Verdict> evaluate(const Scenario& s, const Results& r) {
  std::vector<Verdict> v;
  judge(s.criteria, "overall", r.total, r.elapsed_s, r.connect_us, r.request_us, v);
  for (size_t i = 0; i < s.groups.size() && i < r.groups.size(); ++i) {
    const GroupResult& g = r.groups[i];
    judge(s.groups[i].criteria, g.name, g.t, g.elapsed_s, g.connect_us, g.request_us, v);
  }
  return v;
}

std::string verdict_line(const Verdict& v) {
  const bool latency = v.name.ends_with("_p99_us");
  if (latency && v.measured == 0 && !v.pass)
    return fmt("FAIL %s (%s): no samples, needs <= %.10g", v.name.c_str(), v.scope.c_str(),
               v.limit);
  return fmt("%s %s (%s): measured %.6g, needs %s %.6g", v.pass ? "pass" : "FAIL", v.name.c_str(),
             v.scope.c_str(), v.measured, is_max(v.name) ? "<=" : ">=", v.limit);
}

int exit_status(const std::vector<Verdict>& v) {
  for (const Verdict& x : v)
    if (!x.pass) return 1;
  return 0;
}

std::string report_json(const Scenario& s, const Results& r, const std::vector<Verdict>& v,
                        double interval_s) {
  std::string j = "{\n  \"scenario\": {\"file\": " + str(s.file) + ", \"name\": " + str(s.name) +
                  ", \"description\": " + str(s.description) + ", \"yaml\": " + str(s.text) +
                  "},\n";
  j += "  \"verdict\": \"" + std::string(exit_status(v) ? "fail" : "pass") + "\",\n";
  j += fmt("  \"elapsed_s\": %.3f,\n  \"interval_s\": %.3f,\n", r.elapsed_s, interval_s);
  j += "  \"total\": {" + totals_json(r.total, r.elapsed_s, r.connect_us, r.request_us) + "},\n";
  j += "  \"groups\": [";
  for (size_t i = 0; i < r.groups.size(); ++i) {
    const GroupResult& g = r.groups[i];
    j += std::string(i ? ",\n    " : "\n    ") + "{\"name\": " + str(g.name) +
         ", \"spec\": " + str(g.spec) +
         fmt(", \"port\": %d, \"vlan\": %u, ", g.port, unsigned{g.vlan}) +
         "\"destination\": " + str(g.destination) +
         fmt(", \"start_s\": %.3f, \"elapsed_s\": %.3f, ", g.start_s, g.elapsed_s) +
         totals_json(g.t, g.elapsed_s, g.connect_us, g.request_us) + "}";
  }
  j += "\n  ],\n  \"criteria\": [";
  for (size_t i = 0; i < v.size(); ++i)
    j += std::string(i ? ",\n    " : "\n    ") + "{\"scope\": " + str(v[i].scope) +
         ", \"name\": " + str(v[i].name) +
         fmt(", \"limit\": %.10g, \"measured\": %.10g, \"pass\": %s}", finite(v[i].limit),
             finite(v[i].measured), v[i].pass ? "true" : "false");
  return j + "\n  ]\n}\n";
}

}  // namespace pmx::scenario
