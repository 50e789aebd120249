#include "addr.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

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

rte_ether_addr multicast_mac(const Ipv6Addr& g) {
  rte_ether_addr m{{0x33, 0x33, g.b[12], g.b[13], g.b[14], g.b[15]}};
  return m;
}

Ipv6Addr link_local_from_mac(const rte_ether_addr& mac) {
  Ipv6Addr a;
  a.b[0] = 0xfe;
  a.b[1] = 0x80;
  const uint8_t* m = mac.addr_bytes;
  // RFC 4291 appendix A: the universal/local bit inverted, ff:fe inserted.
  const uint8_t id[8] = {
      static_cast<uint8_t>(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
  std::memcpy(&a.b[8], id, 8);
  return a;
}

namespace {
// One group of 1-4 hex digits.
std::optional<uint16_t> parse_group(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  uint16_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return std::nullopt;
    v = static_cast<uint16_t>(v << 4 | d);
  }
  return v;
}

// Parses colon-separated groups (possibly with a dotted-quad last part) into
// out; returns how many 16-bit groups, or nullopt.
std::optional<size_t> parse_groups(std::string_view s, uint16_t* out, size_t max, bool tail_ok) {
  size_t n = 0;
  if (s.empty()) return 0;
  for (;;) {
    const size_t c = s.find(':');
    const std::string_view part = s.substr(0, c);
    if (c == std::string_view::npos && tail_ok && part.find('.') != std::string_view::npos) {
      auto v4 = parse_ipv4(part);
      if (!v4 || n + 2 > max) return std::nullopt;
      out[n++] = static_cast<uint16_t>(v4->host() >> 16);
      out[n++] = static_cast<uint16_t>(v4->host());
      return n;
    }
    auto g = parse_group(part);
    if (!g || n == max) return std::nullopt;
    out[n++] = *g;
    if (c == std::string_view::npos) return n;
    s = s.substr(c + 1);
  }
}
}  // namespace

std::optional<Ipv6Addr> parse_ipv6(std::string_view s) {
  if (s.size() < 2 || s.size() > 45) return std::nullopt;
  uint16_t head[8], tail[8];
  size_t nh = 0, nt = 0;
  const size_t dc = s.find("::");
  if (dc == std::string_view::npos) {
    auto n = parse_groups(s, head, 8, true);
    if (!n || *n != 8) return std::nullopt;
    nh = 8;
  } else {
    if (s.find("::", dc + 1) != std::string_view::npos) return std::nullopt;
    auto a = parse_groups(s.substr(0, dc), head, 8, false);
    if (!a) return std::nullopt;
    auto b = parse_groups(s.substr(dc + 2), tail, 8, true);
    if (!b || *a + *b > 7) return std::nullopt;  // "::" stands for at least one group
    nh = *a;
    nt = *b;
  }
  uint16_t g[8] = {};
  for (size_t i = 0; i < nh; ++i) g[i] = head[i];
  for (size_t i = 0; i < nt; ++i) g[8 - nt + i] = tail[i];
  Ipv6Addr a;
  for (size_t i = 0; i < 8; ++i) {
    a.b[2 * i] = static_cast<uint8_t>(g[i] >> 8);
    a.b[2 * i + 1] = static_cast<uint8_t>(g[i]);
  }
  return a;
}

std::string to_string(const Ipv6Addr& a) {
  uint16_t g[8];
  for (size_t i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>(a.b[2 * i] << 8 | a.b[2 * i + 1]);
  // The longest run of zero groups, at least two long; the first wins a tie.
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[i]);
    out += buf;
  }
  return out;
}

std::optional<Ifaddr6> parse_ifaddr6(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = parse_ipv6(s.substr(0, slash));
  auto p = parse_dec(s.substr(slash + 1), 128);
  if (!a || !p || s.size() - slash - 1 > 3) return std::nullopt;
  return Ifaddr6{*a, static_cast<uint8_t>(*p)};
}

std::optional<IpAddr> parse_ip(std::string_view s) {
  if (s.find(':') != std::string_view::npos) {
    auto a = parse_ipv6(s);
    return a ? std::optional<IpAddr>(IpAddr::of(*a)) : std::nullopt;
  }
  auto a = parse_ipv4(s);
  return a ? std::optional<IpAddr>(IpAddr::of(*a)) : std::nullopt;
}

std::string to_string(const IpAddr& a) { return a.v6 ? to_string(a.v6addr()) : to_string(a.v4()); }

std::string endpoint_string(const IpAddr& a, uint16_t port) {
  const std::string p = ":" + std::to_string(port);
  return a.v6 ? "[" + to_string(a.v6addr()) + "]" + p : to_string(a.v4()) + p;
}

}  // namespace pmx::net
