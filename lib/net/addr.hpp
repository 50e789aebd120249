// IPv4 and IPv6 addresses and per-port interface configuration.
// Byte order is in the type: Ipv4Addr holds network order (as on the wire);
// host-order values are only produced by host(). Ipv6Addr is its 16 bytes as
// on the wire; IpAddr holds either family.
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "net/route_table.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace pmx::net {

// Duplicate address detection and the announcements (gratuitous ARP,
// unsolicited NA) cover every address of a range this small, else only its
// first and last: one frame per address of 2^20 would flood the link at
// start (docs/architecture.md, "Address ranges").
inline constexpr uint32_t kAnnounceAll = 16;

struct Ipv4Addr {
  uint32_t be = 0;  // network byte order

  static constexpr Ipv4Addr from_host(uint32_t h) { return {swap(h)}; }
  constexpr uint32_t host() const { return swap(be); }
  constexpr bool is_zero() const { return be == 0; }
  // RFC 1122 3.2.1.3: limited broadcast, class D/E and 0.0.0.0/8 never
  // appear as a valid unicast source.
  bool is_martian_source() const {
    uint32_t h = host();
    return h == 0xffffffffu || (h >> 28) >= 0xe || (h >> 24) == 0;
  }
  friend constexpr bool operator==(Ipv4Addr, Ipv4Addr) = default;

 private:
  static constexpr uint32_t swap(uint32_t v) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap32(v);
    return v;
  }
};

// An IPv6 address, the 16 bytes as on the wire (RFC 4291 2).
struct Ipv6Addr {
  std::array<uint8_t, 16> b{};

  bool is_zero() const {
    for (uint8_t x : b)
      if (x) return false;
    return true;
  }
  bool is_multicast() const { return b[0] == 0xff; }                            // RFC 4291 2.7
  bool is_link_local() const { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }  // fe80::/10
  bool is_loopback() const {
    for (int i = 0; i < 15; ++i)
      if (b[i]) return false;
    return b[15] == 1;
  }
  // RFC 4291 2.7.1: the solicited-node group of this address, ff02::1:ffXX:XXXX.
  Ipv6Addr solicited_node() const {
    Ipv6Addr m;
    m.b[0] = 0xff;
    m.b[1] = 0x02;
    m.b[11] = 0x01;
    m.b[12] = 0xff;
    m.b[13] = b[13];
    m.b[14] = b[14];
    m.b[15] = b[15];
    return m;
  }
  static Ipv6Addr all_nodes() {  // ff02::1
    Ipv6Addr m;
    m.b[0] = 0xff;
    m.b[1] = 0x02;
    m.b[15] = 0x01;
    return m;
  }
  friend bool operator==(const Ipv6Addr&, const Ipv6Addr&) = default;
};

// The Ethernet multicast address a frame to IPv6 group g goes to (RFC 2464
// 7): 33:33 and the group's last 32 bits.
rte_ether_addr multicast_mac(const Ipv6Addr& g);

// The stable link-local address of a port (RFC 4862 5.3, RFC 4291 2.5.1):
// fe80::/64 with the modified EUI-64 interface identifier of its MAC.
Ipv6Addr link_local_from_mac(const rte_ether_addr& mac);

// An address of either family: v6 false keeps an IPv4 address in b[12..15]
// with the rest zero. That is only this type's layout, not RFC 4291's
// v4-mapped form: two IpAddr of different families are never equal, and a
// listener of one family never takes the other's segments.
// Converts implicitly from either family's own type (the family goes along).
struct IpAddr {
  std::array<uint8_t, 16> b{};
  bool v6 = false;

