// --route values (issue 14): "PREFIX/LEN=GATEWAY", either family, and their
// text. The table itself is route_table.hpp (PortIp holds one per family).
#pragma once

#include "net/addr.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pmx::net {

using Route4 = Route<Ipv4Addr>;
using Route6 = Route<Ipv6Addr>;

// Exactly one of v4/v6 is set on success; on failure err is one line naming
// what is wrong (no option name). Refused: no '=', a bad address or length,
// host bits set past LEN, a gateway of the other family, a gateway that is
// no unicast address.
struct RouteValue {
  std::optional<Route4> v4;
  std::optional<Route6> v6;
  std::string err;
};
RouteValue parse_route(std::string_view s);

// a with the bits past len cleared: the prefix a/len names.
Ipv4Addr masked(Ipv4Addr a, uint8_t len);
Ipv6Addr masked(Ipv6Addr a, uint8_t len);

// "PREFIX/LEN" and "PREFIX/LEN=GATEWAY".
std::string prefix_string(const Route4& r);
std::string prefix_string(const Route6& r);
std::string to_string(const Route4& r);
std::string to_string(const Route6& r);

}  // namespace pmx::net
