// Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): one
// family at a time, "# HELP" and "# TYPE" once, then its samples. Pure
// string building, no DPDK: the exporter (lib/export/metrics.cpp) feeds it
// and the unit tests check its escaping and histogram layout.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pmx::stats {

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::span<const Label>;

// One histogram bucket as its owner keeps it: observations <= le that fell
// in this bucket only (not cumulative). The writer accumulates.
struct Bucket {
  double le;
  uint64_t count;
};

class MetricWriter {
 public:
  enum class Type { counter, gauge, histogram };

  // Starts a family. Counter names end in "_total" (the format's and the
  // naming conventions' rule); histogram names get _bucket/_sum/_count.
  void family(std::string_view name, Type type, std::string_view help);
  void counter(std::string_view name, std::string_view help) { family(name, Type::counter, help); }
  void gauge(std::string_view name, std::string_view help) { family(name, Type::gauge, help); }
  void histogram(std::string_view name, std::string_view help) {
    family(name, Type::histogram, help);
  }

  // A sample of the current (counter or gauge) family.
  void value(Labels labels, uint64_t v);
  void value(Labels labels, double v);
  void value(std::initializer_list<Label> l, uint64_t v) { value(Labels(l.begin(), l.size()), v); }
  void value(std::initializer_list<Label> l, double v) { value(Labels(l.begin(), l.size()), v); }

  // A histogram series of the current histogram family: cumulative
  // name_bucket{le=...} lines in ascending le, then le="+Inf" (= count),
  // name_sum and name_count. Buckets must be sorted by le.
  void observe(Labels labels, std::span<const Bucket> buckets, double sum, uint64_t count);
  void observe(std::initializer_list<Label> l, std::span<const Bucket> buckets, double sum,
               uint64_t count) {
    observe(Labels(l.begin(), l.size()), buckets, sum, count);
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

  // [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]* (no "__" prefix).
  static bool valid_metric_name(std::string_view n);
  static bool valid_label_name(std::string_view n);
  // Label values escape '\\', '"' and newline; HELP text '\\' and newline.
  static std::string escape_label_value(std::string_view v);
  static std::string escape_help(std::string_view v);
  // Go's strconv.ParseFloat spellings: integers exactly, "+Inf", "-Inf", "NaN".
  static std::string format_double(double v);

 private:
  void series(std::string_view suffix, Labels labels, const Label* extra);

  std::string out_;
  std::string name_;
  Type type_ = Type::gauge;
};

}  // namespace pmx::stats
