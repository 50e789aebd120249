// RFC 9293 3.10.7.4 "Other states": one function per processing step, in the
// RFC's order (sequence number, RST, SYN, ACK, text, FIN), for SYN_RECV and
// the synchronized states.
#include "engine.hpp"

#include <algorithm>
#include <cassert>

namespace pmx::tcp {

using stats::Ctr;

void Engine::conn_input(Conn& c, const Seg& s, uint64_t now) {
  if (c.state == State::SynSent) return syn_sent_input(c, s, now);
  // A retransmitted SYN in SYN_RECV: our SYN-ACK was lost; send it again.
  if (c.state == State::SynReceived && s.has(flag::SYN) && !s.has(flag::ACK | flag::RST) &&
      Seq(s.seq) == c.irs) {
    ctr_.inc(Ctr::tcp_synack_retransmitted);
    ctr_.inc(Ctr::tcp_synack_retransmits);
    return send_synack(c, now);
  }
  // TIME_WAIT: the only thing that can arrive is a retransmission of the
  // peer's FIN: acknowledge it and restart the 2 MSL timeout.
  if (c.state == State::TimeWait && s.has(flag::FIN) && !s.has(flag::RST | flag::SYN) &&
      Seq(s.seq + s.seg_len()) == c.rcv_nxt) {
    ctr_.inc(Ctr::tcp_timewait_fin_reacked);
    send_ack(c, now);
    arm_rtx(c, RtxTimer::TimeWait, now + us_.two_msl);
    return arm(c);
  }
  if (!check_paws(c, s, now)) return;
  if (!acceptable(c, s)) {
    if (s.has(flag::RST)) return ctr_.inc(Ctr::tcp_rst_out_of_window);
    ctr_.inc(Ctr::tcp_seq_not_acceptable);
    return reject_ack(c, s, now);
  }
  if (s.has(flag::RST)) return (void)rst_input(c, s, now);
  // RFC 9293 3.10.7.4 fourth check: an in-window SYN in SYN_RECV of a
  // passive open returns the connection to LISTEN (it is dropped; the
  // listener is still there for the peer's next SYN). One of an active
  // (simultaneous) open is challenged below, as RFC 5961 4.2 says.
  if (s.has(flag::SYN) && c.state == State::SynReceived && c.listener != Listener::kNoListener) {
    ctr_.inc(Ctr::tcp_synrecv_syn);
    return abort(c, false);
  }
  // RFC 5961 4.2: any SYN on a synchronized connection gets a challenge ACK.
  if (s.has(flag::SYN)) {
    ctr_.inc(Ctr::tcp_syn_challenged);
    return challenge_ack(c, now);
  }
  if (!s.has(flag::ACK)) return ctr_.inc(Ctr::tcp_no_ack_flag);
  if (!ack_input(c, s, now)) return;
  c.rcv_high = seq_max(c.rcv_high, Seq(s.seq) + s.len + (s.has(flag::FIN) ? 1 : 0));
  // RFC 7323 4.3: remember the timestamp of a segment that covers the left
  // edge of the window.
  if (c.ts_ok && s.opt.ts && Seq(s.seq) <= c.last_ack_sent &&
      static_cast<int32_t>(s.opt.ts_val - c.ts_recent) >= 0)
    c.ts_recent = s.opt.ts_val;
  if (cfg_.keepalive) {
    c.t_keepalive = now + us_.keepalive_idle;
    c.keepalive_probes = 0;
  }

  // Trim to the window (the segment is acceptable, so something is left).
  Seq seq(s.seq);
  const uint8_t* data = s.data;
  uint32_t len = s.len;
  bool fin = s.has(flag::FIN);
  if (seq < c.rcv_nxt) {
    const uint32_t dup = seq_dist(seq, c.rcv_nxt);
    if (dup >= len) {
      if (dup > len) fin = false;  // that FIN was received already
      data += len;
      len = 0;
    } else {
      data += dup;
      len -= dup;
    }
    seq = c.rcv_nxt;
    c.ack_now = true;  // duplicate data: tell the peer where we are
  }
  // Text is taken up to what the buffer holds, which may be beyond the
  // edge we advertised (receiver SWS avoidance holds the edge back while
  // the buffer drains; RFC 9293 3.10.7.4 only says one "could" trim to the
  // window). Invariant: RCV.ADV <= RCV.NXT + space, so text below either
  // edge fits; what is beyond both is trimmed and ACKed for the peer to
  // send again.
  const Seq edge = seq_max(c.rcv_adv, c.rcv_nxt + c.rcv.space());
  if (seq + len > edge) {
    len = seq < edge ? seq_dist(seq, edge) : 0;
    fin = false;
    c.ack_now = true;
  }
  const bool had_fin = c.peer_fin;
  bool lend = false;
  if (len > 0) {
    lend = lendable(c, seq, fin);
    if (lend)
      lend_input(c, data, len, now);
    else
      data_input(c, seq, data, len, now);
  }
  if (fin) {
    if (seq + len == c.rcv_nxt) {
      fin_input(c, now);
    } else {
      c.ooo_fin = true;
      c.ooo_fin_seq = seq + len;
    }
  } else if (c.ooo_fin && c.rcv_nxt == c.ooo_fin_seq) {
    fin_input(c, now);
  }
  if (c.state == State::Closed) return;
  // The service hears of a segment only if it brought something to act on
  // (docs/services.md, Data): a pure ACK costs it nothing. Buffers drained
  // by that ACK still go back to the pool.
  if (lend || service_news(c, had_fin)) {
    service_run(c);  // settles a lent segment (service.cpp)
  } else {
    queue_release(c);
    window_news(c);
  }
  assert(env_.lent_to == nullptr);
  if (c.state == State::Closed) return;  // the service aborted it
  output(c, now);
  arm(c);
}

// Consume in place: in-order text, no FIN (pending or out of order), an
// empty receive buffer with nothing out of order beyond it, and a service
// that runs right after (ESTABLISHED, not closing).
bool Engine::lendable(const Conn& c, Seq seq, bool fin) {
  return c.state == State::Established && seq == c.rcv_nxt && !fin && !c.ooo_fin &&
         c.rcv.size() == 0 && c.ooo.empty() && !c.close_requested && c.rcv.attached();
}

// data_input's in-order case for a lendable segment (above): the text is
// received (RCV.NXT moves, the ACK is due as for any text) but not copied;
// the service reads it where it lies, and settle_lent() stores what it
// leaves. No buffer is taken for it.
void Engine::lend_input(Conn& c, const uint8_t* data, uint32_t len, uint64_t now) {
  c.t_active = now;
  c.rcv_nxt += len;
  env_.lent_to = &c;
  env_.lent = data;
  env_.lent_len = len;
  lent_total_ = len;
  ack_policy(c, now);
}

// RFC 7323 5.3 R1: a segment carrying a timestamp older than TS.Recent is a
// duplicate from an earlier wrap of the sequence space.
bool Engine::check_paws(Conn& c, const Seg& s, uint64_t now) {
  if (!c.ts_ok || !s.opt.ts || s.has(flag::RST)) return true;
  if (static_cast<int32_t>(s.opt.ts_val - c.ts_recent) >= 0) return true;
  ctr_.inc(Ctr::tcp_paws_rejected);
  reject_ack(c, s, now);
  return false;
}

// RFC 9293 3.10.7.4 first check, the four cases. A zero window accepts a
// segment at RCV.NXT whatever its length; its text is then trimmed away
// while its ACK, RST and window are still used. Deviation, as Linux
// (tcp_sequence) and BSD: a segment without text may also sit exactly at
// the right edge (a RST there stays outside, RFC 5961 3.2). A peer that has
// filled our window sends every ACK there, and while one of its segments is
// missing the RFC's test would drop them all, and the acknowledgments of
// our data with them.
// Deviation, the same case one step further (RFC 9293: "special allowance
// should be made to accept valid ACKs" when the window is zero): a segment
// without text (not a RST) is also acceptable anywhere from RCV.NXT up to
// RCV.HIGH, the highest SEG.SEQ + SEG.LEN of an acceptable segment. A peer
// whose segment straddled the right edge had its tail trimmed, and its ACKs
// carry its SND.NXT, beyond our edge; with our window closed because echo
// waits for exactly those ACKs to free its send buffer, dropping them
// stalled the connection for good (docs/tcp.md "window edge"). RCV.HIGH is
// at most one segment beyond the edge and only moves with acceptable
// segments, so a blind attacker gains nothing (RFC 5961 5).
bool Engine::acceptable(const Conn& c, const Seg& s) const {
  const Seq seq(s.seq);
  const uint32_t wnd = c.rcv_adv > c.rcv_nxt ? seq_dist(c.rcv_nxt, c.rcv_adv) : 0;
  const uint32_t len = s.seg_len();
  if (len == 0 && !s.has(flag::RST) && c.rcv_nxt <= seq && seq <= c.rcv_high) return true;
  if (wnd == 0) return seq == c.rcv_nxt;
  const Seq end = c.rcv_nxt + wnd;
  const bool first_in = c.rcv_nxt <= seq && seq < end;
  // RFC 5961 3.2 judges a RST by SEG.SEQ alone: one whose sequence number is
  // outside the window is dropped silently even if the SYN, FIN or text it
  // carries reaches into the window (SYN+RST+FIN at RCV.NXT - 1).
  if (s.has(flag::RST)) return first_in;
  if (len == 0) return first_in || (seq == end && !s.has(flag::RST));
  const Seq last = seq + (len - 1);
  return first_in || (c.rcv_nxt <= last && last < end);
}

// RFC 5961 3.2: a RST exactly at RCV.NXT resets; one elsewhere in the window
// only draws a challenge ACK.
bool Engine::rst_input(Conn& c, const Seg& s, uint64_t now) {
  if (Seq(s.seq) != c.rcv_nxt) {
    ctr_.inc(Ctr::tcp_rst_challenged);
    challenge_ack(c, now);
    return false;
  }
  // RFC 9293 3.10.7.4 second check: in SYN_RECV of an active open the
  // connection was refused; anywhere else it was reset.
  const bool refused = c.state == State::SynReceived && c.listener == Listener::kNoListener;
  abort(c, false, refused ? CloseReason::Refused : CloseReason::Reset);
  return true;
}

// RFC 5961 7 asks for a limit on challenge ACKs; CVE-2016-5696 showed that
// a limit shared by connections is a side channel: an off-path attacker
// spends the shared budget on a connection of its own, and whether its
// guesses at another connection's 4-tuple and sequence numbers drew a
// challenge ACK there shows in how many it gets back itself. So every limit
// here is per connection (Linux since 4.7, and since 5.19 with no global
// one by default): one answer per invalid_ratelimit_ms, a slot the challenge
// ACKs and the ACKs for unacceptable segments share (Linux's
// last_oow_ack_time). There is no per-core budget: nothing any connection
// does changes what another one may send. What the limit bounds instead is
// the output per connection (2 a second), so a blind flood at one 4-tuple
// draws at most that, and all of it goes to the real peer.
bool Engine::answer_allowed(Conn& c, uint64_t now, Ctr limited) {
  const uint32_t ms = static_cast<uint32_t>(now / 1000);
  if (c.answer_ms != 0 && ms - c.answer_ms < cfg_.invalid_ratelimit_ms) {
    ctr_.inc(limited);
    return false;
  }
  c.answer_ms = ms ? ms : 1;  // 0 means none yet
  return true;
}

void Engine::challenge_ack(Conn& c, uint64_t now) {
  if (!answer_allowed(c, now, Ctr::tcp_challenge_ack_limited)) return;
  ctr_.inc(Ctr::tcp_challenge_acks);
  send_ack(c, now);
}

// The ACK that answers an unacceptable segment (RFC 9293 3.10.7.4 first
// check, RFC 7323 5.3 PAWS). As Linux (tcp_oow_rate_limited): a segment
// with text (or FIN) and no SYN is answered every time, since it comes from
// a peer whose ACKs were lost or whose retransmission was spurious, and the
// answer is what stops it; one without text, or with SYN, is what a blind
// attacker or an ACK loop (RFC 5961 10) sends, and is answered at most once
// per invalid_ratelimit_ms. Duplicate ACKs for in-window out-of-order text
// never come here (they drive the peer's fast retransmit).
void Engine::reject_ack(Conn& c, const Seg& s, uint64_t now) {
  const bool text = s.len > 0 || s.has(flag::FIN);
  if ((!text || s.has(flag::SYN)) && !answer_allowed(c, now, Ctr::tcp_oow_ack_limited)) return;
  send_ack(c, now);
}

// RFC 9293 3.10.7.4 fifth check. Returns false when the segment is done with
// (dropped, or the connection is gone).
bool Engine::ack_input(Conn& c, const Seg& s, uint64_t now) {
  const Seq ack(s.ack);
  if (c.state == State::SynReceived) {
    if (!(c.snd_una < ack && ack <= c.snd_max)) {
      ctr_.inc(Ctr::tcp_synrecv_bad_ack);
      send_reset_for(s);
      return false;
    }
    established(c, now);
    if (c.state == State::Closed) return false;  // its service aborted at Opened
    c.snd_wnd = uint32_t{s.wnd} << c.snd_wscale;
    c.max_snd_wnd = std::max(c.max_snd_wnd, c.snd_wnd);
    c.snd_wl1 = Seq(s.seq);
    c.snd_wl2 = ack;
  }
  if (ack > c.snd_max) {
    // RFC 5961 5.2: an ACK of data never sent is answered like a challenge;
    // a peer never sends one, so it is rate-limited whatever it carries.
    ctr_.inc(Ctr::tcp_ack_too_new);
    if (answer_allowed(c, now, Ctr::tcp_oow_ack_limited)) send_ack(c, now);
    return false;
  }
  if (ack < c.snd_una - c.max_snd_wnd) {
    ctr_.inc(Ctr::tcp_ack_too_old);
    challenge_ack(c, now);
    return false;
  }
  c.probes_out = 0;  // the peer is alive: it answers (persist_expired)
  const bool newly_sacked = c.sack_ok && s.opt.nsack && update_sacked(c, s);
  if (ack > c.snd_una) {
    new_ack(c, s, ack, now);
    // Its service, told of the freed send space, may have aborted it.
    if (c.state == State::Closed) return false;
  } else if (ack == c.snd_una && c.snd_max > c.snd_una &&
             ((s.len == 0 && !s.has(flag::FIN) && (uint32_t{s.wnd} << c.snd_wscale) == c.snd_wnd) ||
              newly_sacked)) {
    // RFC 5681 2 "DUPLICATE ACKNOWLEDGMENT", or (RFC 6675 2, 5) an ACK that
    // SACKs new data: a peer that is sending too piggybacks its ACKs on
    // data, which RFC 5681 alone would never count.
    dup_ack(c, now);
  }
  update_window(c, s);

  const bool fin_acked = c.fin_sent && c.snd_una == c.snd_max;
  switch (c.state) {
    case State::FinWait1:
      if (fin_acked) {
        set_state(c, State::FinWait2);
        // Our service has closed, so nobody would ever end a FIN_WAIT_2
        // whose peer never closes: time it out like Linux (tcp_fin_timeout).
        arm_rtx(c, RtxTimer::FinWait2, now + us_.two_msl);
      }
      break;
    case State::Closing:
      if (fin_acked) enter_time_wait(c, now);
      break;
    case State::LastAck:
      if (fin_acked) {
        free_conn(c);
        return false;
      }
      break;
    default:
      break;
  }
  return true;
}

// Returns true if the blocks covered data not SACKed before.
bool Engine::update_sacked(Conn& c, const Seg& s) {
  bool grew = false;
  for (uint8_t i = 0; i < s.opt.nsack; ++i) {
    const Seq l(s.opt.sack[i].left), r(s.opt.sack[i].right);
    // RFC 2018 4: only blocks above SND.UNA and within what we sent.
    if (!(l < r && c.snd_una <= l && r <= c.snd_max)) continue;
    if (!c.sacked.contains(l, r)) grew = true;
    c.sacked.add(l, r);
  }
  return grew;
}

void Engine::new_ack(Conn& c, const Seg& s, Seq ack, uint64_t now) {
  uint32_t acked = seq_dist(c.snd_una, ack);
  if (c.snd_una == c.iss) --acked;              // our SYN
  if (c.fin_sent && ack == c.snd_max) --acked;  // our FIN
  acked = std::min(acked, c.snd.size());
  c.snd.consume(acked);
  if (acked) c.t_active = now;
  queue_release(c);
  // Rewind only with the output queue drained: a segment queued earlier in
  // this burst may point at bytes this ACK just released.
  if (nout_ == 0) c.snd.rewind_if_empty();
  // RFC 7323 4.1 RTTM with timestamps; else RFC 6298 with Karn's rule.
  // HyStart++ takes the same sample (kNoRtt: this ACK has none).
  uint32_t rtt = kNoRtt;
  if (c.ts_ok && s.opt.ts && s.opt.ts_ecr) {
    rtt = (ts_now(now) - s.opt.ts_ecr) * 1000;
    rtt_sample(c, rtt);
  } else if (c.rtt_timing && ack > c.rtt_seq) {
    rtt = static_cast<uint32_t>(now - c.rtt_start);
    rtt_sample(c, rtt);
    c.rtt_timing = false;
  }
  c.backoff = 0;
  c.tlp_sent = false;
  c.snd_una = ack;
  if (c.snd_nxt < ack) c.snd_nxt = ack;
  if (c.rtx_next < ack) c.rtx_next = ack;
  c.sacked.drop_below(ack);

  CcState& cc = c.cc;
  if (cc.in_recovery && cc.undo_ok) {
    // RFC 3522 Eifel detection: the first ACK after the fast retransmission
    // echoes an older timestamp than the retransmission's when the original
    // got there after all (reordering, not loss). RFC 4015 response: undo
    // the window reduction and leave recovery.
    cc.undo_ok = false;
    if (s.opt.ts && static_cast<int32_t>(s.opt.ts_ecr - cc.rtx_tsval) < 0) {
      ctr_.inc(Ctr::tcp_spurious_recoveries);
      cc::undo(cc);
      cc.in_recovery = false;
      // No reduction happened, so the next loss may start a recovery at
      // once: RFC 6582's "recover" guard protects a reduced window only.
      cc.recover = ack - 1;
    }
  }
  if (cc.in_recovery) {
    if (ack >= cc.recover) {
      // RFC 6582 3.2 step 3, full acknowledgment.
      cc.cwnd = std::min(cc.ssthresh, std::max<uint32_t>(flight(c), c.mss) + c.mss);
      cc.in_recovery = false;
    } else {
      // Partial acknowledgment: retransmit the next hole, deflate.
      retransmit_hole(c, now, false);
      cc.cwnd = (cc.cwnd > acked ? cc.cwnd - acked : 0) + (acked >= c.mss ? c.mss : 0);
    }
  } else {
    // RFC 9406 4.2: a round ends when the data sent up to its start (the
    // highest sequence sent, SND.NXT there) is acknowledged.
    const HyStartPhase phase = cc.hs_phase;
    cc::on_ack(cc, acked, c.mss, now, c.srtt, rtt, c.snd_una, c.snd_max);
    if (phase != cc.hs_phase) {
      // An ACK turns HyStart++ off only when it ends slow start (CSS_ROUNDS).
      if (cc.hs_phase == HyStartPhase::Css) ctr_.inc(Ctr::tcp_hystart_css);
      if (cc.hs_phase == HyStartPhase::Off) ctr_.inc(Ctr::tcp_hystart_exits);
    }
  }
  cc.dupacks = 0;
  // RFC 6298 5.2 / 5.3.
  if (c.snd_una == c.snd_max) {
    if (c.rtx_timer != RtxTimer::Persist) stop_rtx(c);
  } else {
    set_rtx(c, now);
  }
  if (c.want_writable && c.snd.space()) service_run(c);  // it clears want_writable
}

void Engine::dup_ack(Conn& c, uint64_t now) {
  CcState& cc = c.cc;
  ++cc.dupacks;
  if (cc.in_recovery) {
    // The peer SACKed data sent well after our retransmission of the head
    // (more than three segments beyond it, past any plausible reordering)
    // while the head is still missing: the retransmission itself was lost.
    // Send it again now rather than wait for the RTO (Linux's lost-retransmit
    // rule; RACK, RFC 8985, generalises it).
    if (c.snd_una == cc.rtx_seq && !c.sacked.empty() &&
        c.sacked[static_cast<uint8_t>(c.sacked.size() - 1)].r >= cc.rtx_high + 3u * c.mss) {
      ctr_.inc(Ctr::tcp_lost_retransmits);
      c.rtx_next = c.snd_una;
      retransmit_hole(c, now, false);
    }
    cc.cwnd += c.mss;  // RFC 6582 3.2 step 4: inflate
    retransmit_hole(c, now, true);
    return;
  }
  if (cc.dupacks < 3) return;  // RFC 3042 limited transmit happens in output()
  // RFC 6582 3.2 step 2: only if this loss is past the last recovery point.
  if (cc.dupacks > 3 || (c.snd_una - 1) < cc.recover) return;
  ctr_.inc(Ctr::tcp_fast_retransmits);
  cc::on_congestion(cc, flight(c), c.mss);
  cc.undo_ok = c.ts_ok;
  cc.rtx_tsval = ts_now(now);
  cc.recover = c.snd_max;
  cc.in_recovery = true;
  c.rtx_next = c.snd_una;
  retransmit_hole(c, now, false);
  cc.cwnd = cc.ssthresh + 3u * c.mss;
}

// RFC 9293 3.10.7.4: SND.WND from the newest segment only (SND.WL1/WL2).
void Engine::update_window(Conn& c, const Seg& s) {
  const Seq seq(s.seq), ack(s.ack);
  if (!(c.snd_wl1 < seq || (c.snd_wl1 == seq && c.snd_wl2 <= ack))) return;
  c.snd_wnd = uint32_t{s.wnd} << c.snd_wscale;
  c.max_snd_wnd = std::max(c.max_snd_wnd, c.snd_wnd);
  c.snd_wl1 = seq;
  c.snd_wl2 = ack;
  if (c.snd_wnd && c.rtx_timer == RtxTimer::Persist) {
    stop_rtx(c);
    c.backoff = 0;
  }
}

// RFC 6298 2.2-2.3 (times in microseconds; G = 1 ms).
void Engine::rtt_sample(Conn& c, uint32_t r) {
  if (c.srtt == 0) {
    c.srtt = r ? r : 1;
    c.rttvar = r / 2;
  } else {
    const uint32_t d = c.srtt > r ? c.srtt - r : r - c.srtt;
    c.rttvar = (3 * c.rttvar + d) / 4;
    c.srtt = (7 * c.srtt + r) / 8;
    if (c.srtt == 0) c.srtt = 1;
  }
  const uint64_t rto = uint64_t{c.srtt} + std::max<uint64_t>(1000, 4ull * c.rttvar);
  c.rto = static_cast<uint32_t>(std::clamp<uint64_t>(rto, us_.rto_min, us_.rto_max));
}

// RFC 9293 3.10.7.4 seventh check: segment text, in order or out of order.
void Engine::data_input(Conn& c, Seq seq, const uint8_t* data, uint32_t len, uint64_t now) {
  if (len == 0) return;
  if (c.peer_fin || !can_receive(c.state)) {
    ctr_.inc(Ctr::tcp_data_after_fin);
    return;
  }
  // The first text a connection receives brings its buffers' memory. Without
  // it the text is dropped (the ACK in it was used) and the peer's
  // retransmission finds memory once other connections gave theirs back.
  if (!ensure_mem(c)) {
    ctr_.inc(Ctr::tcp_no_buffers);
    return;
  }
  c.t_active = now;
  const uint32_t off = seq_dist(c.rcv_nxt, seq);
  if (off > 0) {
    // Out of order: keep it where it belongs, report it by SACK, ACK at once
    // (RFC 5681 4.2, RFC 2018 4).
    if (!c.ooo.add(seq, seq + len)) {
      ctr_.inc(Ctr::tcp_ooo_queue_full);
      c.ack_now = true;
      return;
    }
    c.rcv.write_at(c.rcv.size() + off, data, len);
    c.ooo_last = seq;
    ctr_.inc(Ctr::tcp_ooo_segments);
    c.ack_now = true;
    return;
  }
  c.rcv.write_at(c.rcv.size(), data, len);
  c.rcv.commit(len);
  c.rcv_nxt += len;
  ctr_.inc(Ctr::tcp_rx_bytes, len);
  if (!c.ooo.empty()) {
    // The hole at the front may be filled: take what is now contiguous. A
    // segment may span several holes, so every range it reaches is taken
    // (RFC 9293 3.10.7.4: RCV.NXT advances over all contiguous data).
    while (!c.ooo.empty() && c.ooo[0].l <= c.rcv_nxt) {
      const Seq r = c.ooo[0].r;
      if (r > c.rcv_nxt) {
        c.rcv.commit(seq_dist(c.rcv_nxt, r));
        ctr_.inc(Ctr::tcp_rx_bytes, seq_dist(c.rcv_nxt, r));
        c.rcv_nxt = r;
      }
      c.ooo.drop_below(c.rcv_nxt);
    }
    c.ack_now = true;  // RFC 5681 4.2: ACK at once when a hole fills
  }
  ack_policy(c, now);
}

// RFC 1122 4.2.3.2 / RFC 5681 4.2: ACK at least every second full segment,
// otherwise within the delayed-ACK time.
void Engine::ack_policy(Conn& c, uint64_t now) {
  if (++c.unacked_segs >= 2)
    c.ack_now = true;
  else if (!c.t_delack)
    c.t_delack = now + us_.delack;
}

// RFC 9293 3.10.7.4 eighth check.
void Engine::fin_input(Conn& c, uint64_t now) {
  c.ooo_fin = false;
  c.rcv_nxt += 1;
  c.peer_fin = true;
  c.ack_now = true;
  switch (c.state) {
    case State::SynReceived:
    case State::Established:
      set_state(c, State::CloseWait);
      break;
    case State::FinWait1:
      if (c.fin_sent && c.snd_una == c.snd_max)
        enter_time_wait(c, now);
      else
        set_state(c, State::Closing);
      break;
    case State::FinWait2:
      enter_time_wait(c, now);
      break;
    default:
      break;
  }
}

void Engine::established(Conn& c, uint64_t now) {
  set_state(c, State::Established);
  if (c.listener != Listener::kNoListener) ++listeners_[c.listener].accepted;
  c.backoff = 0;
  if (cfg_.keepalive) c.t_keepalive = now + us_.keepalive_idle;
  service_open(c);
}

void Engine::enter_time_wait(Conn& c, uint64_t now) {
  set_state(c, State::TimeWait);
  // From FIN_WAIT_1/2 the peer's FIN just arrived (fin_input set ack_now) and
  // is acknowledged here. From CLOSING the segment only acknowledged our FIN:
  // RFC 9293 3.10.7.4 sends nothing then.
  if (c.ack_now) send_ack(c, now);
  arm_rtx(c, RtxTimer::TimeWait, now + us_.two_msl);
  c.t_delack = c.t_keepalive = 0;
  c.ack_now = false;
  // Nothing more is sent or delivered: the buffers go back to the pool now.
  release_bufs(c);
  c.ooo.clear();
  c.sacked.clear();
}

}  // namespace pmx::tcp
