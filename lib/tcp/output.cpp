// Sending (RFC 9293 3.8.6 windows, RFC 5681 / 6582 / 3042 congestion
// control, RFC 2018 SACK), retransmission and the per-connection timers.
#include "engine.hpp"
#include "wire.hpp"

#include <algorithm>

namespace pmx::tcp {

using stats::Ctr;

namespace {
// Payload bytes that fit in one segment next to the options we send.
uint32_t seg_room(const Conn& c) {
  uint32_t opt = c.ts_ok ? 12 : 0;
  if (c.sack_ok && !c.ooo.empty()) opt += 4 + 8 * std::min<uint32_t>(c.ooo.size(), c.ts_ok ? 3 : 4);
  return c.mss > opt + 8 ? c.mss - opt : 8;
}

// Wire segments a send of len bytes becomes: one, or a TSO segment's cuts.
uint32_t wire_segs(uint32_t len, uint32_t room) { return len > room ? (len + room - 1) / room : 1; }
}  // namespace

// The most new data one send may carry: one segment, or on a port with TSO
// as many whole segments as fit its limit (RFC 9293 3.7.1 still holds on
// the wire: the device cuts at seg_room, every cut with our options).
uint32_t Engine::send_room(const Conn& c) const {
  const uint32_t room = seg_room(c);
  const uint16_t ifc = c.key.port_id;
  if (ifc >= cfg_.tso_max.size() || cfg_.tso_max[ifc] < 2 * room) return room;
  return cfg_.tso_max[ifc] / room * room;
}

OutSeg* Engine::next_out() {
  if (nout_ == out_.size()) {
    // Data, FIN and ACKs owed wait on the pending list; a RST, SYN-ACK or
    // probe not queued here is left to the peer's or our own retransmission.
    ctr_.inc(Ctr::tcp_out_queue_full);
    return nullptr;
  }
  return &out_[nout_++];
}

// The window field of the next segment, with receiver-side silly window
// avoidance (RFC 9293 3.8.6.2.2): the right edge moves only by at least
// min(buffer / 2, MSS), and never moves left (RFC 9293 3.8.6).
uint16_t Engine::window_field(Conn& c) const {
  const Seq edge = c.rcv_nxt + c.rcv.space();
  const uint32_t step = std::min<uint32_t>(c.rcv.capacity() / 2, c.mss);
  Seq adv = seq_max(c.rcv_adv, c.rcv_nxt);
  if (edge >= adv + step || c.rcv_adv < c.rcv_nxt) adv = seq_max(edge, adv);
  const uint32_t wnd = std::min<uint32_t>(seq_dist(c.rcv_nxt, adv) >> c.rcv_wscale, 65535);
  c.rcv_adv = seq_max(c.rcv_adv, c.rcv_nxt + (wnd << c.rcv_wscale));
  return static_cast<uint16_t>(wnd);
}

void Engine::fill_header(const Conn& cc, OutSeg& o, uint64_t now) const {
  Conn& c = const_cast<Conn&>(cc);  // window_field() records what it advertised
  o = OutSeg{};
  o.key = c.key;
  o.ack = c.rcv_nxt.v;
  o.flags = flag::ACK;
  o.wnd = window_field(c);
  if (c.ts_ok) {
    o.opt.ts = true;
    o.opt.ts_val = ts_now(now);
    o.opt.ts_ecr = c.ts_recent;
  }
  if (c.sack_ok && !c.ooo.empty()) {
    // RFC 2018 4: the block with the newest segment first, then the most
    // recently reported others. Those are taken from the highest down: a
    // sender sends in sequence order, so the higher a block, the more
    // recently it was reported (a hole filled by a retransmission is in
    // the first block), and no history needs keeping.
    const uint8_t room = c.ts_ok ? 3 : 4;
    const SeqRange* first = c.ooo.find(c.ooo_last);
    if (first) o.opt.sack[o.opt.nsack++] = SackBlock{first->l.v, first->r.v};
    for (uint8_t i = c.ooo.size(); i-- > 0 && o.opt.nsack < room;)
      if (&c.ooo[i] != first) o.opt.sack[o.opt.nsack++] = SackBlock{c.ooo[i].l.v, c.ooo[i].r.v};
  }
}

// Sends [seq, seq+len) of the send buffer, with FIN if it ends at our FIN.
// Returns false when the output queue is full.
bool Engine::send_segment(Conn& c, Seq seq, uint32_t len, uint8_t flags, uint64_t now) {
  OutSeg* o = next_out();
  if (!o) return false;
  fill_header(c, *o, now);
  o->seq = seq.v;
  o->flags = flags | flag::ACK;
  if (len) {
    const auto sp = c.snd.peek(seq_dist(c.snd_una, seq), len);
    o->p1 = sp[0].data();
    o->n1 = static_cast<uint32_t>(sp[0].size());
    o->p2 = sp[1].data();
    o->n2 = static_cast<uint32_t>(sp[1].size());
  }
  // Only output() sends more than a segment (send_room()); the MIB counts
  // what goes on the wire, so a TSO segment counts as its cuts.
  const uint32_t room = seg_room(c);
  const uint32_t nsegs = wire_segs(len, room);
  if (nsegs > 1) {
    o->tso_mss = static_cast<uint16_t>(room);
    ctr_.inc(Ctr::tcp_tso_sends);
    ctr_.inc(Ctr::tcp_tso_bytes, len);
  }
  const Seq end = seq + len + ((flags & flag::FIN) ? 1 : 0);
  const bool fresh = seq >= c.snd_max;  // new data (or FIN), not a retransmission
  if (!fresh) {
    ctr_.inc(Ctr::tcp_retrans_segs, nsegs);
    count_client_rtx(c);
    if (c.rtt_timing && seq <= c.rtt_seq) c.rtt_timing = false;  // Karn
  } else {
    ctr_.inc(Ctr::tcp_out_segs, nsegs);
    ctr_.inc(Ctr::tcp_tx_bytes, len);
    if (!c.rtt_timing && !c.ts_ok && len) {
      c.rtt_timing = true;
      c.rtt_seq = seq;
      c.rtt_start = now;
    }
  }
  c.snd_nxt = seq_max(c.snd_nxt, end);
  c.snd_max = seq_max(c.snd_max, end);
  c.last_ack_sent = c.rcv_nxt;
  c.ack_now = false;
  c.unacked_segs = 0;
  c.t_delack = 0;
  if (end > seq && (!c.t_rtx || c.rtx_timer == RtxTimer::Persist)) {
    set_rtx(c, now);
  } else if (end > seq && fresh) {
    // RFC 8985 7.2: sending new data reschedules the probe (the flight, and
    // so the probe timeout, changed); the RTO itself keeps running.
    if (const uint64_t pto = probe_timeout(c);
        pto && (c.rtx_timer == RtxTimer::TailLossProbe || now + pto < c.t_rtx))
      arm_rtx(c, RtxTimer::TailLossProbe, now + pto);
  }
  return true;
}

void Engine::send_ack(Conn& c, uint64_t now) {
  OutSeg* o = next_out();
  if (!o) {
    c.ack_now = true;
    return mark_pending(c);
  }
  fill_header(c, *o, now);
  // SND.MAX, not SND.NXT (as BSD): after an RTO, go-back-N moves SND.NXT back
  // to SND.UNA, but the peer may have everything up to SND.MAX, and Linux
  // drops a segment that ends before the RCV.NXT of its own last ACK
  // (tcp_sequence), answering it at most twice a second. ACKs, SACKs and
  // window updates from the old SND.NXT would go unheard (docs/tcp.md).
  o->seq = c.snd_max.v;
  ctr_.inc(Ctr::tcp_out_segs);
  c.last_ack_sent = c.rcv_nxt;
  c.ack_now = false;
  c.unacked_segs = 0;
  c.t_delack = 0;
}

void Engine::send_synack(Conn& c, uint64_t now) {
  OutSeg* o = next_out();
  if (!o) return;  // the SYN-ACK timer sends it again
  *o = OutSeg{};
  o->key = c.key;
  o->seq = c.iss.v;
  o->ack = c.rcv_nxt.v;
  o->flags = flag::SYN | flag::ACK;
  // RFC 7323 2.2: the window in a SYN segment is never scaled.
  o->wnd = static_cast<uint16_t>(std::min<uint32_t>(c.rcv.space(), 65535));
  c.rcv_adv = c.rcv_nxt + o->wnd;
  o->opt.mss = our_mss(c.key);
  if (c.ws_ok) o->opt.wscale = c.rcv_wscale;  // RFC 7323 2.2: answer an offer, even of 0
  o->opt.sack_ok = c.sack_ok;
  if (c.ts_ok) {
    o->opt.ts = true;
    o->opt.ts_val = ts_now(now);
    o->opt.ts_ecr = c.ts_recent;
  }
  if (c.snd_max == c.iss) {
    c.snd_nxt = c.snd_max = c.iss + 1;
    ctr_.inc(Ctr::tcp_out_segs);
  } else {
    ctr_.inc(Ctr::tcp_retrans_segs);
  }
  c.last_ack_sent = c.rcv_nxt;
}

void Engine::send_rst(Conn& c) {
  OutSeg* o = next_out();
  if (!o) return;
  *o = OutSeg{};
  o->key = c.key;
  o->seq = c.snd_max.v;  // as send_ack(): one below the peer's window is ignored
  o->ack = c.rcv_nxt.v;
  o->flags = flag::RST | flag::ACK;
  ctr_.inc(Ctr::tcp_out_segs);
  ctr_.inc(Ctr::tcp_out_rsts);
}

// Loss recovery (RFC 6675 NextSeg, simplified): the first byte at or after
// rtx_next that the peer has not SACKed. With below_sacked_only, only holes
// below the highest SACKed byte qualify (rule 1); otherwise new data goes.
bool Engine::retransmit_hole(Conn& c, uint64_t now, bool below_sacked_only) {
  Seq start = seq_max(c.rtx_next, c.snd_una);
  for (uint8_t i = 0; i < c.sacked.size(); ++i)
    if (c.sacked[i].l <= start && start < c.sacked[i].r) start = c.sacked[i].r;
  const Seq data_end = c.data_end();
  const bool fin_hole = c.fin_sent && start == c.fin_seq;
  if (start >= data_end && !fin_hole) return false;
  // Beyond what was ever sent there is no hole: output() sends new data.
  if (start >= c.snd_max) return false;
  if (below_sacked_only &&
      (c.sacked.empty() || start >= c.sacked[static_cast<uint8_t>(c.sacked.size() - 1)].r))
    return false;
  uint32_t len = fin_hole ? 0 : std::min(seq_dist(start, data_end), seg_room(c));
  for (uint8_t i = 0; i < c.sacked.size(); ++i)
    if (start < c.sacked[i].l) len = std::min(len, seq_dist(start, c.sacked[i].l));
  const bool fin = c.fin_sent && start + len == c.fin_seq;
  if (!send_segment(c, start, len, fin ? flag::FIN : 0, now)) return false;
  if (!c.sacked.empty()) ctr_.inc(Ctr::tcp_sack_retransmits);
  c.rtx_next = start + len + (fin ? 1 : 0);
  if (start == c.snd_una) {
    c.cc.rtx_seq = start;
    c.cc.rtx_high = c.snd_max;
  }
  return true;
}

// Sends what the windows allow: new data, then our FIN, then any ACK owed.
void Engine::output(Conn& c, uint64_t now) {
  // Freed under the caller (its service aborted it: Stream::abort), or a
  // Stream::abandon() that waited for an output slot.
  if (c.state == State::Closed) return;
  if (c.svc_abandon) return abandon(c, now);
  if (can_transmit(c.state) && c.rtx_timer != RtxTimer::Persist) {
    const CcState& cc = c.cc;
    // RFC 3042: the first two duplicate ACKs may each release one new segment.
    const uint32_t limited = !cc.in_recovery && cc.dupacks < 3 ? cc.dupacks * c.mss : 0u;
    const uint32_t wnd = std::min(c.snd_wnd, cc.cwnd + limited);
    for (;;) {
      const Seq data_end = c.data_end();
      const uint32_t inflight = flight(c);
      if (c.snd_nxt < data_end) {
        const uint32_t avail = seq_dist(c.snd_nxt, data_end);
        const uint32_t room = wnd > inflight ? wnd - inflight : 0;
        const uint32_t len = std::min({avail, room, send_room(c)});
        // RFC 9293 3.8.6.2.1 sender SWS avoidance (Nagle off): a full
        // segment, all we have, or half the largest window seen.
        if (len == 0 || (len < seg_room(c) && len < avail && len < c.max_snd_wnd / 2)) break;
        const bool fin = c.fin_sent && c.snd_nxt + len == c.fin_seq;
        if (!send_segment(c, c.snd_nxt, len, (len == avail ? flag::PSH : 0) | (fin ? flag::FIN : 0),
                          now))
          return mark_pending(c);
        continue;
      }
      if (c.close_requested && c.snd_nxt == data_end && can_send(c.state)) {
        // fin_sent means the FIN has been queued (ack_input and new_ack take
        // an ACK of SND.MAX as acknowledging it): if the output queue is
        // full, nothing changes and the FIN goes at the next turn.
        c.fin_sent = true;
        c.fin_seq = data_end;
        if (!send_segment(c, data_end, 0, flag::FIN, now)) {
          c.fin_sent = false;
          return mark_pending(c);
        }
        set_state(c, c.state == State::Established ? State::FinWait1 : State::LastAck);
      } else if (c.fin_sent && c.snd_nxt == c.fin_seq) {
        if (!send_segment(c, c.fin_seq, 0, flag::FIN, now)) return mark_pending(c);
      }
      break;
    }
    // RFC 9293 3.8.6.1: a zero window with data waiting starts the persist
    // timer. So does a window too small for SWS avoidance to use (3.8.6.2.1):
    // with nothing in flight no ACK will come, and a lost window update would
    // stall the connection; the timer then sends what fits (the override).
    const Seq data_end = c.data_end();
    if (c.snd_nxt < data_end && flight(c) == 0 && !c.t_rtx) {
      c.backoff = 0;
      arm_rtx(c, RtxTimer::Persist, now + c.rto);
    }
  }
  if (c.ack_now) send_ack(c, now);
}

void Engine::mark_pending(Conn& c) {
  // Each pool index is queued at most once (queued_ outlives the connection
  // in that slot), so pending_ never grows past its reserve.
  if (queued_[c.idx]) return;
  queued_[c.idx] = 1;
  pending_.push_back(c.idx);
}

void Engine::poll(uint64_t now) {
  env_.now_us = now;
  wheel_.advance(now / 1000, [&](uint32_t idx) { on_timer(idx, now); });
  // Connections that found the output queue full get another turn, as long
  // as there is room.
  // pending_[pending_head_, end) are waiting; the consumed front is cut off
  // once it is at least half the list, so a long list (a million FINs of a
  // drained run) costs O(1) per connection, not a memmove per turn.
  size_t i = pending_head_;
  for (; i < pending_.size() && nout_ < out_.size(); ++i) {
    queued_[pending_[i]] = 0;
    Conn& c = conns_[pending_[i]];
    if (c.state == State::Closed) continue;
    service_run(c);
    output(c, now);
    arm(c);
  }
  pending_head_ = i;
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
  } else if (pending_head_ >= pending_.size() / 2) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
}

