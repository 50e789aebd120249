// A NIC's transmit side as rte_mbuf's offload contract describes it, for the
// unit tests: given the frame portmux writes for TX checksum offload (and
// TSO), it does what the device would (finishes the IPv4 header checksum,
// sums the TCP checksum from the pseudo-header value in the field, cuts a
// TSO segment into tso_segsz-byte segments, each with the headers, its own
// sequence number, lengths and IP id, FIN and PSH on the last only) and
// returns the frames that would go on the wire. The fixture parses each
// back with the checksums verified (tcp_fixture.hpp drain()), so every
// segment of every engine test is also checked through the offload path.
#pragma once

#include "net/checksum.hpp"
#include "tcp/segment.hpp"
#include "tcp/wire.hpp"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf_core.h>

#include <cstring>
#include <vector>

namespace pmx::tcp::test {

using Frame = std::vector<uint8_t>;

inline void device_finish(Frame& f, const TxMeta& m) {
  uint8_t* ip = f.data() + m.l2_len;
  if (m.ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
    std::memset(ip + 10, 0, 2);
    const auto ck = static_cast<uint16_t>(~net::csum_fold(net::csum_partial(ip, m.l3_len)));
    std::memcpy(ip + 10, &ck, 2);
  }
  uint8_t* t = ip + m.l3_len;
  const auto tcp_len = static_cast<uint32_t>(f.size() - m.l2_len - m.l3_len);
  uint64_t sum = net::csum_partial(t, tcp_len);
  if (m.ol_flags & RTE_MBUF_F_TX_TCP_SEG) {  // the field lacks the length: add this cut's
    const uint16_t len_be = rte_cpu_to_be_16(static_cast<uint16_t>(tcp_len));
    sum = net::csum_partial(&len_be, 2, sum);
  }
  const auto ck = static_cast<uint16_t>(~net::csum_fold(sum));
  std::memcpy(t + 16, &ck, 2);
}

// The wire frames of s sent with the offloads tx.
inline std::vector<Frame> device_frames(const OutSeg& s, TxCsum tx) {
  const TxMeta m = tx_meta(s, tx);
  Frame whole(header_size(s) + s.len());
  const uint32_t hlen = write_headers(whole.data(), rte_ether_addr{{2, 0, 0, 0, 0, 1}}, s, 7, tx);
  if (s.n1) std::memcpy(whole.data() + hlen, s.p1, s.n1);
  if (s.n2) std::memcpy(whole.data() + hlen + s.n1, s.p2, s.n2);
  if (!(m.ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
    device_finish(whole, m);
    return {whole};
  }
  std::vector<Frame> out;
  const bool v6 = s.key.is_v6();
  for (uint32_t off = 0; off < s.len(); off += m.tso_segsz) {
    const uint32_t n = std::min<uint32_t>(m.tso_segsz, s.len() - off);
    Frame f(whole.begin(), whole.begin() + hlen);
    f.insert(f.end(), whole.begin() + hlen + off, whole.begin() + hlen + off + n);
    uint8_t* ip = f.data() + m.l2_len;
    const auto l3_payload = static_cast<uint16_t>(m.l4_len + n);
    if (v6) {
      const uint16_t pl = rte_cpu_to_be_16(l3_payload);
      std::memcpy(ip + 4, &pl, 2);
    } else {
      const uint16_t tl = rte_cpu_to_be_16(static_cast<uint16_t>(20 + l3_payload));
      const uint16_t id = rte_cpu_to_be_16(static_cast<uint16_t>(7 + off / m.tso_segsz));
      std::memcpy(ip + 2, &tl, 2);
      std::memcpy(ip + 4, &id, 2);
      if (!(m.ol_flags & RTE_MBUF_F_TX_IP_CKSUM)) {  // software wrote it for the whole: redo
        std::memset(ip + 10, 0, 2);
        const auto ck = static_cast<uint16_t>(~net::csum_fold(net::csum_partial(ip, 20)));
        std::memcpy(ip + 10, &ck, 2);
      }
    }
    uint8_t* t = ip + m.l3_len;
    const uint32_t seq = s.seq + off;
    const uint32_t seq_be = rte_cpu_to_be_32(seq);
    std::memcpy(t + 4, &seq_be, 4);
    if (off + n < s.len()) t[13] &= static_cast<uint8_t>(~(flag::FIN | flag::PSH));
    device_finish(f, m);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace pmx::tcp::test
