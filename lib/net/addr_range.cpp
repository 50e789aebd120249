// --addr values with ranges (issue 14): "ADDR/LEN" or "FIRST-LAST/LEN".
#include "addr.hpp"

namespace pmx::net {

namespace {

constexpr const char* kWant = " (want IP/PREFIX or FIRST-LAST/PREFIX)";

std::string count_error(uint64_t n) {
  return "range has " + std::to_string(n) + " addresses, at most " +
         std::to_string(Ifaddr::kMaxRange);
}

AddrValue range4(std::string_view s, std::string_view first, std::string_view last,
                 std::string_view len) {
  AddrValue r;
  auto a = parse_ifaddr(std::string(first) + "/" + std::string(len));
  auto b = parse_ipv4(last);
  if (!a || !b) {
    r.err = "bad address '" + std::string(s) + "'" + kWant;
    return r;
  }
  if (b->host() < a->addr.host()) {
    r.err =
        "'" + std::string(s) + "': FIRST " + to_string(a->addr) + " is above LAST " + to_string(*b);
    return r;
  }
  if (!a->on_link(*b)) {
    r.err = "'" + std::string(s) + "': prefix /" + std::to_string(a->prefix) +
            " does not cover the range (" + to_string(*b) + " is off " + to_string(a->addr) + "/" +
            std::to_string(a->prefix) + ")";
    return r;
  }
  const uint64_t n = uint64_t{b->host()} - a->addr.host() + 1;
  if (n > Ifaddr::kMaxRange) {
    r.err = "'" + std::string(s) + "': " + count_error(n);
    return r;
  }
  a->count = static_cast<uint32_t>(n);
  r.v4 = a;
  return r;
}

AddrValue range6(std::string_view s, std::string_view first, std::string_view last,
                 std::string_view len) {
  AddrValue r;
  auto a = parse_ifaddr6(std::string(first) + "/" + std::string(len));
  auto b = parse_ipv6(last);
  if (!a || !b) {
    r.err = "bad IPv6 address '" + std::string(s) + "'" + kWant;
    return r;
  }
  const std::string q = "'" + std::string(s) + "': ";
  if (b->b < a->addr.b) {
    r.err = q + "FIRST " + to_string(a->addr) + " is above LAST " + to_string(*b);
    return r;
  }
  if (!a->on_link(*b)) {
    r.err = q + "prefix /" + std::to_string(a->prefix) + " does not cover the range (" +
            to_string(*b) + " is off " + to_string(a->addr) + "/" + std::to_string(a->prefix) + ")";
    return r;
  }
  if (std::memcmp(a->addr.b.data(), b->b.data(), 8) != 0) {
    r.err = q + "an IPv6 range may differ only in the low 64 bits";
    return r;
  }
  const uint64_t d = Ifaddr6::low64(*b) - Ifaddr6::low64(a->addr);
  if (d >= Ifaddr::kMaxRange) {
    r.err = q + (d == UINT64_MAX
                     ? "range has 2^64 addresses, at most " + std::to_string(Ifaddr::kMaxRange)
                     : count_error(d + 1));
    return r;
  }
  a->count = static_cast<uint32_t>(d + 1);
  r.v6 = a;
  return r;
}

}  // namespace

AddrValue parse_addr_value(std::string_view s) {
  const size_t slash = s.rfind('/');
  const size_t dash = s.find('-');
  const std::string_view len = slash == std::string_view::npos ? "" : s.substr(slash + 1);
  const std::string_view first = s.substr(0, std::min(dash, slash));
  const bool v6 = first.find(':') != std::string_view::npos;
  AddrValue r;
  if (slash == std::string_view::npos || (dash != std::string_view::npos && dash > slash)) {
    r.err = std::string(v6 ? "bad IPv6 address '" : "bad address '") + std::string(s) + "'" + kWant;
    return r;
  }
  const std::string_view last =
      dash == std::string_view::npos ? first : s.substr(dash + 1, slash - dash - 1);
  // The other family: a colon in an IPv4 range's LAST, or a dotted quad
  // alone in an IPv6 one's.
  const bool last6 = last.find(':') != std::string_view::npos;
  if (v6 ? !last6 && parse_ipv4(last) : last6) {
    r.err = "'" + std::string(s) + "': FIRST and LAST of different families";
    return r;
  }
  return v6 ? range6(s, first, last, len) : range4(s, first, last, len);
}

bool overlaps(const Ifaddr& a, const Ifaddr& b) { return a.contains(b.addr) || b.contains(a.addr); }

bool overlaps(const Ifaddr6& a, const Ifaddr6& b) {
  return a.contains(b.addr) || b.contains(a.addr);
}

std::string to_string(const Ifaddr& a) {
  const std::string len = "/" + std::to_string(a.prefix);
  if (a.count == 1) return to_string(a.addr) + len;
  return to_string(a.addr) + "-" + to_string(a.last()) + len;
}

std::string to_string(const Ifaddr6& a) {
  const std::string len = "/" + std::to_string(a.prefix);
  if (a.count == 1) return to_string(a.addr) + len;
  return to_string(a.addr) + "-" + to_string(a.last()) + len;
}

std::optional<Ipv4Addr> PortIp::first_not_local(Ipv4Addr first, uint32_t n) const {
  uint64_t a = first.host();
  const uint64_t end = a + n;  // one past the last
  while (a < end) {
    const Ipv4Addr x = Ipv4Addr::from_host(static_cast<uint32_t>(a));
    const Ifaddr* r = nullptr;
    for (uint8_t i = 0; i < naddrs && !r; ++i)
      if (addrs[i].contains(x)) r = &addrs[i];
    if (!r) return x;
    a = uint64_t{r->last().host()} + 1;
  }
  return std::nullopt;
}

std::optional<Ipv6Addr> PortIp::first_not_local6(const Ipv6Addr& first, uint32_t n) const {
  const Ifaddr6 want{first, 128, n};
  for (uint32_t k = 0; k < n;) {
    const Ipv6Addr x = want.at(k);
    const Ifaddr6* r = nullptr;
    for (uint8_t i = 0; i < naddrs6 && !r; ++i)
      if (addrs6[i].contains(x)) r = &addrs6[i];
    if (!r) return x;
    k += static_cast<uint32_t>(Ifaddr6::low64(r->last()) - Ifaddr6::low64(x) + 1);
  }
  return std::nullopt;
}

}  // namespace pmx::net
