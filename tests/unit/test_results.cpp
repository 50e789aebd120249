// A scenario's results (lib/scenario/results.cpp): timeline lines add up to
// the totals, every criterion passes and fails where it should, and the
// verdict lines and report.json say what was measured.
#include "scenario/results.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace pmx::scenario {
namespace {

gen::Totals totals(uint64_t connects, uint64_t responses, uint64_t errors) {
  gen::Totals t;
  t.attempts = connects + errors;
  t.connects = connects;
  t.completed = connects;
  t.requests = t.responses = responses;
  t.err_refused = errors;
  t.tx_bytes = responses * 100;
  t.rx_bytes = responses * 1000;
  return t;
}

// The number after "key": in a JSON text (the first occurrence from pos).
double field(const std::string& j, const std::string& key, size_t pos = 0) {
  const size_t at = j.find("\"" + key + "\": ", pos);
  EXPECT_NE(at, std::string::npos) << key;
  return at == std::string::npos ? -1 : std::stod(j.substr(at + key.size() + 4));
}

struct Fixture : ::testing::Test {
  std::unique_ptr<stats::LatencyHistogram> c = std::make_unique<stats::LatencyHistogram>();
  std::unique_ptr<stats::LatencyHistogram> r = std::make_unique<stats::LatencyHistogram>();
  Scenario s;
  Results res;
  void SetUp() override {
    for (uint64_t v = 1; v <= 100; ++v) c->record(v * 10);   // p99 990 (991: bucket bound)
    for (uint64_t v = 1; v <= 100; ++v) r->record(v * 100);  // p99 9900
    s.name = "t";
    s.groups.resize(2);
    s.groups[0].name = "short";
    s.groups[1].name = "bulk";
    res.elapsed_s = 10;
    res.groups.resize(2);
    res.groups[0].name = "short";
    res.groups[0].elapsed_s = 10;
    res.groups[0].t = totals(5000, 5000, 0);  // 500 conn/s
    res.groups[1].name = "bulk";
    res.groups[1].elapsed_s = 5;
    res.groups[1].t = totals(10, 100, 3);  // 2 conn/s, 20 req/s
    res.total = totals(5010, 5100, 3);
    res.connect_us = c.get();
    res.request_us = r.get();
    res.groups[0].connect_us = res.groups[1].connect_us = c.get();
    res.groups[0].request_us = res.groups[1].request_us = r.get();
  }
};

using Results_ = Fixture;

TEST_F(Results_, EveryCriterionPassesAtItsLimit) {
  s.criteria.errors = 3;
  s.criteria.min_cps = 501;  // 5010 / 10 s
  s.criteria.min_rps = 510;
  s.criteria.min_established = 5010;
  s.criteria.max_connect_p99_us = c->percentile(99);  // 990 within bucket precision
  s.criteria.max_request_p99_us = r->percentile(99);
  s.criteria.min_gbps = 5100.0 * 1100 * 8 / 10 / 1e9;
  const auto v = evaluate(s, res);
  ASSERT_EQ(v.size(), 7u);
  for (const Verdict& x : v) EXPECT_TRUE(x.pass) << verdict_line(x);
  EXPECT_EQ(exit_status(v), 0);
  EXPECT_EQ(v[0].name, "errors");
  EXPECT_EQ(v[6].name, "min_gbps");
}

TEST_F(Results_, EveryCriterionFailsPastItsLimit) {
  s.criteria.errors = 2;
  s.criteria.min_cps = 502;
  s.criteria.min_rps = 511;
  s.criteria.min_established = 5011;
  s.criteria.max_connect_p99_us = c->percentile(99) - 1;
  s.criteria.max_request_p99_us = r->percentile(99) - 1;
  s.criteria.min_gbps = 1;
  const auto v = evaluate(s, res);
  ASSERT_EQ(v.size(), 7u);
  for (const Verdict& x : v) EXPECT_FALSE(x.pass) << verdict_line(x);
  EXPECT_EQ(exit_status(v), 1);
  EXPECT_EQ(verdict_line(v[1]), "FAIL min_cps (overall): measured 501, needs >= 502");
  EXPECT_EQ(verdict_line(v[0]), "FAIL errors (overall): measured 3, needs <= 2");
}

TEST_F(Results_, GroupCriteriaUseTheGroupsOwnTime) {
  s.groups[1].criteria.min_cps = 2;   // 10 in 5 s: passes
  s.groups[1].criteria.min_rps = 21;  // 100 in 5 s: fails
  s.groups[0].criteria.errors = 0;
  const auto v = evaluate(s, res);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].scope, "short");
  EXPECT_TRUE(v[0].pass);
  EXPECT_EQ(v[1].scope, "bulk");
  EXPECT_TRUE(v[1].pass);
  EXPECT_FALSE(v[2].pass);
  EXPECT_EQ(verdict_line(v[2]), "FAIL min_rps (bulk): measured 20, needs >= 21");
  EXPECT_EQ(verdict_line(v[1]), "pass min_cps (bulk): measured 2, needs >= 2");
}

