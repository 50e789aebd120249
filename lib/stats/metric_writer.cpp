#include "metric_writer.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace pmx::stats {

namespace {
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
constexpr std::string_view kTypeName[] = {"counter", "gauge", "histogram"};
}  // namespace

bool MetricWriter::valid_metric_name(std::string_view n) {
  if (n.empty() || !(alpha(n[0]) || n[0] == ':')) return false;
  for (char c : n)
    if (!(alpha(c) || digit(c) || c == ':')) return false;
  return true;
}

bool MetricWriter::valid_label_name(std::string_view n) {
  if (n.empty() || !alpha(n[0]) || n.starts_with("__")) return false;
  for (char c : n)
    if (!(alpha(c) || digit(c))) return false;
  return true;
}

std::string MetricWriter::escape_label_value(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '"')
      o += "\\\"";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return o;
}

std::string MetricWriter::escape_help(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return o;
}

std::string MetricWriter::format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  // Shortest round-trip form in %g style, as Go's FormatFloat(v, 'g', -1)
  // writes it (e.g. 0.25, 0.0001, 1e-05, 12345).
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  return std::string(buf, end);
}

void MetricWriter::family(std::string_view name, Type type, std::string_view help) {
  if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name");
  name_ = name;
  type_ = type;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += kTypeName[static_cast<int>(type)];
  out_ += '\n';
}

void MetricWriter::series(std::string_view suffix, Labels labels, const Label* extra) {
  out_ += name_;
  out_ += suffix;
  if (labels.empty() && !extra) return;
  out_ += '{';
  bool first = true;
  auto put = [&](const Label& l) {
    if (!valid_label_name(l.name)) throw std::invalid_argument("bad label name");
    if (!first) out_ += ',';
    first = false;
    out_ += l.name;
    out_ += "=\"";
    out_ += escape_label_value(l.value);
    out_ += '"';
  };
  for (const Label& l : labels) put(l);
  if (extra) put(*extra);
  out_ += '}';
}

void MetricWriter::value(Labels labels, uint64_t v) {
  series("", labels, nullptr);
  out_ += ' ';
  out_ += std::to_string(v);
  out_ += '\n';
}

void MetricWriter::value(Labels labels, double v) {
  series("", labels, nullptr);
  out_ += ' ';
  out_ += format_double(v);
  out_ += '\n';
}

void MetricWriter::observe(Labels labels, std::span<const Bucket> buckets, double sum,
                           uint64_t count) {
  if (type_ != Type::histogram) throw std::logic_error("observe() outside a histogram family");
  uint64_t cumulative = 0;
  for (const Bucket& b : buckets) {
    if (std::isinf(b.le)) break;  // written below from count
    cumulative += b.count;
    const std::string le = format_double(b.le);
    const Label l{"le", le};
    series("_bucket", labels, &l);
    out_ += ' ' + std::to_string(cumulative) + '\n';
  }
  // The +Inf bucket is mandatory and equals the count.
  const Label inf{"le", "+Inf"};
  series("_bucket", labels, &inf);
  out_ += ' ' + std::to_string(count) + '\n';
  series("_sum", labels, nullptr);
  out_ += ' ' + format_double(sum) + '\n';
  series("_count", labels, nullptr);
  out_ += ' ' + std::to_string(count) + '\n';
}

}  // namespace pmx::stats