void Engine::on_timer(uint32_t idx, uint64_t now) {
  Conn& c = conns_[idx];
  if (c.state == State::Closed) return;
  if (c.t_rtx && c.t_rtx <= now) {
    rtx_fired(c, now);
    if (c.state == State::Closed) return;
  }
  if (c.t_delack && c.t_delack <= now) {
    c.t_delack = 0;
    ctr_.inc(Ctr::tcp_delayed_acks);
    send_ack(c, now);
  }
  if (c.t_keepalive && c.t_keepalive <= now) {
    keepalive_expired(c, now);
    if (c.state == State::Closed) return;
  }
  if (c.t_svc && c.t_svc <= now) {
    service_timeout(c, now);
    if (c.state == State::Closed) return;
  }
  arm(c);
}

// t_rtx has passed: what it was armed for decides, not the state (each kind
// is armed only in the states it serves: docs/tcp.md "Timers").
void Engine::rtx_fired(Conn& c, uint64_t now) {
  const RtxTimer kind = c.rtx_timer;
  stop_rtx(c);
  switch (kind) {
    case RtxTimer::Off:  // t_rtx was 0: not called
      return;
    case RtxTimer::Retransmit:
      return rto_expired(c, now);
    case RtxTimer::TailLossProbe:
      return tail_loss_probe(c, now);
    case RtxTimer::Persist:
      return persist_expired(c, now);
    case RtxTimer::SynRetry:
      return syn_retry(c, now);
    case RtxTimer::SynAckRetry:
      return synack_retry(c, now);
    case RtxTimer::TimeWait:  // RFC 9293 3.6: 2 MSL have passed
      ctr_.inc(Ctr::tcp_timewait_expired);
      return free_conn(c);
    case RtxTimer::FinWait2:  // the peer never closed (docs/tcp.md, deviation)
      return free_conn(c);
  }
}