TEST_F(Results_, LatencyWithoutSamplesFails) {
  auto empty = std::make_unique<stats::LatencyHistogram>();
  res.request_us = empty.get();
  s.criteria.max_request_p99_us = 1000000;
  const auto v = evaluate(s, res);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].pass);
  EXPECT_EQ(verdict_line(v[0]), "FAIL max_request_p99_us (overall): no samples, needs <= 1000000");
}

TEST_F(Results_, NoCriteriaPass) { EXPECT_EQ(exit_status(evaluate(s, res)), 0); }

// Three intervals whose counts add up to the run's: each line carries the
// interval's change, the sums over lines are the totals.
TEST_F(Results_, TimelineLinesSumToTheTotals) {
  const gen::Totals parts[3] = {totals(100, 90, 1), totals(250, 260, 0), totals(50, 50, 2)};
  uint64_t est = 0, resp = 0, err = 0, rx = 0;
  for (int i = 0; i < 3; ++i) {
    Interval iv;
    iv.t_s = i + 1;
    iv.dt_s = 1;
    iv.groups.push_back({"short", parts[i], c.get(), r.get()});
    iv.ports.push_back({"0", parts[i], 1000, 900});
    iv.connect_us = c.get();
    iv.request_us = r.get();
    const std::string line = timeline_line(iv);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    const size_t total = line.find("\"total\": {");
    ASSERT_NE(total, std::string::npos);
    est += static_cast<uint64_t>(field(line, "established", total));
    resp += static_cast<uint64_t>(field(line, "responses", total));
    err += static_cast<uint64_t>(field(line, "errors", total));
    rx += static_cast<uint64_t>(field(line, "rx_bytes", total));
    EXPECT_EQ(field(line, "cps"), static_cast<double>(parts[i].connects));
    EXPECT_EQ(field(line, "rx_frames"), 1000);
    EXPECT_EQ(field(line, "p99", line.find("\"connect_us\"")), c->percentile(99));
  }
  EXPECT_EQ(est, 400u);
  EXPECT_EQ(resp, 400u);
  EXPECT_EQ(err, 3u);
  EXPECT_EQ(rx, 400u * 1000);
}

TEST_F(Results_, ReportJsonCarriesTotalsGroupsAndVerdicts) {
  s.text = "name: \"t\"\n";
  s.criteria.errors = 0;
  const auto v = evaluate(s, res);
  const std::string j = report_json(s, res, v, 1.0);
  EXPECT_NE(j.find("\"verdict\": \"fail\""), std::string::npos);
  EXPECT_NE(j.find("\"yaml\": \"name: \\\"t\\\"\\u000a\""), std::string::npos);
  EXPECT_EQ(field(j, "established", j.find("\"total\"")), 5010);
  EXPECT_EQ(field(j, "established", j.find("\"name\": \"bulk\"")), 10);
  EXPECT_EQ(field(j, "cps", j.find("\"name\": \"bulk\"")), 2);
  EXPECT_NE(j.find("\"latency_hist_us\": {\"connect\": [["), std::string::npos);
  EXPECT_NE(j.find("{\"scope\": \"overall\", \"name\": \"errors\", \"limit\": 0, \"measured\": 3, "
                   "\"pass\": false}"),
            std::string::npos);
  EXPECT_EQ(j.find("nan"), std::string::npos);
  EXPECT_EQ(j.find("inf"), std::string::npos);
}

}  // namespace
}  // namespace pmx::scenario
