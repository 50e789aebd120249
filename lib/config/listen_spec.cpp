#include "config/listen_spec.hpp"

#include "net/addr.hpp"

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
                                 const std::string& port, const std::string& service,
                                 const std::vector<std::pair<std::string, std::string>>& kv) {
  tcp::ListenSpec s;
  auto a = net::parse_ipv4(ip);
  if (!a) throw OptionError(where + "bad address '" + ip + "'");
  s.ip = a->be;
  s.port = static_cast<uint16_t>(number(where, "port", port, 1, 65535));
  if (service == "echo")
    s.service.kind = tcp::ServiceKind::Echo;
  else if (service == "discard")
    s.service.kind = tcp::ServiceKind::Discard;
  else if (service == "http")
    s.service.kind = tcp::ServiceKind::Http;
  else if (service == "chargen")
    s.service.kind = tcp::ServiceKind::Chargen;
  else
    throw OptionError(where + "unknown service '" + service + "' (echo, discard, http, chargen)");
  // As nginx: client_header_timeout (its default is 60 s; 10 s here) and
  // keepalive_timeout 75 s. Echo and discard: 5 minutes without a byte.
  const bool http = s.service.kind == tcp::ServiceKind::Http;
  s.service.header_timeout_s = http ? 10 : 0;
  s.service.idle_timeout_s = http ? 75 : 300;
  for (const auto& [k, v] : kv) {
    if (k == "size" && s.service.kind == tcp::ServiceKind::Http)
      s.service.http_size = static_cast<uint32_t>(number(where, "size", v, 0, 1u << 30));
    else if (k == "header_timeout" && http)
      s.service.header_timeout_s =
          static_cast<uint16_t>(number(where, "header_timeout", v, 0, 65535));
    else if (k == "rate" && s.service.kind == tcp::ServiceKind::Chargen)
      s.service.chargen_rate = static_cast<uint32_t>(number(where, "rate", v, 0, 1u << 31));
    else if (k == "idle_timeout")
      s.service.idle_timeout_s = static_cast<uint16_t>(number(where, "idle_timeout", v, 0, 65535));
    else if (k == "backlog")
      s.backlog = static_cast<uint32_t>(number(where, "backlog", v, 1, 1u << 24));
    else if (k == "cc" && tcp::cc_from_name(v))
      s.cc = *tcp::cc_from_name(v);
    else if (k == "cc")
      throw OptionError(where + "unknown congestion control '" + v + "' (newreno|cubic)");
    else
      throw OptionError(where + "unknown key '" + k + "' for " + service);
  }
  return s;
}

tcp::ListenSpec parse_listen_option(const std::string& v) {
  const std::string where = "--listen '" + v + "': ";
  const auto eq = v.find('=');
  const auto colon = v.rfind(':', eq);
  if (eq == std::string::npos || colon == std::string::npos)
    throw OptionError(where + "expected IP:PORT=SERVICE[,key=value...]");
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
  std::string out = net::to_string(net::Ipv4Addr{s.ip}) + ":" + std::to_string(s.port) + " " +
                    std::string(tcp::service_name(s.service.kind));
  if (s.service.kind == tcp::ServiceKind::Http)
    out += " size=" + std::to_string(s.service.http_size) +
           " header_timeout=" + std::to_string(s.service.header_timeout_s);
  if (s.service.kind == tcp::ServiceKind::Chargen)
    out += " rate=" + std::to_string(s.service.chargen_rate);
  out += " idle_timeout=" + std::to_string(s.service.idle_timeout_s);
  out += " backlog=" + std::to_string(s.backlog) + " cc=" + std::string(tcp::cc_name(s.cc));
  return out;
}

}  // namespace pmx::control
