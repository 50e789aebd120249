// Every data-path counter (counters.def) gets a Prometheus name that follows
// the conventions: portmux_ prefix, _total on counters, drops in one family.
#include "export/metrics.hpp"
#include "stats/counters.hpp"
#include "stats/metric_writer.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace pmx::control {
namespace {

TEST(MetricNames, EveryCounterHasAValidConventionalName) {
  std::set<std::string> seen;
  for (size_t i = 0; i < stats::kNumCounters; ++i) {
    const auto& c = stats::kCounterInfo[i];
    const std::string n = counter_metric_name(i);
    EXPECT_TRUE(stats::MetricWriter::valid_metric_name(n)) << n;
    EXPECT_TRUE(n.starts_with("portmux_")) << n;
    if (c.drop) {
      EXPECT_EQ(n, "portmux_drops_total") << c.name;
      continue;
    }
    const bool gauge = c.name == "tcp_curr_estab";
    EXPECT_EQ(n.ends_with("_total"), !gauge) << n;
    EXPECT_TRUE(seen.insert(n).second) << "two counters named " << n;
  }
}

TEST(MetricNames, TcpMibCountersKeepTheirNames) {
  EXPECT_EQ(counter_metric_name(static_cast<size_t>(stats::Ctr::tcp_passive_opens)),
            "portmux_tcp_passive_opens_total");
  EXPECT_EQ(counter_metric_name(static_cast<size_t>(stats::Ctr::tcp_retrans_segs)),
            "portmux_tcp_retrans_segs_total");
  EXPECT_EQ(counter_metric_name(static_cast<size_t>(stats::Ctr::rx_frames)),
            "portmux_worker_rx_frames_total");
  EXPECT_EQ(counter_metric_name(static_cast<size_t>(stats::Ctr::ipv6_rx_delivered)),
            "portmux_ipv6_rx_delivered_total");
  EXPECT_EQ(counter_metric_name(static_cast<size_t>(stats::Ctr::nd_rx_solicits)),
            "portmux_nd_rx_solicits_total");
  EXPECT_EQ(counter_metric_name(static_cast<size_t>(stats::Ctr::tcp_curr_estab)),
            "portmux_tcp_curr_estab");
}

}  // namespace
}  // namespace pmx::control