// SYN_RECV: the SYN-ACK again, backing off (RFC 6298 5.5); after
// synack_retries the attempt is dropped without a RST.
void Engine::synack_retry(Conn& c, uint64_t now) {
  if (++c.backoff > cfg_.synack_retries) return abort(c, false, CloseReason::Timeout);
  ctr_.inc(Ctr::tcp_synack_retransmits);
  send_synack(c, now);
  arm_rtx(c, RtxTimer::SynAckRetry, now + backed_off_rto(c));
}

// RFC 6298 5.4-5.6 and RFC 5681 3.1 (4): back off, shrink to one segment,
// resend from SND.UNA. The SACK scoreboard is forgotten (RFC 2018 8: the
// receiver may have reneged).
void Engine::rto_expired(Conn& c, uint64_t now) {
  ctr_.inc(Ctr::tcp_rto_expirations);
  if (++c.backoff > cfg_.max_retries) {
    ctr_.inc(Ctr::tcp_timeouts);
    return abort(c, true, CloseReason::Timeout);
  }
  CcState& cc = c.cc;
  cc::on_rto(cc, flight(c), c.mss);
  cc.in_recovery = false;
  cc.dupacks = 0;
  cc.recover = c.snd_max;
  c.sacked.clear();
  c.rtt_timing = false;
  c.snd_nxt = c.snd_una;
  c.rtx_next = c.snd_una;
  c.rto = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{c.rto} * 2, us_.rto_max));
  stop_rtx(c);
  output(c, now);
  if (c.state == State::Closed) return;  // a Stream::abandon() that waited for output
  // output() armed the timer for what it sent, or the persist timer.
  if (!c.t_rtx) set_rtx(c, now);
}

