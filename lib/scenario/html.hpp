// report.html: a scenario run read at a glance (docs/scenarios.md). One
// self-contained file -- opens from disk, fetches nothing: the data
// (report.json and the timeline) sits in <script type="application/json">
// elements and Chart.js (Debian's libjs-chart.js, MIT, bundled at build time
// by scripts/embed_text.py) draws the charts: connection rate, open
// connections, request rate, throughput, errors, latency percentiles over
// time, and the final latency distribution; the criteria table is green or
// red. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pmx::scenario {

// report_json: report_json()'s text; timeline: timeline_line()'s lines.
std::string render_html(const std::string& report_json, const std::vector<std::string>& timeline);

// Chart.js, as bundled (for tests).
extern const std::string_view kChartJs;

}  // namespace pmx::scenario
