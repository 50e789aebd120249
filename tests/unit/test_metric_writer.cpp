// The Prometheus text format writer (lib/stats/metric_writer.hpp): escaping,
// number spellings and histogram layout, per the exposition format 0.0.4.
#include "stats/metric_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace pmx::stats {
namespace {

TEST(MetricWriter, CounterFamilyWithLabels) {
  MetricWriter w;
  w.counter("portmux_tcp_passive_opens_total", "tcpPassiveOpens: LISTEN -> SYN_RECV");
  w.value({{"lcore", "1"}}, uint64_t{42});
  w.value({{"lcore", "2"}}, uint64_t{18446744073709551615u});
  EXPECT_EQ(w.text(),
            "# HELP portmux_tcp_passive_opens_total tcpPassiveOpens: LISTEN -> SYN_RECV\n"
            "# TYPE portmux_tcp_passive_opens_total counter\n"
            "portmux_tcp_passive_opens_total{lcore=\"1\"} 42\n"
            "portmux_tcp_passive_opens_total{lcore=\"2\"} 18446744073709551615\n");
}

TEST(MetricWriter, GaugeWithoutLabels) {
  MetricWriter w;
  w.gauge("portmux_mbuf_pool_in_use", "mbufs");
  w.value({}, 0.5);
  EXPECT_EQ(w.text(),
            "# HELP portmux_mbuf_pool_in_use mbufs\n"
            "# TYPE portmux_mbuf_pool_in_use gauge\n"
            "portmux_mbuf_pool_in_use 0.5\n");
}

TEST(MetricWriter, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(MetricWriter::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(MetricWriter::escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
  MetricWriter w;
  w.gauge("m", "line1\nline2");
  w.value({{"path", "C:\\dir"}, {"q", "say \"hi\""}}, uint64_t{1});
  EXPECT_EQ(w.text(),
            "# HELP m line1\\nline2\n# TYPE m gauge\n"
            "m{path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\"} 1\n");
}

TEST(MetricWriter, NumberSpellings) {
  EXPECT_EQ(MetricWriter::format_double(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(MetricWriter::format_double(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(MetricWriter::format_double(std::nan("")), "NaN");
  EXPECT_EQ(MetricWriter::format_double(0.001), "0.001");
  EXPECT_EQ(MetricWriter::format_double(250), "250");
  EXPECT_EQ(MetricWriter::format_double(1e-5), "1e-05");
}

TEST(MetricWriter, Names) {
  EXPECT_TRUE(MetricWriter::valid_metric_name("portmux_build_info"));
  EXPECT_TRUE(MetricWriter::valid_metric_name("a:b_c9"));
  EXPECT_FALSE(MetricWriter::valid_metric_name("9abc"));
  EXPECT_FALSE(MetricWriter::valid_metric_name("a-b"));
  EXPECT_FALSE(MetricWriter::valid_metric_name(""));
  EXPECT_TRUE(MetricWriter::valid_label_name("lcore"));
  EXPECT_FALSE(MetricWriter::valid_label_name("__name__"));
  EXPECT_FALSE(MetricWriter::valid_label_name("a:b"));
  MetricWriter w;
  EXPECT_THROW(w.gauge("bad-name", "x"), std::invalid_argument);
  w.gauge("ok", "x");
  EXPECT_THROW(w.value({{"bad-label", "v"}}, uint64_t{1}), std::invalid_argument);
}

// Per-bucket counts become cumulative _bucket lines, +Inf equals _count.
TEST(MetricWriter, HistogramIsCumulative) {
  MetricWriter w;
  w.histogram("portmux_gen_latency_seconds", "request latency");
  const std::vector<Bucket> b{{0.0001, 3}, {0.001, 5}, {0.01, 0}};
  w.observe({{"lcore", "1"}}, b, 0.0042, 9);
  EXPECT_EQ(w.text(),
            "# HELP portmux_gen_latency_seconds request latency\n"
            "# TYPE portmux_gen_latency_seconds histogram\n"
            "portmux_gen_latency_seconds_bucket{lcore=\"1\",le=\"0.0001\"} 3\n"
            "portmux_gen_latency_seconds_bucket{lcore=\"1\",le=\"0.001\"} 8\n"
            "portmux_gen_latency_seconds_bucket{lcore=\"1\",le=\"0.01\"} 8\n"
            "portmux_gen_latency_seconds_bucket{lcore=\"1\",le=\"+Inf\"} 9\n"
            "portmux_gen_latency_seconds_sum{lcore=\"1\"} 0.0042\n"
            "portmux_gen_latency_seconds_count{lcore=\"1\"} 9\n");
}

TEST(MetricWriter, HistogramSkipsAnExplicitInfBucket) {
  MetricWriter w;
  w.histogram("h", "x");
  const std::vector<Bucket> b{{1, 1}, {std::numeric_limits<double>::infinity(), 2}};
  w.observe({}, b, 3, 3);
  EXPECT_EQ(w.text(),
            "# HELP h x\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 3\nh_sum 3\nh_count 3\n");
}

TEST(MetricWriter, ObserveNeedsAHistogramFamily) {
  MetricWriter w;
  w.counter("c_total", "x");
  const std::vector<Bucket> b{};
  EXPECT_THROW(w.observe({}, b, 0, 0), std::logic_error);
}

}  // namespace
}  // namespace pmx::stats
