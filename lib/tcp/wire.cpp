#include "wire.hpp"

#include "net/checksum.hpp"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf_core.h>
#include <rte_tcp.h>

#include <cstring>

namespace pmx::tcp {

using stats::Ctr;

namespace {

enum : uint8_t { kEol = 0, kNop = 1, kMss = 2, kWscale = 3, kSackOk = 4, kSack = 5, kTs = 8 };

uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return rte_be_to_cpu_32(v);
}
uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return rte_be_to_cpu_16(v);
}
void store32(uint8_t* p, uint32_t v) {
  v = rte_cpu_to_be_32(v);
  std::memcpy(p, &v, 4);
}
void store16(uint8_t* p, uint16_t v) {
  v = rte_cpu_to_be_16(v);
  std::memcpy(p, &v, 2);
}

using net::csum_fold;
using net::csum_partial;

uint64_t pseudo_sum(uint32_t src_be, uint32_t dst_be, uint32_t tcp_len) {
  return net::csum_pseudo(src_be, dst_be, IPPROTO_TCP, static_cast<uint16_t>(tcp_len));
}
// RFC 9293 3.1 over IPv4, RFC 8200 8.1 over IPv6.
uint64_t pseudo_sum(const net::IpAddr& src, const net::IpAddr& dst, uint32_t tcp_len) {
  if (src.v6) return net::csum_pseudo6(src.b.data(), dst.b.data(), IPPROTO_TCP, tcp_len);
  return pseudo_sum(src.v4().be, dst.v4().be, tcp_len);
}

// The IP header of an outgoing segment at ip; returns its length. The IPv4
// header checksum is left 0 when the device computes it (ip_csum_hw).
uint32_t write_ip(uint8_t* ip, const OutSeg& s, uint32_t tcp_len, uint16_t ip_id, bool ip_csum_hw) {
  if (s.key.is_v6()) {
    // RFC 8200 3: version 6, traffic class and flow label 0, no extension
    // headers, hop limit 64 (RFC 4861 6.3.2's default CurHopLimit).
    rte_ipv6_hdr h{};
    h.vtc_flow = RTE_BE32(6u << 28);
    h.payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(tcp_len));
    h.proto = IPPROTO_TCP;
    h.hop_limits = 64;
    std::memcpy(h.src_addr, s.key.local6.data(), 16);
    std::memcpy(h.dst_addr, s.key.remote6.data(), 16);
    std::memcpy(ip, &h, sizeof h);
    return sizeof h;
  }
  rte_ipv4_hdr h{};
  h.version_ihl = RTE_IPV4_VHL_DEF;
  h.total_length = rte_cpu_to_be_16(static_cast<uint16_t>(20 + tcp_len));
  h.packet_id = rte_cpu_to_be_16(ip_id);
  h.fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
  h.time_to_live = 64;
  h.next_proto_id = IPPROTO_TCP;
  h.src_addr = s.key.local_ip;
  h.dst_addr = s.key.remote_ip;
  if (!ip_csum_hw) h.hdr_checksum = static_cast<uint16_t>(~csum_fold(csum_partial(&h, sizeof h)));
  std::memcpy(ip, &h, sizeof h);
  return sizeof h;
}

// The pseudo-header sum of s's TCP checksum over tcp_len bytes (RFC 9293
// 3.1, RFC 8200 8.1).
uint64_t pseudo_of(const OutSeg& s, uint32_t tcp_len) {
  return s.key.is_v6()
             ? net::csum_pseudo6(s.key.local6.data(), s.key.remote6.data(), IPPROTO_TCP, tcp_len)
             : pseudo_sum(s.key.local_ip, s.key.remote_ip, tcp_len);
}

void parse_sack(const uint8_t* p, uint8_t olen, TcpOpts& o) {
  // RFC 2018 3: 8 bytes per block, at most 4 fit in 40 option bytes.
  const uint8_t n = static_cast<uint8_t>((olen - 2) / 8);
  for (uint8_t i = 0; i < n && o.nsack < o.sack.size(); ++i)
    o.sack[o.nsack++] = SackBlock{load32(p + 2 + 8 * i), load32(p + 6 + 8 * i)};
}