  IpAddr() = default;
  IpAddr(Ipv4Addr a) { std::memcpy(&b[12], &a.be, 4); }  // NOLINT: implicit by design
  IpAddr(const Ipv6Addr& a) : b(a.b), v6(true) {}        // NOLINT: implicit by design
  static IpAddr of(Ipv4Addr a) { return IpAddr(a); }
  static IpAddr of(const Ipv6Addr& a) { return IpAddr(a); }
  Ipv4Addr v4() const {
    Ipv4Addr a;
    std::memcpy(&a.be, &b[12], 4);
    return a;
  }
  Ipv6Addr v6addr() const { return Ipv6Addr{b}; }
  bool is_zero() const { return v6 ? v6addr().is_zero() : v4().is_zero(); }
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
};

// Parses dotted-quad "a.b.c.d" (each 0..255, no leading '+', no spaces).
std::optional<Ipv4Addr> parse_ipv4(std::string_view s);
std::string to_string(Ipv4Addr a);
std::string to_string(const rte_ether_addr& m);
// RFC 4291 2.2 text forms (hex groups, one "::", a dotted-quad tail); no
// zone, no brackets.
std::optional<Ipv6Addr> parse_ipv6(std::string_view s);
// RFC 5952 4: lower case, no leading zeros, the longest run of two or more
// zero groups (the first of equal ones) as "::".
std::string to_string(const Ipv6Addr& a);
// Either family: IPv4 dotted quad or IPv6 (no brackets).
std::optional<IpAddr> parse_ip(std::string_view s);
std::string to_string(const IpAddr& a);
// "a.b.c.d:port" or "[v6]:port" (RFC 5952 6); port in host order.
std::string endpoint_string(const IpAddr& a, uint16_t port);

// One of our IPv4 address ranges: count addresses from addr up (a single
// address is a range of one), all on the subnet addr/prefix. The range is
// stored, never its addresses (issue 14: 2^20 of them cost these 12 bytes).
struct Ifaddr {
  Ipv4Addr addr;  // the first address
  uint8_t prefix = 32;
  uint32_t count = 1;  // 1..kMaxRange

  static constexpr uint32_t kMaxRange = 1u << 20;

  uint32_t mask_host() const { return prefix == 0 ? 0 : ~0u << (32 - prefix); }
  bool on_link(Ipv4Addr a) const { return ((a.host() ^ addr.host()) & mask_host()) == 0; }
  // a is one of the range's addresses (unsigned wrap makes a < first miss).
  bool contains(Ipv4Addr a) const { return a.host() - addr.host() < count; }
  Ipv4Addr last() const { return at(count - 1); }
  // The k-th address of the range, k < count.
  Ipv4Addr at(uint32_t k) const { return Ipv4Addr::from_host(addr.host() + k); }
  // The addresses DAD probes and announcements name: k < announced().
  uint32_t announced() const { return count <= kAnnounceAll ? count : 2; }
  Ipv4Addr announced(uint32_t k) const { return count <= kAnnounceAll || k == 0 ? at(k) : last(); }
  // The subnet's directed broadcast (none for /31 and /32, RFC 3021).
  bool is_directed_broadcast(Ipv4Addr a) const {
    return prefix < 31 && on_link(a) && (a.host() | mask_host()) == 0xffffffffu;
  }
};

// Parses "a.b.c.d/len" with 0 <= len <= 32.
std::optional<Ifaddr> parse_ifaddr(std::string_view s);

// One of our IPv6 address ranges: count addresses from addr up, differing
// in the low 64 bits only (a range never carries into the high half).
struct Ifaddr6 {
  Ipv6Addr addr;  // the first address
  uint8_t prefix = 128;
  uint32_t count = 1;  // 1..Ifaddr::kMaxRange

