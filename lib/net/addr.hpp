// IPv4 addresses and per-port interface configuration.
// Byte order is in the type: Ipv4Addr holds network order (as on the wire);
// host-order values are only produced by host().
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pmx::net {

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

// Parses dotted-quad "a.b.c.d" (each 0..255, no leading '+', no spaces).
std::optional<Ipv4Addr> parse_ipv4(std::string_view s);
std::string to_string(Ipv4Addr a);
std::string to_string(const rte_ether_addr& m);

struct Ifaddr {
  Ipv4Addr addr;
  uint8_t prefix = 32;

  uint32_t mask_host() const { return prefix == 0 ? 0 : ~0u << (32 - prefix); }
  bool on_link(Ipv4Addr a) const { return ((a.host() ^ addr.host()) & mask_host()) == 0; }
  // The subnet's directed broadcast (none for /31 and /32, RFC 3021).
  bool is_directed_broadcast(Ipv4Addr a) const {
    return prefix < 31 && on_link(a) && (a.host() | mask_host()) == 0xffffffffu;
  }
};

// Parses "a.b.c.d/len" with 0 <= len <= 32.
std::optional<Ifaddr> parse_ifaddr(std::string_view s);

// What the data path knows of one port's layer 3: our MAC, our addresses,
// an optional default gateway. Read-only on workers once they run.
struct PortIp {
  static constexpr size_t kMaxAddrs = 64;  // a generator holding 1M connections needs 16

  uint16_t port_id = 0;
  rte_ether_addr mac{};
  std::array<Ifaddr, kMaxAddrs> addrs{};
  uint8_t naddrs = 0;
  Ipv4Addr gateway{};  // zero: none

  bool is_local(Ipv4Addr a) const {
    for (uint8_t i = 0; i < naddrs; ++i)
      if (addrs[i].addr == a) return true;
    return false;
  }
  // Next hop for dst: dst itself when on-link on any of our subnets, else the
  // gateway; zero when neither (no route).
  Ipv4Addr next_hop(Ipv4Addr dst) const {
    for (uint8_t i = 0; i < naddrs; ++i)
      if (addrs[i].on_link(dst)) return dst;
    return gateway;
  }
  // Our address to answer from on the subnet of peer, else the first one.
  Ipv4Addr source_for(Ipv4Addr peer) const {
    for (uint8_t i = 0; i < naddrs; ++i)
      if (addrs[i].on_link(peer)) return addrs[i].addr;
    return naddrs ? addrs[0].addr : Ipv4Addr{};
  }
};

}  // namespace pmx::net
