// TCP on the wire: header and option parsing (RFC 9293 3.1-3.2, RFC 7323,
// RFC 2018) and frame building. Pure functions over bytes: no EAL needed.
#pragma once

#include "net/addr.hpp"
#include "segment.hpp"
#include "stats/counters.hpp"

#include <rte_ether.h>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace pmx::tcp {

// Parses the TCP segment at p (len bytes: the IP payload) sent from src to
// dst (both of one family), received on interface port_id (the flow key's). Verifies the
// checksum over the RFC 9293 3.1 (IPv4) or RFC 8200 8.1 (IPv6)
// pseudo-header unless hw_good. Returns the drop counter or fills s.
// Malformed options end option parsing (the options seen so far are kept)
// rather than dropping the segment: RFC 9293 3.1 asks a receiver to be
// prepared for any option and never to crash on a bad one.
std::optional<stats::Ctr> parse_segment(const uint8_t* p, uint32_t len, const net::IpAddr& src,
                                        const net::IpAddr& dst, uint16_t port_id, bool hw_good,
                                        Seg& s);

// Parses the option bytes [p, p+len) into o.
void parse_options(const uint8_t* p, uint32_t len, TcpOpts& o);

// Bytes the options of o take on the wire (a multiple of 4).
uint32_t options_size(const TcpOpts& o);

inline constexpr uint32_t kHeaders = sizeof(rte_ether_hdr) + 20 /* IPv4 */ + 20 /* TCP */;
inline constexpr uint32_t kHeaders6 = sizeof(rte_ether_hdr) + 40 /* IPv6 */ + 20 /* TCP */;
inline constexpr uint32_t kMaxOptions = 40;

// Writes Ethernet (destination left zero: the neighbour table fills it),
// IPv4 (DF, TTL 64) or, for an IPv6 key, IPv6 (hop limit 64, no extension
// headers) and TCP headers, options and payload of s into buf, which holds
// at least kHeaders6 + kMaxOptions + s.len() bytes, and computes the
// checksums in software. Returns the frame length.
uint32_t write_frame(uint8_t* buf, const rte_ether_addr& src_mac, const OutSeg& s, uint16_t ip_id);

}  // namespace pmx::tcp