  bool on_link(const Ipv6Addr& a) const {
    unsigned bits = prefix;
    for (size_t i = 0; i < 16 && bits; ++i) {
      const unsigned n = bits >= 8 ? 8 : bits;
      const uint8_t mask = static_cast<uint8_t>(0xff00u >> n);
      if ((a.b[i] ^ addr.b[i]) & mask) return false;
      bits -= n;
    }
    return true;
  }
  bool contains(const Ipv6Addr& a) const {
    return std::memcmp(a.b.data(), addr.b.data(), 8) == 0 && low64(a) - low64(addr) < count;
  }
  // g is the solicited-node group (RFC 4291 2.7.1) of one of the range's
  // addresses: ff02::1:ffXX:XXXX with the low 24 bits of one of them. count
  // <= 2^20 < 2^24, so the range's low 24 bits are one interval mod 2^24.
  bool has_solicited_node(const Ipv6Addr& g) const {
    if (!(g.solicited_node() == g)) return false;
    return ((low64(g) - low64(addr)) & 0xffffffu) < count;
  }
  Ipv6Addr last() const { return at(count - 1); }
  uint32_t announced() const { return count <= kAnnounceAll ? count : 2; }
  Ipv6Addr announced(uint32_t k) const { return count <= kAnnounceAll || k == 0 ? at(k) : last(); }
  // The k-th address of the range, k < count.
  Ipv6Addr at(uint32_t k) const {
    Ipv6Addr a = addr;
    uint64_t lo = low64(addr) + k;
    for (size_t i = 16; i-- > 8; lo >>= 8) a.b[i] = static_cast<uint8_t>(lo);
    return a;
  }
  static uint64_t low64(const Ipv6Addr& a) {
    uint64_t v = 0;
    for (size_t i = 8; i < 16; ++i) v = v << 8 | a.b[i];
    return v;
  }
};

// Parses "v6addr/len" with 0 <= len <= 128.
std::optional<Ifaddr6> parse_ifaddr6(std::string_view s);

// The value of --addr (lib/config/options.cpp's value side): "ADDR/LEN" or
// "FIRST-LAST/LEN", either family. Exactly one of v4/v6 is set on success;
// on failure err is one line naming what is wrong (no option name).
struct AddrValue {
  std::optional<Ifaddr> v4;
  std::optional<Ifaddr6> v6;
  std::string err;
};
AddrValue parse_addr_value(std::string_view s);
// Whether two ranges share an address (of one family).
bool overlaps(const Ifaddr& a, const Ifaddr& b);
bool overlaps(const Ifaddr6& a, const Ifaddr6& b);
// "FIRST-LAST/LEN", or "ADDR/LEN" for a range of one.
std::string to_string(const Ifaddr& a);
std::string to_string(const Ifaddr6& a);

// dst is in prefix/len: the route lookup's test (RouteTable, per family).
inline bool in_prefix(Ipv4Addr dst, Ipv4Addr prefix, uint8_t len) {
  return Ifaddr{prefix, len, 1}.on_link(dst);
}
inline bool in_prefix(const Ipv6Addr& dst, const Ipv6Addr& prefix, uint8_t len) {
  return Ifaddr6{prefix, len, 1}.on_link(dst);
}

// What the data path knows of one interface's layer 3: the ethdev port and
// 802.1Q VLAN it is on (docs/architecture.md, "Interfaces and VLANs"), our
// MAC, our address ranges, an optional default gateway. Read-only on
// workers once they run. Lookups loop over at most kMaxAddrs ranges per
// family, never over addresses.
struct PortIp {
  static constexpr size_t kMaxAddrs = 64;              // ranges per family
  static constexpr uint32_t kMaxPortAddrs = 1u << 20;  // addresses per family

  uint16_t port_id = 0;  // the ethdev port
  uint16_t vlan = 0;     // 0: the port's untagged interface, else its VLAN id (1..4094)
  // --kernel-port: what this interface does not consume goes up to the
  // host's kernel instead of being dropped (docs/architecture.md, "The
  // kernel exception path"); untagged interfaces only.
  bool kernel = false;
  rte_ether_addr mac{};
  std::array<Ifaddr, kMaxAddrs> addrs{};
  uint8_t naddrs = 0;
  Ipv4Addr gateway{};  // zero: none
  // IPv6 (RFC 4861/4862): the global address ranges that passed duplicate
  // address detection at start, the link-local address made from the MAC
  // (always there, fe80::/64 on-link), and the default router.
  std::array<Ifaddr6, kMaxAddrs> addrs6{};
  uint8_t naddrs6 = 0;
  Ipv6Addr link_local{};
  Ipv6Addr gateway6{};  // zero: none
  // --route: off-link prefixes with their gateway, one table per family.
  RouteTable<Ipv4Addr> routes{};
  RouteTable<Ipv6Addr> routes6{};