// A zero-window probe (as Linux sends it): an ACK carrying SND.UNA - 1, which
// the peer must answer with its current window (RFC 9293 3.10.7.4).
void Engine::persist_expired(Conn& c, uint64_t now) {
  // RFC 1122 4.2.2.17: the window may stay closed for as long as the peer
  // answers the probes. One that stops answering is given up on after as
  // many probes as retransmissions (Linux's tcp_probe_timer does the same),
  // else a vanished peer would hold the connection for ever. The override
  // sends below count too: each is followed by an RTO, and the RTO's
  // backoff restarts when the persist timer takes over again.
  if (++c.probes_out > cfg_.max_retries) {
    ctr_.inc(Ctr::tcp_timeouts);
    return abort(c, true, CloseReason::Timeout);
  }
  // RFC 9293 3.8.6.2.1 override timeout: the window is open but was too
  // small to be worth a segment; send what fits now (Linux's tcp_write_wakeup
  // does the same). Nothing is in flight, so cwnd allows a segment.
  const Seq data_end = c.data_end();
  if (c.snd_wnd > 0 && c.snd_nxt < data_end) {
    const uint32_t avail = seq_dist(c.snd_nxt, data_end);
    const uint32_t len = std::min({avail, c.snd_wnd, seg_room(c)});
    const bool fin = c.fin_sent && c.snd_nxt + len == c.fin_seq;
    // t_rtx is off (rtx_fired): send_segment() starts the retransmission timer.
    if (send_segment(c, c.snd_nxt, len, (len == avail ? flag::PSH : 0) | (fin ? flag::FIN : 0),
                     now))
      return;
    return arm_rtx(c, RtxTimer::Persist, now + c.rto);  // no room in the output queue: later
  }
  ctr_.inc(Ctr::tcp_zero_window_probes);
  OutSeg* o = next_out();
  if (o) {
    fill_header(c, *o, now);
    o->seq = (c.snd_una - 1).v;
    ctr_.inc(Ctr::tcp_out_segs);
  }
  if (c.backoff < 16) ++c.backoff;
  arm_rtx(c, RtxTimer::Persist, now + backed_off_rto(c));
}

