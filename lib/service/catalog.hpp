// The services as data (services.def): their ids, names, listener keys and
// defaults, for whoever configures or shows a listener (lib/config, lib/cli,
// lib/export). lib/tcp carries the id opaquely (tcp::ServiceKind) and names
// only the generator's client; the names live here.
#pragma once

#include "tcp/conn.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pmx::service {

// The table's lines in order: the value of each service's id.
enum class Index : uint8_t {
#define PMX_SERVICE(KIND, ...) KIND,
#include "service/services.def"
#undef PMX_SERVICE
  count
};
inline constexpr size_t kCount = static_cast<size_t>(Index::count);
static_assert(kCount <= static_cast<size_t>(tcp::ServiceKind::Client),
              "a service id would collide with the generator's client");

// The ids, as lib/tcp carries them: kind::Echo, kind::Http, ...
// tcp::ServiceKind{} (a default ServiceConfig, a fresh Conn) is the table's
// first line.
namespace kind {
#define PMX_SERVICE(KIND, ...) \
  inline constexpr tcp::ServiceKind KIND = static_cast<tcp::ServiceKind>(Index::KIND);
#include "service/services.def"
#undef PMX_SERVICE
}  // namespace kind

// One line of the table (services.def says what each column means).
struct Info {
  tcp::ServiceKind kind;
  std::string_view name;
  std::string_view arg_key;  // empty: no option into Stream::arg()
  uint32_t arg_default, arg_max;
  std::string_view timeout_key;  // empty: no option into Stream::timeout_s()
  uint16_t timeout_default;
  uint16_t idle_timeout;
};

inline constexpr Info kServices[kCount] = {
#define PMX_SERVICE(KIND, NAME, FILE, EVENT, AK, AD, AM, TK, TD, IDLE) \
  {kind::KIND, NAME, AK, AD, AM, TK, TD, IDLE},
#include "service/services.def"
#undef PMX_SERVICE
};

// The listener's own keys (lib/config/listen_spec.cpp): no service may
// take one of them as its own.
constexpr bool keys_are_distinct() {
  for (const Info& i : kServices)
    for (std::string_view k : {i.arg_key, i.timeout_key})
      if (k == "idle_timeout" || k == "backlog" || k == "cc" || k == "hystart") return false;
  for (const Info& i : kServices)
    if (!i.arg_key.empty() && i.arg_key == i.timeout_key) return false;
  return true;
}
static_assert(keys_are_distinct(), "a service key shadows a listener key");

// cmdline's choice of keywords, '#' before each name: pass kChoices + 1
// ("echo#discard#http#chargen").
inline constexpr char kChoices[] =
#define PMX_SERVICE(KIND, NAME, ...) "#" NAME
#include "service/services.def"
#undef PMX_SERVICE
    ;

// The line with this id; nullptr for the client or an unknown id.
constexpr const Info* find(tcp::ServiceKind k) {
  const auto i = static_cast<uint8_t>(k);
  return i < kCount ? &kServices[i] : nullptr;
}

// The line with this name; nullptr if none.
constexpr const Info* find(std::string_view name) {
  for (const Info& i : kServices)
    if (i.name == name) return &i;
  return nullptr;
}

constexpr std::string_view name(tcp::ServiceKind k) {
  if (k == tcp::ServiceKind::Client) return "client";
  const Info* i = find(k);
  return i ? i->name : "?";
}

// The names in table order, `sep` between them: "echo, discard, http, chargen".
inline std::string names(std::string_view sep) {
  std::string out;
  for (const Info& i : kServices) {
    if (!out.empty()) out += sep;
    out += i.name;
  }
  return out;
}

// One column's keys over the table, each once, in table order, empty ones
// left out: keys(&Info::arg_key) is {"size", "rate"}.
inline std::vector<std::string_view> keys(std::string_view Info::*column) {
  std::vector<std::string_view> out;
  for (const Info& i : kServices) {
    const std::string_view k = i.*column;
    if (!k.empty() && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

// A listener's configuration of this service with every default.
constexpr tcp::ServiceConfig defaults(const Info& i) {
  return {.kind = i.kind,
          .arg = i.arg_default,
          .timeout_s = i.timeout_default,
          .idle_timeout_s = i.idle_timeout};
}

}  // namespace pmx::service
