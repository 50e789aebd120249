#include "addr.hpp"

#include <charconv>
#include <cstdio>

namespace pmx::net {

namespace {
// Parses a decimal number in [0, max] that fills s exactly.
std::optional<uint32_t> parse_dec(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}
}  // namespace

std::optional<Ipv4Addr> parse_ipv4(std::string_view s) {
  uint32_t h = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = i < 3 ? s.find('.') : s.size();
    if (dot == std::string_view::npos) return std::nullopt;
    auto part = s.substr(0, dot);
    if (part.size() > 3) return std::nullopt;
    auto v = parse_dec(part, 255);
    if (!v) return std::nullopt;
    h = h << 8 | *v;
    s = i < 3 ? s.substr(dot + 1) : std::string_view{};
  }
  return Ipv4Addr::from_host(h);
}

std::optional<Ifaddr> parse_ifaddr(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = parse_ipv4(s.substr(0, slash));
  auto p = parse_dec(s.substr(slash + 1), 32);
  if (!a || !p || s.size() - slash - 1 > 2) return std::nullopt;
  return Ifaddr{*a, static_cast<uint8_t>(*p)};
}

std::string to_string(Ipv4Addr a) {
  uint32_t h = a.host();
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff,
                h & 0xff);
  return buf;
}

std::string to_string(const rte_ether_addr& m) {
  char buf[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(buf, sizeof buf, &m);
  // DPDK prints upper case; ip(8) and the tests use lower case.
  for (char& c : buf) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  return buf;
}

}  // namespace pmx::net