// RFC 1122 4.2.3.6.
void Engine::keepalive_expired(Conn& c, uint64_t now) {
  if (c.keepalive_probes >= cfg_.keepalive_probes) {
    ctr_.inc(Ctr::tcp_timeouts);
    return abort(c, true, CloseReason::Timeout);
  }
  ++c.keepalive_probes;
  ctr_.inc(Ctr::tcp_keepalive_probes);
  if (OutSeg* o = next_out()) {
    fill_header(c, *o, now);
    o->seq = (c.snd_una - 1).v;
    ctr_.inc(Ctr::tcp_out_segs);
  }
  c.t_keepalive = now + us_.keepalive_intvl;
}

// The tail loss probe timeout (RFC 8985 7.2) if a probe may be armed now,
// else 0: needs an RTT sample, no probe since SND.UNA last advanced, no
// recovery or RTO recovery under way (no backoff, go-back-N done), and a
// PTO = max(2 * SRTT, 10 ms) sooner than the RTO; with one segment in
// flight the peer may be delaying its ACK, so the worst-case delayed-ACK
// time (200 ms) is added.
uint64_t Engine::probe_timeout(const Conn& c) const {
  if (!c.srtt || c.tlp_sent || c.cc.in_recovery || c.backoff || c.snd_nxt != c.snd_max) return 0;
  uint64_t pto = std::max<uint64_t>(2ull * c.srtt, 10000);
  if (flight(c) <= c.mss) pto += 200000;
  return pto < c.rto ? pto : 0;
}

