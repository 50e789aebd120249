#include "config/listen_spec.hpp"

#include "net/addr.hpp"
#include "service/catalog.hpp"

#include <charconv>

namespace pmx::control {

namespace {

uint64_t number(const std::string& where, const std::string& what, const std::string& v,
                uint64_t lo, uint64_t hi) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
    throw OptionError(where + "bad " + what + " '" + v + "' (want " + std::to_string(lo) + ".." +
                      std::to_string(hi) + ")");
  return n;
}

}  // namespace

tcp::ListenSpec make_listen_spec(const std::string& where, const std::string& ip,
                                 const std::string& port, const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& kv) {
  tcp::ListenSpec s;
  // IPv6 in brackets or bare ("[::]", "::"); 0.0.0.0 and [::] are each
  // their family's wildcard (docs/configuration.md).
  const bool bracketed = ip.size() >= 2 && ip.front() == '[' && ip.back() == ']';
  const std::string bare = bracketed ? ip.substr(1, ip.size() - 2) : ip;
  auto a = net::parse_ip(bare);
  if (!a || (bracketed && !a->v6)) throw OptionError(where + "bad address '" + ip + "'");
  if (a->v6 && (a->v6addr().is_multicast() || a->v6addr().is_loopback()))
    throw OptionError(where + "bad address '" + ip + "' (not a unicast address)");
  s.ip = *a;
  s.port = static_cast<uint16_t>(number(where, "port", port, 1, 65535));
  // The service's name, keys and defaults are its line of the table
  // (service/services.def).
  const service::Info* svc = service::find(std::string_view(name));
  if (!svc)
    throw OptionError(where + "unknown service '" + name + "' (" + service::names(", ") + ")");
  s.service = service::defaults(*svc);
  for (const auto& [k, v] : kv) {
    if (!svc->arg_key.empty() && k == svc->arg_key)
      s.service.arg = static_cast<uint32_t>(number(where, k, v, 0, svc->arg_max));
    else if (!svc->timeout_key.empty() && k == svc->timeout_key)
      s.service.timeout_s = static_cast<uint16_t>(number(where, k, v, 0, 65535));
    else if (k == "idle_timeout")
      s.service.idle_timeout_s = static_cast<uint16_t>(number(where, "idle_timeout", v, 0, 65535));
    else if (k == "backlog")
      s.backlog = static_cast<uint32_t>(number(where, "backlog", v, 1, 1u << 24));
    else if (k == "cc" && tcp::cc_from_name(v))
      s.cc = *tcp::cc_from_name(v);
    else if (k == "cc")
      throw OptionError(where + "unknown congestion control '" + v + "' (newreno|cubic)");
    else if (k == "hystart" && (v == "on" || v == "off"))
      s.hystart = v == "on";
    else if (k == "hystart")
      throw OptionError(where + "hystart '" + v + "': expected on|off");
    else
      throw OptionError(where + "unknown key '" + k + "' for " + name);
  }
  return s;
}

tcp::ListenSpec parse_listen_option(const std::string& v) {
  const std::string where = "--listen '" + v + "': ";
  const auto eq = v.find('=');
  const auto colon = v.rfind(':', eq);
  if (eq == std::string::npos || colon == std::string::npos)
    throw OptionError(where + "expected IP:PORT=SERVICE[,key=value...]");
  if (v.substr(0, colon).find(':') != std::string::npos && v.front() != '[')
    throw OptionError(where + "an IPv6 address goes in brackets: [ADDR]:PORT=SERVICE");
  std::string rest = v.substr(eq + 1);
  std::vector<std::pair<std::string, std::string>> kv;
  std::string service;
  size_t pos = 0;
  for (bool first = true;; first = false) {
    const size_t comma = rest.find(',', pos);
    const std::string item = rest.substr(pos, comma == std::string::npos ? comma : comma - pos);
    if (first) {
      service = item;
    } else {
      const auto e = item.find('=');
      if (e == std::string::npos)
        throw OptionError(where + "expected key=value, got '" + item + "'");
      kv.emplace_back(item.substr(0, e), item.substr(e + 1));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return make_listen_spec(where, v.substr(0, colon), v.substr(colon + 1, eq - colon - 1), service,
                          kv);
}

std::string describe(const tcp::ListenSpec& s) {
  std::string out =
      net::endpoint_string(s.ip, s.port) + " " + std::string(service::name(s.service.kind));
  if (const service::Info* i = service::find(s.service.kind)) {
    if (!i->arg_key.empty())
      out += " " + std::string(i->arg_key) + "=" + std::to_string(s.service.arg);
    if (!i->timeout_key.empty())
      out += " " + std::string(i->timeout_key) + "=" + std::to_string(s.service.timeout_s);
  }
  out += " idle_timeout=" + std::to_string(s.service.idle_timeout_s);
  out += " backlog=" + std::to_string(s.backlog) + " cc=" + std::string(tcp::cc_name(s.cc));
  if (!s.hystart) out += " hystart=off";  // the default (on) is left out, as before it existed
  return out;
}

}  // namespace pmx::control