// Applies the option at p (kind p[0], length olen >= 2). Options with a wrong
// length are ignored one by one.
void apply_option(const uint8_t* p, uint8_t olen, TcpOpts& o) {
  switch (p[0]) {
    case kMss:
      if (olen == 4) o.mss = load16(p + 2);
      break;
    case kWscale:
      // RFC 7323 2.3: a shift above 14 is used as 14.
      if (olen == 3) o.wscale = p[2] > 14 ? 14 : p[2];
      break;
    case kSackOk:
      if (olen == 2) o.sack_ok = true;
      break;
    case kSack:
      if (olen >= 10 && (olen - 2) % 8 == 0) parse_sack(p, olen, o);
      break;
    case kTs:
      if (olen == 10) {
        o.ts = true;
        o.ts_val = load32(p + 2);
        o.ts_ecr = load32(p + 6);
      }
      break;
    default:
      break;  // RFC 9293 3.1: unknown options are skipped by their length
  }
}

}  // namespace

void parse_options(const uint8_t* p, uint32_t len, TcpOpts& o) {
  uint32_t i = 0;
  while (i < len) {
    if (p[i] == kEol) return;
    if (p[i] == kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) return;  // kind without a length byte
    const uint8_t olen = p[i + 1];
    if (olen < 2 || i + olen > len) return;  // malformed: stop here
    apply_option(p + i, olen, o);
    i += olen;
  }
}

std::optional<Ctr> parse_segment(const uint8_t* p, uint32_t len, const net::IpAddr& src,
                                 const net::IpAddr& dst, uint16_t port_id, bool hw_good, Seg& s) {
  if (len < sizeof(rte_tcp_hdr)) return Ctr::tcp_too_short;
  const uint32_t off = (p[12] >> 4) * 4u;
  if (off < sizeof(rte_tcp_hdr) || off > len) return Ctr::tcp_bad_offset;
  if (!hw_good && csum_fold(csum_partial(p, len, pseudo_sum(src, dst, len))) != 0xffff)
    return Ctr::tcp_bad_checksum;
  rte_tcp_hdr h;
  std::memcpy(&h, p, sizeof h);
  if (h.src_port == 0 || h.dst_port == 0) return Ctr::tcp_bad_port;
  set_key(s.key, dst, src, h.dst_port, h.src_port, port_id);
  s.seq = rte_be_to_cpu_32(h.sent_seq);
  s.ack = rte_be_to_cpu_32(h.recv_ack);
  s.flags = h.tcp_flags & 0x3f;  // CWR/ECE ignored: no ECN (RFC 3168) yet
  s.wnd = rte_be_to_cpu_16(h.rx_win);
  s.opt = TcpOpts{};
  parse_options(p + sizeof h, off - sizeof h, s.opt);
  s.data = p + off;
  s.len = len - off;
  return std::nullopt;
}

uint32_t options_size(const TcpOpts& o) {
  uint32_t n = 0;
  if (o.mss) n += 4;
  if (o.wscale != TcpOpts::kNoWscale) n += 4;  // NOP + 3
  if (o.ts)
    n += 12;  // NOP NOP + 10 (SACK_OK rides in the NOPs)
  else if (o.sack_ok)
    n += 4;                           // NOP NOP + 2
  if (o.nsack) n += 4 + 8 * o.nsack;  // NOP NOP + 2 + 8n
  return n;
}

namespace {

uint8_t* write_options(uint8_t* q, const TcpOpts& o) {
  if (o.mss) {
    q[0] = kMss;
    q[1] = 4;
    store16(q + 2, o.mss);
    q += 4;
  }
  if (o.wscale != TcpOpts::kNoWscale) {
    q[0] = kNop;
    q[1] = kWscale;
    q[2] = 3;
    q[3] = o.wscale;
    q += 4;
  }
  if (o.ts) {
    q[0] = o.sack_ok ? kSackOk : kNop;
    q[1] = o.sack_ok ? 2 : kNop;
    q[2] = kTs;
    q[3] = 10;
    store32(q + 4, o.ts_val);
    store32(q + 8, o.ts_ecr);
    q += 12;
  } else if (o.sack_ok) {
    q[0] = kNop;
    q[1] = kNop;
    q[2] = kSackOk;
    q[3] = 2;
    q += 4;
  }
  if (o.nsack) {
    q[0] = kNop;
    q[1] = kNop;
    q[2] = kSack;
    q[3] = static_cast<uint8_t>(2 + 8 * o.nsack);
    q += 4;
    for (uint8_t i = 0; i < o.nsack; ++i, q += 8) {
      store32(q, o.sack[i].left);
      store32(q + 4, o.sack[i].right);
    }
  }
  return q;
}

}  // namespace

