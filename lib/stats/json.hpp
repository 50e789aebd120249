// JSON for the control plane (never the data path: it allocates freely):
// json_string() quotes and escapes one string, as every JSON this program
// writes needs (the generator's report, a scenario's timeline and reports);
// Json writes whole documents (the CLI's --json views, docs/api.md):
// objects, arrays, strings, integers, finite numbers, commas and nesting
// tracked, so a view writes keys and values in order and gets valid JSON.
#pragma once

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pmx::stats {

// v as a JSON string: quoted, '"' and '\\' escaped, bytes outside
// printable ASCII as \u00XX (so the output is ASCII whatever the input).
inline std::string json_string(std::string_view v) {
  std::string s = "\"";
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      s += '\\';
      s += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      s += b;
    } else {
      s += ch;
    }
  }
  return s + "\"";
}

class Json {
 public:
  Json& obj() { return open('{'); }
  Json& arr() { return open('['); }
  Json& end() {
    s_ += close_.back();
    first_.pop_back();
    close_.pop_back();
    return *this;
  }
  Json& key(std::string_view k) {
    sep();
    quote(k);
    s_ += ": ";
    after_key_ = true;
    return *this;
  }
  Json& str(std::string_view v) {
    sep();
    quote(v);
    return *this;
  }
  Json& num(uint64_t v) { return raw(std::to_string(v)); }
  Json& num(int64_t v) { return raw(std::to_string(v)); }
  Json& num(unsigned v) { return num(uint64_t{v}); }
  Json& num(int v) { return num(int64_t{v}); }
  Json& num(double v) {  // JSON has no NaN or infinity: 0
    char b[32];
    std::snprintf(b, sizeof b, "%.10g", std::isfinite(v) ? v : 0.0);
    return raw(b);
  }
  Json& boolean(bool v) { return raw(v ? "true" : "false"); }
  Json& null() { return raw("null"); }
  // A value already in JSON (another renderer's object).
  Json& raw(std::string_view v) {
    sep();
    s_ += v;
    return *this;
  }
  // key(k) then the value.
  template <class T>
  Json& kv(std::string_view k, const T& v) {
    key(k);
    if constexpr (std::is_convertible_v<T, std::string_view>)
      return str(v);
    else if constexpr (std::is_same_v<T, bool>)
      return boolean(v);
    else if constexpr (std::is_floating_point_v<T>)
      return num(static_cast<double>(v));
    else if constexpr (std::is_signed_v<T>)
      return num(static_cast<int64_t>(v));
    else
      return num(static_cast<uint64_t>(v));
  }
  const std::string& text() const { return s_; }

 private:
  Json& open(char c) {
    sep();
    s_ += c;
    first_.push_back(true);
    close_.push_back(c == '{' ? '}' : ']');
    return *this;
  }
  // A comma before every element but a container's first, none after a key.
  void sep() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) s_ += ", ";
    first_.back() = false;
  }
  void quote(std::string_view v) { s_ += json_string(v); }
  std::string s_;
  std::vector<char> first_;  // per open container: no element yet (char: vector<bool> is odd)
  std::vector<char> close_;
  bool after_key_ = false;
};

}  // namespace pmx::stats
