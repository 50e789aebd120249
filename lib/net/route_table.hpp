// The per-port route table of one address family (--route, issue 14). No
// dependency on addr.hpp, which includes this file for PortIp: the address
// type A is a template parameter and the prefix test is the free function
// in_prefix(dst, prefix, len) that addr.hpp defines for each family (found
// by argument-dependent lookup). Parsing and printing are in route.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pmx::net {

// Routes per port and family. A --route beyond this is refused at start.
inline constexpr size_t kMaxRoutes = 32;

// prefix/len -> gateway. prefix has no bits set past len (parse_route()
// refuses host bits), so two routes of one length either are the same
// prefix or share no address.
template <class A>
struct Route {
  A prefix{};
  uint8_t len = 0;
  A gateway{};
};

enum class RouteAdd { Ok, Full, Duplicate };

// Fixed capacity, no heap. Invariant: r_[0..n_) is sorted by prefix length,
// longest first, so the first route that matches is the longest match
// (RFC 1812 5.2.4.3, RFC 4861 5.2's prefix list).
// lookup() runs per transmitted segment (Worker::route -> PortIp::next_hop)
// and costs a linear scan of at most kMaxRoutes entries, each a masked
// compare, and nothing when the table is empty (the usual case). A trie
// would pay off only for far more routes than kMaxRoutes.
template <class A>
class RouteTable {
 public:
  RouteAdd add(const Route<A>& r) {
    for (size_t i = 0; i < n_; ++i)
      if (r_[i].len == r.len && r_[i].prefix == r.prefix) return RouteAdd::Duplicate;
    if (n_ == kMaxRoutes) return RouteAdd::Full;
    size_t i = n_++;
    for (; i > 0 && r_[i - 1].len < r.len; --i) r_[i] = r_[i - 1];  // stable among equals
    r_[i] = r;
    return RouteAdd::Ok;
  }
  // The gateway of the longest route whose prefix holds dst, if any.
  std::optional<A> lookup(const A& dst) const {
    for (size_t i = 0; i < n_; ++i)
      if (in_prefix(dst, r_[i].prefix, r_[i].len)) return r_[i].gateway;
    return std::nullopt;
  }
  size_t size() const { return n_; }
  const Route<A>* begin() const { return r_.data(); }
  const Route<A>* end() const { return r_.data() + n_; }

 private:
  std::array<Route<A>, kMaxRoutes> r_{};
  uint8_t n_ = 0;
};

}  // namespace pmx::net
