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

// Which checksums the port computes on the way out (its granted TX
// offloads; docs/hardware.md, "Offloads").
struct TxCsum {
  bool ip = false;  // IPV4_CKSUM: the IPv4 header checksum
  bool l4 = false;  // TCP_CKSUM: the TCP checksum
};

// Header bytes of s's frame: Ethernet, IP, TCP with its options.
uint32_t header_size(const OutSeg& s);

// Writes Ethernet (destination left zero: the neighbour table fills it),
// IPv4 (DF, TTL 64) or, for an IPv6 key, IPv6 (hop limit 64, no extension
// headers) and TCP headers and options of s into buf (header_size(s) bytes),
// the IP lengths counting s.len() payload bytes. Checksums: with tx.ip the
// IPv4 header checksum is left 0 for the device; with tx.l4 the TCP checksum
// field holds the pseudo-header sum the device starts from (DPDK's
// convention, rte_ipv4_phdr_cksum(): without the length for a TSO segment,
// s.tso_mss > 0, whose segments each have their own); otherwise the TCP
// checksum is 0 and write_frame() computes it. Returns header_size(s).
uint32_t write_headers(uint8_t* buf, const rte_ether_addr& src_mac, const OutSeg& s, uint16_t ip_id,
                       TxCsum tx);

// What the device needs to finish s's frame (rte_mbuf's TX offload fields
// and flags): nothing with tx.l4 off (portmux computed every checksum);
// otherwise l2/l3/l4 header lengths, TX_IPV4 or TX_IPV6, TX_TCP_CKSUM,
// TX_IP_CKSUM with tx.ip over IPv4, and TX_TCP_SEG with tso_segsz for a TSO
// segment. l2_len is the untagged header's: a tag written later adds 4.
struct TxMeta {
  uint64_t ol_flags = 0;
  uint8_t l2_len = 0;
  uint16_t l3_len = 0;
  uint16_t l4_len = 0;
  uint16_t tso_segsz = 0;
};
TxMeta tx_meta(const OutSeg& s, TxCsum tx);

// write_headers(), then the payload of s, then (unless tx.l4) the TCP
// checksum in software; buf holds at least kHeaders6 + kMaxOptions +
// s.len() bytes. Returns the frame length. Not for TSO segments (they do
// not fit one buffer: the worker chains their payload).
uint32_t write_frame(uint8_t* buf, const rte_ether_addr& src_mac, const OutSeg& s, uint16_t ip_id,
                     TxCsum tx = {});

}  // namespace pmx::tcp