void Engine::set_rtx(Conn& c, uint64_t now) {
  const uint64_t pto = probe_timeout(c);
  arm_rtx(c, pto ? RtxTimer::TailLossProbe : RtxTimer::Retransmit, now + (pto ? pto : c.rto));
}

// RFC 8985 7.3: resend the last segment sent. A lone tail loss is then
// repaired by this very probe, and a longer one turns into SACKs that start
// fast recovery, instead of a full RTO of silence.
void Engine::tail_loss_probe(Conn& c, uint64_t now) {
  c.tlp_sent = true;
  const Seq data_end = c.data_end();
  const Seq last = seq_min(c.snd_max, data_end);
  const uint32_t len = std::min(seq_dist(c.snd_una, last), seg_room(c));
  const bool fin = c.fin_sent && c.snd_max == c.fin_seq + 1;
  if (c.snd_max > c.snd_una && (len || fin)) {
    ctr_.inc(Ctr::tcp_tail_loss_probes);
    send_segment(c, last - len, len, fin ? flag::FIN : 0, now);
  }
  arm_rtx(c, RtxTimer::Retransmit, now + c.rto);
}

// Schedules the connection's wheel timer for its earliest deadline.
void Engine::arm(Conn& c) {
  if (c.state == State::Closed) return wheel_.cancel(c.idx);
  uint64_t d = UINT64_MAX;
  for (uint64_t t : {c.t_rtx, c.t_delack, c.t_keepalive, c.t_svc})
    if (t) d = std::min(d, t);
  if (d == UINT64_MAX) return wheel_.cancel(c.idx);
  const uint64_t tick = (d + 999) / 1000;
  if (!wheel_.armed(c.idx) || wheel_.deadline(c.idx) != tick) wheel_.schedule(c.idx, tick);
}

// Every state change goes through here (so does the MIB bookkeeping).
void Engine::set_state(Conn& c, State s) {
  if (can_send(c.state) != can_send(s)) {  // RFC 4022 tcpCurrEstab
    curr_estab_ += can_send(s) ? 1 : -1;
    ctr_.set(Ctr::tcp_curr_estab, curr_estab_);
    ctr_.inc_port(c.key.port_id, stats::Counters::kPortCurrEstab, can_send(s) ? 1 : -1);
  }
  if (s == State::Established && (c.state == State::SynSent || c.state == State::SynReceived))
    ctr_.inc_port(c.key.port_id, stats::Counters::kPortEstablished);
  if (c.state == State::SynReceived && s != State::SynReceived &&
      c.listener != Listener::kNoListener)
    --listeners_[c.listener].syn_recv;
  ctr_.move_state(static_cast<size_t>(c.state), static_cast<size_t>(s),
                  c.key.is_v6());  // per-family, per-state gauge
  c.state = s;
}

// Ends a connection at once: after a RST in either direction, a timeout or
// shutdown. RFC 4022 counts the resets of synchronized connections.
// close abandon: ACK everything received (so the peer has nothing left to
// retransmit and sits idle, as behind a client that vanished), then forget
// the connection without a FIN or RST. If no output slot is free the ACK and
// the forgetting wait for the next turn together.
void Engine::abandon(Conn& c, uint64_t now) {
  if (nout_ == out_.size()) return mark_pending(c);
  send_ack(c, now);
  ctr_.inc(Ctr::gen_abandoned);
  free_conn(c, CloseReason::Normal);
}

void Engine::abort(Conn& c, bool send_reset, CloseReason why) {
  if (can_send(c.state)) {
    ctr_.inc(Ctr::tcp_estab_resets);
    ctr_.inc_port(c.key.port_id, stats::Counters::kPortEstabResets);
  } else if (c.state == State::SynReceived || c.state == State::SynSent) {
    ctr_.inc(Ctr::tcp_attempt_fails);
    ctr_.inc_port(c.key.port_id, stats::Counters::kPortAttemptFails);
  }
  if (send_reset && c.state != State::TimeWait) send_rst(c);
  free_conn(c, why);
}

}  // namespace pmx::tcp
