// --route values: parsing and text (route.hpp).
#include "net/route.hpp"

#include <charconv>

namespace pmx::net {

namespace {

constexpr const char* kWant = " (want PREFIX/LEN=GATEWAY)";

// Why gw cannot be a next hop, or nullptr (RFC 1122 3.2.1.3, RFC 4291 2.5.2,
// 2.5.3, 2.7).
const char* bad_gateway(const IpAddr& gw) {
  if (!gw.v6) return gw.v4().is_martian_source() ? "is not a unicast address" : nullptr;
  const Ipv6Addr a = gw.v6addr();
  if (a.is_zero()) return "is the unspecified address";
  if (a.is_multicast()) return "is multicast";
  if (a.is_loopback()) return "is the loopback address";
  return nullptr;
}

}  // namespace

Ipv4Addr masked(Ipv4Addr a, uint8_t len) {
  return Ipv4Addr::from_host(a.host() & Ifaddr{a, len, 1}.mask_host());
}
Ipv6Addr masked(Ipv6Addr a, uint8_t len) {  // by value: the copy is the result
  for (size_t i = 0; i < 16; ++i) {
    const unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
    a.b[i] &= static_cast<uint8_t>(0xff00u >> keep);
  }
  return a;
}

RouteValue parse_route(std::string_view s) {
  RouteValue r;
  const size_t eq = s.find('=');
  if (eq == std::string_view::npos) {
    r.err = std::string("no '='") + kWant;
    return r;
  }
  const std::string_view pfx = s.substr(0, eq), gws = s.substr(eq + 1);
  const size_t slash = pfx.find('/');
  const auto addr = parse_ip(pfx.substr(0, slash));
  if (slash == std::string_view::npos || !addr) {
    r.err = "bad prefix '" + std::string(pfx) + "'" + kWant;
    return r;
  }
  const unsigned max = addr->v6 ? 128 : 32;
  unsigned len = 0;
  const char* b = pfx.data() + slash + 1;
  const char* e = pfx.data() + pfx.size();
  auto [p, ec] = std::from_chars(b, e, len);
  if (b == e || ec != std::errc() || p != e || len > max) {
    r.err = "bad prefix length in '" + std::string(pfx) + "' (0.." + std::to_string(max) + ")";
    return r;
  }
  const auto gw = parse_ip(gws);
  if (!gw) {
    r.err = "bad gateway '" + std::string(gws) + "'" + kWant;
    return r;
  }
  if (gw->v6 != addr->v6) {
    r.err = std::string(addr->v6 ? "IPv6" : "IPv4") + " prefix " + std::string(pfx) + " with " +
            (gw->v6 ? "IPv6" : "IPv4") + " gateway " + std::string(gws);
    return r;
  }
  if (const char* why = bad_gateway(*gw)) {
    r.err = "gateway " + to_string(*gw) + " " + why;
    return r;
  }
  const auto l = static_cast<uint8_t>(len);
  if (addr->v6) {
    const Route6 x{masked(addr->v6addr(), l), l, gw->v6addr()};
    if (!(x.prefix == addr->v6addr())) {
      r.err = std::string(pfx) + " has host bits set (the prefix is " + prefix_string(x) + ")";
      return r;
    }
    r.v6 = x;
    return r;
  }
  const Route4 x{masked(addr->v4(), l), l, gw->v4()};
  if (!(x.prefix == addr->v4())) {
    r.err = std::string(pfx) + " has host bits set (the prefix is " + prefix_string(x) + ")";
    return r;
  }
  r.v4 = x;
  return r;
}

std::string prefix_string(const Route4& r) {
  return to_string(r.prefix) + "/" + std::to_string(r.len);
}
std::string prefix_string(const Route6& r) {
  return to_string(r.prefix) + "/" + std::to_string(r.len);
}
std::string to_string(const Route4& r) { return prefix_string(r) + "=" + to_string(r.gateway); }
std::string to_string(const Route6& r) { return prefix_string(r) + "=" + to_string(r.gateway); }

}  // namespace pmx::net
