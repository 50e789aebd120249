// SYN cookies (RFC 4987 3.6): a listener under a SYN flood answers SYNs
// without keeping state, encoding what it must remember in the sequence
// number of its SYN-ACK (and, with timestamps, in its TSval), and creates
// the connection when a valid ACK comes back. Pure functions, no engine
// state: tests/unit/test_syncookie.cpp exercises them directly.
//
// Layout of the cookie (our ISS for the connection):
//   bits 31..2  the top 30 bits of SipHash-2-4(key, 4-tuple, peer ISN,
//               period), period = now / 64 s
//   bits  1..0  index of the MSS in kMss (the largest entry <= the MSS the
//               peer offered, capped by ours)
// A returning ACK validates if ACK - 1 matches for the current or the
// previous period: a cookie lives 64 to 128 s. The key is random per
// process (getrandom at start): no cookie of another appliance, or of this
// one before a restart, validates, and no cookie of a period older than the
// previous one (the hash covers the period). A forged ACK passes with
// probability 2 * 2^-30.
//
// With timestamps (RFC 7323), the options the SYN offered and the stateless
// SYN-ACK accepted are encoded in the low bits of our TSval, as Linux does,
// and come back in the ACK's TSecr: bits 3..0 the peer's window shift (15:
// no window scaling), bit 4 SACK permitted. Without timestamps there is no
// room for them: the SYN-ACK then offers neither window scaling nor SACK,
// so neither is in use (RFC 7323 2.2, RFC 2018 2 need both ends).
#pragma once

#include "flow/flow_key.hpp"
#include "isn.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

namespace pmx::tcp::cookie {

inline constexpr std::array<uint16_t, 4> kMss = {536, 1300, 1440, 1460};
inline constexpr uint64_t kPeriodUs = 64'000'000;
inline constexpr uint8_t kNoWscale = 15;
inline constexpr uint32_t kTsBits = 5;  // TSval bits carrying the options
inline constexpr uint32_t kTsMask = (1u << kTsBits) - 1;

// The index into kMss for a peer offering mss (0: absent, RFC 9293 536)
// when ours is ours.
inline uint8_t mss_index(uint16_t peer_mss, uint16_t ours) {
  const uint16_t m = std::min<uint16_t>(peer_mss ? peer_mss : 536, ours);
  uint8_t i = 0;
  for (uint8_t k = 0; k < kMss.size(); ++k)
    if (kMss[k] <= m) i = k;
  return i;
}

inline uint32_t hash(const std::array<uint8_t, 16>& key, const flow::FlowKey& k, uint32_t peer_isn,
                     uint64_t period) {
  // The family's key bytes (flow_key.hpp: IPv4 16, IPv6 48), then the
  // peer's ISN and the period.
  uint8_t buf[sizeof(flow::FlowKey) + 4 + 8];
  const size_t n = k.hashed_bytes();
  std::memcpy(buf, &k, n);
  std::memcpy(buf + n, &peer_isn, 4);
  std::memcpy(buf + n + 4, &period, 8);
  return static_cast<uint32_t>(siphash24(key, buf, n + 12) >> 32);
}

// The cookie for a SYN with sequence number peer_isn on 4-tuple k at now_us.
inline uint32_t make(const std::array<uint8_t, 16>& key, const flow::FlowKey& k, uint32_t peer_isn,
                     uint64_t now_us, uint8_t mss_idx) {
  return (hash(key, k, peer_isn, now_us / kPeriodUs) & ~3u) | (mss_idx & 3u);
}

// Checks the ACK number of a returning ACK (seq = peer ISN + 1). Returns the
// MSS index, or nothing if the cookie is not ours, or too old.
inline std::optional<uint8_t> check(const std::array<uint8_t, 16>& key, const flow::FlowKey& k,
                                    uint32_t ack_seq, uint32_t ack, uint64_t now_us) {
  const uint32_t c = ack - 1, peer_isn = ack_seq - 1;
  const uint64_t p = now_us / kPeriodUs;
  for (uint64_t back = 0; back < 2 && back <= p; ++back)
    if (((hash(key, k, peer_isn, p - back) ^ c) & ~3u) == 0) return static_cast<uint8_t>(c & 3u);
  return std::nullopt;
}

struct TsOptions {
  uint8_t wscale = kNoWscale;  // the peer's shift; kNoWscale: none
  bool sack_ok = false;
};

// Our TSval for a cookie SYN-ACK at timestamp clock ts_now: its low bits
// carry o, and it never runs ahead of the clock (RFC 7323 5.4: TSvals must
// not go backwards for the connection's later segments).
inline uint32_t ts_encode(uint32_t ts_now, TsOptions o) {
  const uint32_t bits = (o.wscale > 14 ? kNoWscale : o.wscale) | (o.sack_ok ? 1u << 4 : 0u);
  uint32_t v = (ts_now & ~kTsMask) | bits;
  if (static_cast<int32_t>(v - ts_now) > 0) v -= kTsMask + 1;
  return v;
}

inline TsOptions ts_decode(uint32_t ts_ecr) {
  return TsOptions{.wscale = static_cast<uint8_t>(ts_ecr & 0xf),
                   .sack_ok = ((ts_ecr >> 4) & 1u) != 0};
}

}  // namespace pmx::tcp::cookie
