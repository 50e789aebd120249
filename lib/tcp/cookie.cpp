// SYN cookies in the engine (RFC 4987 3.6; the encoding is in
// syncookie.hpp): when to answer a SYN statelessly, the stateless SYN-ACK,
// and the connection a valid returning ACK creates.
#include "engine.hpp"
#include "syncookie.hpp"

#include <algorithm>

namespace pmx::tcp {

using stats::Ctr;

namespace {

// Our window shift for a buffer of cap bytes: the smallest that fits.
uint8_t shift_for(uint32_t cap) {
  uint8_t w = 0;
  while ((cap >> w) > 65535) ++w;
  return w;
}

}  // namespace

// Always: every SYN. Auto: when the listener's SYN backlog is full, or
// fewer than 1/16 of the connections are free (a flood would take the rest,
// and each valid cookie needs one), so a flood of spoofed SYNs cannot close
// the listener to real clients (issue 11: 16 SYNs a second kept a
// 1,024-slot backlog closed).
bool Engine::cookie_wanted(const Listener& l) const {
  switch (cfg_.syncookies) {
    case SynCookies::Off:
      return false;
    case SynCookies::Always:
      return true;
    case SynCookies::Auto:
      break;
  }
  return l.syn_recv >= l.spec.backlog || free_.size() <= cfg_.max_flows / 16;
}

// A SYN-ACK that keeps nothing: what the connection needs later is in its
// sequence number (MSS) and, with timestamps, its TSval (window shift,
// SACK). No connection, no flow-table entry, no retransmission: if it is
// lost the peer's SYN retransmission draws another.
void Engine::send_cookie(const Seg& s, uint64_t now) {
  OutSeg* o = next_out();
  if (!o) return;  // counted (tcp_out_queue_full); the peer retransmits its SYN
  const uint16_t ours = our_mss(s.key);
  const uint8_t mi = cookie::mss_index(s.opt.mss, ours);
  *o = OutSeg{};
  o->key = s.key;
  o->seq = cookie::make(cfg_.cookie_key, s.key, s.seq, now, mi);
  o->ack = s.seq + 1;
  o->flags = flag::SYN | flag::ACK;
  o->wnd = static_cast<uint16_t>(std::min<uint32_t>(bufs_.block_size(), 65535));
  o->opt.mss = ours;
  if (s.opt.ts) {
    const bool ws = s.opt.wscale != TcpOpts::kNoWscale;
    const cookie::TsOptions t{
        .wscale = ws ? std::min<uint8_t>(s.opt.wscale, 14) : cookie::kNoWscale,
        .sack_ok = s.opt.sack_ok};
    o->opt.ts = true;
    o->opt.ts_val = cookie::ts_encode(ts_now(now), t);
    o->opt.ts_ecr = s.opt.ts_val;
    if (ws) o->opt.wscale = shift_for(bufs_.block_size());
    o->opt.sack_ok = s.opt.sack_ok;
  }
  ctr_.inc(Ctr::tcp_out_segs);
  ctr_.inc(Ctr::tcp_syncookies_sent);
  last_cookie_ = now ? now : 1;
}

// An ACK to a listener (RFC 9293 3.10.7.2 answers it with a RST). Within
// two cookie periods of the last cookie sent it may complete a stateless
// handshake: a valid cookie creates the connection in SYN_RECEIVED as if
// its SYN-ACK had been sent, and the ACK is then processed as any other
// (it may carry data). An invalid one is counted and answered with the RST.
// Returns false when cookies play no part (the caller answers as before).
bool Engine::cookie_ack(uint16_t li, const Seg& s, uint64_t now) {
  if (cfg_.syncookies == SynCookies::Off || last_cookie_ == 0 ||
      now - last_cookie_ > 2 * cookie::kPeriodUs)
    return false;
  const auto mi = cookie::check(cfg_.cookie_key, s.key, s.seq, s.ack, now);
  if (!mi) {
    ctr_.inc(Ctr::tcp_syncookies_invalid);
    send_reset_for(s);
    return true;
  }
  ctr_.inc(Ctr::tcp_syncookies_valid);
  if (free_.empty()) {
    ctr_.inc(Ctr::tcp_conn_pool_empty);
    return true;  // the peer's retransmission may find one
  }
  Conn* cp = alloc_conn(s.key);
  if (!cp) {
    ctr_.inc(Ctr::tcp_flow_table_full);
    return true;
  }
  Conn& c = *cp;
  const Listener& l = listeners_[li];
  c.snd.attach(nullptr, bufs_.block_size());
  c.rcv.attach(nullptr, bufs_.block_size());
  c.svc = l.spec.service.kind;
  c.svc_arg = l.spec.service.arg;
  c.svc_timeout_s = l.spec.service.timeout_s;
  c.idle_to_s = l.spec.service.idle_timeout_s;
  c.cc_kind = l.spec.cc;
  c.cc_hystart = l.spec.hystart;
  c.listener = li;
  // What the SYN offered, as far as the cookie kept it.
  const uint16_t ours = our_mss(c.key);
  c.mss = std::max<uint16_t>(std::min<uint16_t>(cookie::kMss[*mi], ours), 48);
  c.ts_ok = s.opt.ts;
  cookie::TsOptions t{};
  if (c.ts_ok) {
    t = cookie::ts_decode(s.opt.ts_ecr);
    c.ts_recent = s.opt.ts_val;
  }
  c.ws_ok = c.ts_ok && t.wscale != cookie::kNoWscale;
  c.snd_wscale = c.ws_ok ? t.wscale : 0;
  c.rcv_wscale = c.ws_ok ? shift_for(bufs_.block_size()) : 0;
  c.sack_ok = c.ts_ok && t.sack_ok;
  c.irs = Seq(s.seq - 1);
  c.rcv_nxt = Seq(s.seq);
  c.last_ack_sent = c.rcv_nxt;
  c.rcv_adv = c.rcv_nxt + std::min<uint32_t>(bufs_.block_size(), 65535);
  c.iss = Seq(s.ack - 1);
  c.snd_una = c.snd_wl2 = c.iss;
  c.snd_nxt = c.snd_max = c.iss + 1;
  c.snd_wl1 = c.irs;
  c.rto = static_cast<uint32_t>(us_.rto_init);
  init_cc(c);
  ++listeners_[li].syn_recv;  // set_state() takes it back on leaving SYN_RECEIVED
  set_state(c, State::SynReceived);
  ctr_.inc_family(Ctr::tcp_passive_opens, c.key.is_v6());
  ctr_.inc_port(c.key.port_id, stats::Counters::kPortPassiveOpens);
  ctr_.inc(Ctr::tcp_syncookie_conns);
  conn_input(c, s, now);
  return true;
}

}  // namespace pmx::tcp
