// Active open: CLOSED -> SYN_SENT (RFC 9293 3.10.1), the SYN_SENT state
// (3.10.7.3) including simultaneous open, and the SYN's retransmission.
#include "engine.hpp"

#include <algorithm>
#include <cerrno>

namespace pmx::tcp {

using stats::Ctr;

namespace {
// Linux's tcp_tw_reuse rule: a connect() may take over its own TIME_WAIT
// 4-tuple when both ends used timestamps and the TIME_WAIT is at least a
// second old. The new SYN's TSval is then above anything the old incarnation
// sent, so the peer's PAWS check (RFC 7323 5) and RFC 6191 keep the two
// incarnations apart even if the peer's clock ticks only once a second.
constexpr uint64_t kTwReuseAfterUs = 1000000;
}  // namespace

int Engine::connect(const flow::FlowKey& k, uint64_t now, uint8_t group) {
  env_.now_us = now;
  if (const uint32_t i = flows_.lookup(k); i != flow::kNoFlow) {
    Conn& old = conns_[i];
    // In TIME_WAIT, t_rtx is its end (RtxTimer::TimeWait): 2 MSL after it
    // began or after the peer's FIN last came again.
    const uint64_t tw_since = old.t_rtx - us_.two_msl;
    if (old.state != State::TimeWait || !old.ts_ok || now < tw_since + kTwReuseAfterUs)
      return -EADDRINUSE;
    ctr_.inc(Ctr::tcp_timewait_reused_active);
    free_conn(old);
  }
  if (free_.empty()) return -ENOSPC;
  // The memory itself is taken at ESTABLISHED (service_open): a connection
  // that only holds its 4-tuple open needs none.
  const ClientLink* link = env_.client[group];
  if (link && link->reqs > 0 && bufs_.available() < 2) return -ENOBUFS;
  Conn* cp = alloc_conn(k);
  if (!cp) return -ENOSPC;
  Conn& c = *cp;
  c.snd.attach(nullptr, bufs_.block_size());
  c.rcv.attach(nullptr, bufs_.block_size());
  c.svc = ServiceKind::Client;
  c.group = group;
  c.cc_kind = link ? link->cc : CcKind::NewReno;
  c.cc_hystart = link ? link->hystart : true;
  c.listener = Listener::kNoListener;
  c.t_open = now;
  // Offered: MSS, the window shift our buffer needs, SACK, timestamps; what
  // the SYN-ACK answers decides what is used (take_syn_options).
  while ((c.rcv.capacity() >> c.rcv_wscale) > 65535) ++c.rcv_wscale;
  c.iss = Seq(make_isn(k, now));
  c.snd_una = c.snd_nxt = c.snd_max = c.iss;
  c.rto = static_cast<uint32_t>(us_.rto_init);
  set_state(c, State::SynSent);
  ctr_.inc_family(Ctr::tcp_active_opens, c.key.is_v6());
  ctr_.inc_port(c.key.port_id, stats::Counters::kPortActiveOpens);
  dispatch(c, StreamEvent::Connecting);  // the client sets up its state (it does not abort)
  send_syn(c, now);
  arm_rtx(c, RtxTimer::SynRetry, std::min(now + c.rto, now + connect_timeout_us(c)));
  arm(c);
  return static_cast<int>(c.idx);
}

// SYN_SENT's timer: the SYN again, backing off (RFC 6298 5.5); the attempt
// fails after syn_retries retransmissions or the connect timeout (the run's,
// else connect_timeout_ms), whichever comes first (no RST is sent from
// SYN_SENT).
void Engine::syn_retry(Conn& c, uint64_t now) {
  const uint64_t limit = connect_timeout_us(c);
  if (++c.backoff > cfg_.syn_retries || now - c.t_open >= limit) {
    ctr_.inc(Ctr::tcp_connect_timeouts);
    return abort(c, false, CloseReason::Timeout);
  }
  send_syn(c, now);
  arm_rtx(c, RtxTimer::SynRetry, std::min(now + backed_off_rto(c), c.t_open + limit));
}

void Engine::send_syn(Conn& c, uint64_t now) {
  const bool first = c.snd_max == c.iss;
  OutSeg* o = next_out();
  if (o) {
    *o = OutSeg{};
    o->key = c.key;
    o->seq = c.iss.v;
    o->flags = flag::SYN;
    // RFC 7323 2.2: the window in a SYN segment is never scaled.
    o->wnd = static_cast<uint16_t>(std::min<uint32_t>(c.rcv.space(), 65535));
    o->opt.mss = our_mss(c.key);
    o->opt.wscale = c.rcv_wscale;
    o->opt.sack_ok = true;
    o->opt.ts = true;
    o->opt.ts_val = ts_now(now);
    ctr_.inc(first ? Ctr::tcp_out_segs : Ctr::tcp_syn_retransmits);
    if (!first) count_client_rtx(c);
  }
  // A SYN the output queue could not take is sent again by the timer.
  c.snd_nxt = c.snd_max = c.iss + 1;
}

// RFC 9293 3.10.7.3, with RFC 5961 3.2's rule for RSTs (in SYN_SENT a RST is
// believed when its ACK acknowledges our SYN).
void Engine::syn_sent_input(Conn& c, const Seg& s, uint64_t now) {
  const Seq ack(s.ack);
  const bool has_ack = s.has(flag::ACK);
  if (has_ack && !(c.iss < ack && ack <= c.snd_max)) {
    if (s.has(flag::RST)) return ctr_.inc(Ctr::tcp_synsent_rst_ignored);
    ctr_.inc(Ctr::tcp_synsent_bad_ack);
    return send_reset_for(s);
  }
  if (s.has(flag::RST)) {
    if (!has_ack) return ctr_.inc(Ctr::tcp_synsent_rst_ignored);
    ctr_.inc(Ctr::tcp_conn_refused);
    return abort(c, false, CloseReason::Refused);
  }
  if (!s.has(flag::SYN)) return ctr_.inc(Ctr::tcp_synsent_no_syn);
  take_syn_options(c, s);
  if (!has_ack) {
    // Simultaneous open: both SYNs crossed. SYN_RECV, and our SYN again
    // with the ACK of theirs; their SYN-ACK (or ACK) completes it.
    ctr_.inc(Ctr::tcp_simultaneous_opens);
    set_state(c, State::SynReceived);
    c.backoff = 0;
    send_synack(c, now);
    arm_rtx(c, RtxTimer::SynAckRetry, now + c.rto);
    return arm(c);
  }
  // Our SYN is acknowledged: ESTABLISHED. Data on the SYN-ACK is not taken
  // (RCV.NXT stays after the SYN); the peer sends it again.
  c.snd_una = ack;
  c.snd_wl2 = ack;
  if (c.ts_ok && s.opt.ts_ecr)
    rtt_sample(c, (ts_now(now) - s.opt.ts_ecr) * 1000);
  else if (c.backoff == 0)  // Karn: no sample from a retransmitted SYN
    rtt_sample(c, static_cast<uint32_t>(now - c.t_open));
  init_cc(c);
  stop_rtx(c);
  c.ack_now = true;  // the ACK of the SYN-ACK, or the request carrying it
  established(c, now);
  if (c.state == State::Closed) return;  // its service aborted at Opened
  service_run(c);
  output(c, now);
  arm(c);
}

}  // namespace pmx::tcp