  bool is_local6(const Ipv6Addr& a) const {
    if (a == link_local) return true;
    for (uint8_t i = 0; i < naddrs6; ++i)
      if (addrs6[i].contains(a)) return true;
    return false;
  }
  // Multicast groups we receive: all-nodes and the solicited-node group of
  // each of our addresses (RFC 4861 7.2.1).
  bool is_our_group(const Ipv6Addr& g) const {
    if (g == Ipv6Addr::all_nodes()) return true;
    if (g == link_local.solicited_node()) return true;
    for (uint8_t i = 0; i < naddrs6; ++i)
      if (addrs6[i].has_solicited_node(g)) return true;
    return false;
  }
  Ipv6Addr next_hop6(const Ipv6Addr& dst) const {
    if (dst.is_link_local()) return dst;
    for (uint8_t i = 0; i < naddrs6; ++i)
      if (addrs6[i].on_link(dst)) return dst;
    if (auto gw = routes6.lookup(dst)) return *gw;
    return gateway6;
  }
  // RFC 6724 in short: the link-local address for link-local peers, else
  // the first address of our range on the peer's subnet, else the first
  // global one.
  Ipv6Addr source_for6(const Ipv6Addr& peer) const {
    if (peer.is_link_local() || naddrs6 == 0) return link_local;
    for (uint8_t i = 0; i < naddrs6; ++i)
      if (addrs6[i].on_link(peer)) return addrs6[i].addr;
    return addrs6[0].addr;
  }
  bool is_local(const IpAddr& a) const { return a.v6 ? is_local6(a.v6addr()) : is_local(a.v4()); }
  // Zero (v6 false or true) when there is no route.
  IpAddr next_hop(const IpAddr& dst) const {
    return dst.v6 ? IpAddr::of(next_hop6(dst.v6addr())) : IpAddr::of(next_hop(dst.v4()));
  }

  // The first address of the n from first up that is not ours, if any: a
  // walk over the ranges, not the addresses (the generator's sources).
  std::optional<Ipv4Addr> first_not_local(Ipv4Addr first, uint32_t n) const;
  std::optional<Ipv6Addr> first_not_local6(const Ipv6Addr& first, uint32_t n) const;

  bool is_local(Ipv4Addr a) const {
    for (uint8_t i = 0; i < naddrs; ++i)
      if (addrs[i].contains(a)) return true;
    return false;
  }
  // Next hop for dst: dst itself when on-link on any of our subnets, else the
  // gateway of the longest route holding it, else the default gateway; zero
  // when none (no route). next_hop6 likewise.
  Ipv4Addr next_hop(Ipv4Addr dst) const {
    for (uint8_t i = 0; i < naddrs; ++i)
      if (addrs[i].on_link(dst)) return dst;
    if (auto gw = routes.lookup(dst)) return *gw;
    return gateway;
  }
  // Our address to answer from on the subnet of peer (the first of that
  // range), else the first one.
  Ipv4Addr source_for(Ipv4Addr peer) const {
    for (uint8_t i = 0; i < naddrs; ++i)
      if (addrs[i].on_link(peer)) return addrs[i].addr;
    return naddrs ? addrs[0].addr : Ipv4Addr{};
  }
};

// An interface's name: "PORT" untagged, "PORT.VLAN" on a VLAN (as
// --addr spells it).
inline std::string iface_name(uint16_t port, uint16_t vlan) {
  return vlan ? std::to_string(port) + "." + std::to_string(vlan) : std::to_string(port);
}
inline std::string iface_name(const PortIp& ip) { return iface_name(ip.port_id, ip.vlan); }

}  // namespace pmx::net
