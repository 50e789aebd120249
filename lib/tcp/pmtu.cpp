// Path MTU discovery for IPv4 (RFC 1191) and IPv6 (RFC 8201), with the
// validation of RFC 5927.
#include "engine.hpp"

#include <algorithm>
#include <array>

namespace pmx::tcp {

using stats::Ctr;

namespace {

// RFC 1191 7: the plateaus an RFC 1191-unaware router's datagram is tried
// at, largest first; the next one below the quoted packet's length is used.
constexpr std::array<uint16_t, 8> kPlateaus = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 576};
constexpr uint16_t kMinMtu = 552;    // a floor, as Linux's min_pmtu: MSS 512
constexpr uint16_t kMinMtu6 = 1280;  // RFC 8200 5: every IPv6 link carries 1280

uint16_t plateau_below(uint16_t len) {
  for (uint16_t p : kPlateaus)
    if (p < len) return p;
  return kMinMtu;
}

}  // namespace

// RFC 1191 6.3 / RFC 5927 4.1: the MSS of this one connection is lowered,
// and only if the quoted sequence number is in flight (SND.UNA <= seq <
// SND.MAX): an attacker who cannot see the connection cannot guess one, so
// a forged message cannot shrink unrelated connections. There is no
// per-destination cache: every connection learns from the ICMP its own
// segments draw. The lost segments are sent again at once at the new
// size, with no congestion window cut (the loss was not congestion; as
// Linux's tcp_simple_retransmit).
void Engine::frag_needed(const flow::FlowKey& k, uint32_t seq, uint16_t mtu, uint16_t quoted_len,
                         uint64_t now) {
  env_.now_us = now;
  const uint32_t i = flows_.lookup(k);
  if (i == flow::kNoFlow) return ctr_.inc(Ctr::tcp_pmtu_no_conn);
  Conn& c = conns_[i];
  if (!can_transmit(c.state)) return ctr_.inc(Ctr::tcp_pmtu_not_lower);
  if (!(Seq(seq) >= c.snd_una && Seq(seq) < c.snd_max))
    return ctr_.inc(Ctr::tcp_pmtu_not_in_flight);
  uint16_t m;
  if (k.is_v6()) {
    // RFC 8201 4: an MTU below 1280 is not believed (the estimate never
    // goes below it); packet too big always carries an MTU.
    m = std::max(mtu, kMinMtu6);
  } else {
    m = mtu >= 68 ? mtu : plateau_below(quoted_len);
    m = std::max(m, kMinMtu);
  }
  const uint16_t mss = static_cast<uint16_t>(m - (k.is_v6() ? 60 : 40));
  if (mss >= c.mss) return ctr_.inc(Ctr::tcp_pmtu_not_lower);
  c.mss = mss;
  ctr_.inc(Ctr::tcp_pmtu_lowered);
  // Go back to SND.UNA: everything beyond it was cut for the old size.
  c.rtt_timing = false;
  c.snd_nxt = c.snd_una;
  c.rtx_next = c.snd_una;
  c.sacked.clear();
  c.cc.cwnd = std::max(c.cc.cwnd, 2u * c.mss);
  output(c, now);
  if (c.state == State::Closed) return;  // a Stream::abandon() that waited for output
  if (!c.t_rtx) set_rtx(c, now);
  arm(c);
}

}  // namespace pmx::tcp
