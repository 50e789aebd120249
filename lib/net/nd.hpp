// Neighbour discovery messages (RFC 4861): validation of received neighbour
// solicitations and advertisements (7.1.1, 7.1.2), and the advertisement
// writer used to answer a solicitation in place (7.2.4). Pure code: the data
// path (net::ingress) and the control plane's duplicate address detection
// share it.
#pragma once

#include "addr.hpp"
#include "stats/counters.hpp"

#include <rte_ether.h>

#include <cstdint>
#include <optional>

namespace pmx::net {

inline constexpr uint8_t kNdSolicit = 135;                          // RFC 4861 4.3
inline constexpr uint8_t kNdAdvert = 136;                           // RFC 4861 4.4
inline constexpr uint8_t kNdOptSourceLla = 1, kNdOptTargetLla = 2;  // RFC 4861 4.6.1
// Neighbour advertisement flags, the first byte after the checksum.
inline constexpr uint8_t kNaRouter = 0x80, kNaSolicited = 0x40, kNaOverride = 0x20;
inline constexpr uint8_t kNdHopLimit = 255;  // RFC 4861 7.1: never forwarded
inline constexpr uint16_t kNdMinLen = 24;    // ICMPv6 header, 4 bytes, target
inline constexpr uint16_t kNaLen = 32;       // an advertisement with a target LLA option

// One received solicitation or advertisement.
struct NdMessage {
  uint8_t type = 0;   // kNdSolicit or kNdAdvert
  uint8_t flags = 0;  // advertisement: kNaRouter | kNaSolicited | kNaOverride
  Ipv6Addr target;
  // The link-layer address option that matters for the type: a
  // solicitation's source (type 1), an advertisement's target (type 2).
  // Other options are skipped (4.6: unknown ones silently ignored).
  bool has_lla = false;
  rte_ether_addr lla{};
};

// RFC 4291 2.7.1: ff02::1:ffXX:XXXX.
bool is_solicited_node(const Ipv6Addr& a);

// Validates the neighbour solicitation or advertisement at icmp (n bytes,
// ICMPv6 type 135 or 136, checksum already verified) carried from src to dst
// with hop_limit, per RFC 4861 7.1.1/7.1.2: hop limit 255, code 0, at least
// 24 bytes, target not multicast (nor ::), every option of length > 0 and inside the
// message, a link-layer address option 8 bytes long with a unicast MAC; a
// solicitation from :: goes to a solicited-node group and carries no source
// link-layer option; an advertisement to a multicast destination has S clear.
// Returns the drop counter, or nullopt with out filled in. Whether the
// target is ours, and what to learn, is the caller's policy.
std::optional<stats::Ctr> parse_nd(const uint8_t* icmp, uint16_t n, const Ipv6Addr& src,
                                   const Ipv6Addr& dst, uint8_t hop_limit, NdMessage& out);

// Writes a whole neighbour advertisement frame at f (Ethernet, IPv6 with
// hop limit 255, ICMPv6 with its checksum): from src to dst for target with
// flags, and when tlla a target link-layer option with our_mac (RFC 4861
// 4.4). Returns the frame length: 14 + 40 + 24, plus 8 with the option.
uint16_t write_na(uint8_t* f, const rte_ether_addr& eth_dst, const rte_ether_addr& our_mac,
                  const Ipv6Addr& src, const Ipv6Addr& dst, const Ipv6Addr& target, uint8_t flags,
                  bool tlla);

}  // namespace pmx::net
