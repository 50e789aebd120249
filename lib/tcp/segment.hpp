// A TCP segment as the engine sees it: parsed and checksum-verified on the
// way in (Seg), described header-by-field on the way out (OutSeg). Neither
// owns packet memory: Seg points into the received frame, OutSeg into a
// connection's send buffer, valid until the engine is called again.
#pragma once

#include "flow/flow_key.hpp"
#include "net/addr.hpp"

#include <array>
#include <cstdint>

namespace pmx::tcp {

namespace flag {
inline constexpr uint8_t FIN = 0x01;
inline constexpr uint8_t SYN = 0x02;
inline constexpr uint8_t RST = 0x04;
inline constexpr uint8_t PSH = 0x08;
inline constexpr uint8_t ACK = 0x10;
inline constexpr uint8_t URG = 0x20;
}  // namespace flag

// The addresses of a key as IpAddr, and a key from them (ports in network order).
inline net::IpAddr local_addr(const flow::FlowKey& k) {
  return k.is_v6() ? net::IpAddr::of(net::Ipv6Addr{k.local6})
                   : net::IpAddr::of(net::Ipv4Addr{k.local_ip});
}
inline net::IpAddr remote_addr(const flow::FlowKey& k) {
  return k.is_v6() ? net::IpAddr::of(net::Ipv6Addr{k.remote6})
                   : net::IpAddr::of(net::Ipv4Addr{k.remote_ip});
}
// Writes the key in place, field by field. (Building a FlowKey and copying
// it made the compiler assemble the first 16 bytes on the stack with two
// 8-byte stores and reload them as one 16-byte load, a store-forwarding
// stall on every parsed segment: docs/performance.md, issue 13.)
inline void set_key(flow::FlowKey& k, const net::IpAddr& local, const net::IpAddr& remote,
                    uint16_t local_port_be, uint16_t remote_port_be, uint16_t port_id) {
  k.local_port = local_port_be;
  k.remote_port = remote_port_be;
  k.port_id = port_id;
  if (local.v6) {
    k.local_ip = k.remote_ip = 0;
    k.v6 = 1;
    k.local6 = local.b;
    k.remote6 = remote.b;
  } else {
    k.local_ip = local.v4().be;
    k.remote_ip = remote.v4().be;
    k.v6 = 0;
    k.local6 = {};
    k.remote6 = {};
  }
}
inline flow::FlowKey make_key(const net::IpAddr& local, const net::IpAddr& remote,
                              uint16_t local_port_be, uint16_t remote_port_be, uint16_t port_id) {
  flow::FlowKey k;
  set_key(k, local, remote, local_port_be, remote_port_be, port_id);
  return k;
}

struct SackBlock {
  uint32_t left = 0, right = 0;  // [left, right) in host order
};

// Options (RFC 9293 3.2, RFC 7323, RFC 2018). Absent ones keep these values.
struct TcpOpts {
  static constexpr uint8_t kNoWscale = 0xff;
  uint16_t mss = 0;  // 0: absent
  uint8_t wscale = kNoWscale;
  bool sack_ok = false;
  bool ts = false;
  uint8_t nsack = 0;
  uint32_t ts_val = 0, ts_ecr = 0;
  std::array<SackBlock, 4> sack{};
};

struct Seg {
  flow::FlowKey key;          // local = the packet's destination
  uint32_t seq = 0, ack = 0;  // host order
  uint8_t flags = 0;
  uint16_t wnd = 0;  // as on the wire (unscaled)
  TcpOpts opt;
  const uint8_t* data = nullptr;
  uint32_t len = 0;  // payload bytes

  bool has(uint8_t f) const { return flags & f; }
  // RFC 9293 3.4: SEG.LEN counts SYN and FIN.
  uint32_t seg_len() const { return len + (has(flag::SYN) ? 1 : 0) + (has(flag::FIN) ? 1 : 0); }
};

struct OutSeg {
  flow::FlowKey key;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 0;
  TcpOpts opt;                  // the options to write (mss/wscale/sack_ok on SYNs only)
  const uint8_t* p1 = nullptr;  // payload: p1[0..n1) then p2[0..n2)
  uint32_t n1 = 0;
  const uint8_t* p2 = nullptr;
  uint32_t n2 = 0;
  // > 0: a TSO segment (len() > tso_mss) that the device cuts into segments
  // of tso_mss payload bytes, each with these headers (docs/tcp.md, "TSO").
  uint16_t tso_mss = 0;

  uint32_t len() const { return n1 + n2; }
};

}  // namespace pmx::tcp