uint32_t header_size(const OutSeg& s) {
  return sizeof(rte_ether_hdr) + (s.key.is_v6() ? 40u : 20u) + 20 + options_size(s.opt);
}

uint32_t write_headers(uint8_t* buf, const rte_ether_addr& src_mac, const OutSeg& s, uint16_t ip_id,
                       TxCsum tx) {
  const uint32_t olen = options_size(s.opt);
  const uint32_t tcp_len = 20 + olen + s.len();
  auto* eth = reinterpret_cast<rte_ether_hdr*>(buf);
  std::memset(&eth->dst_addr, 0, sizeof eth->dst_addr);
  eth->src_addr = src_mac;
  eth->ether_type = s.key.is_v6() ? RTE_BE16(RTE_ETHER_TYPE_IPV6) : RTE_BE16(RTE_ETHER_TYPE_IPV4);

  uint8_t* ip = buf + sizeof(rte_ether_hdr);
  const uint32_t ip_len = write_ip(ip, s, tcp_len, ip_id, tx.ip && !s.key.is_v6());
  uint8_t* t = ip + ip_len;
  std::memcpy(t, &s.key.local_port, 2);
  std::memcpy(t + 2, &s.key.remote_port, 2);
  store32(t + 4, s.seq);
  store32(t + 8, s.ack);
  t[12] = static_cast<uint8_t>(((20 + olen) / 4) << 4);
  t[13] = s.flags;
  store16(t + 14, s.wnd);
  // The device's start: the pseudo-header sum, folded, not complemented; a
  // TSO segment's without the length (each cut segment adds its own).
  const uint16_t ph =
      tx.l4 ? static_cast<uint16_t>(csum_fold(pseudo_of(s, s.tso_mss ? 0 : tcp_len))) : uint16_t{0};
  std::memcpy(t + 16, &ph, 2);
  store16(t + 18, 0);  // urgent pointer
  write_options(t + 20, s.opt);
  return sizeof(rte_ether_hdr) + ip_len + 20 + olen;
}

TxMeta tx_meta(const OutSeg& s, TxCsum tx) {
  TxMeta m;
  if (!tx.l4) return m;
  const bool v6 = s.key.is_v6();
  m.l2_len = sizeof(rte_ether_hdr);
  m.l3_len = v6 ? 40 : 20;
  m.l4_len = static_cast<uint16_t>(20 + options_size(s.opt));
  m.ol_flags = (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) | RTE_MBUF_F_TX_TCP_CKSUM;
  if (!v6 && tx.ip) m.ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
  if (s.tso_mss) {
    m.ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
    m.tso_segsz = s.tso_mss;
  }
  return m;
}

uint32_t write_frame(uint8_t* buf, const rte_ether_addr& src_mac, const OutSeg& s, uint16_t ip_id,
                     TxCsum tx) {
  const uint32_t hlen = write_headers(buf, src_mac, s, ip_id, tx);
  uint8_t* q = buf + hlen;
  if (s.n1) std::memcpy(q, s.p1, s.n1);
  if (s.n2) std::memcpy(q + s.n1, s.p2, s.n2);
  if (!tx.l4) {
    const uint32_t l4_off = sizeof(rte_ether_hdr) + (s.key.is_v6() ? 40u : 20u);
    const uint32_t tcp_len = hlen - l4_off + s.len();
    uint8_t* t = buf + l4_off;
    const uint16_t ck =
        static_cast<uint16_t>(~csum_fold(csum_partial(t, tcp_len, pseudo_of(s, tcp_len))));
    std::memcpy(t + 16, &ck, 2);
  }
  return hlen + s.len();
}

}  // namespace pmx::tcp
