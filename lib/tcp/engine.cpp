// Demultiplexing (lookup order stated once, below), the LISTEN and CLOSED
// states, and the connection pool.
#include "engine.hpp"

#include "isn.hpp"

#include <rte_byteorder.h>

#include <algorithm>
#include <cerrno>

namespace pmx::tcp {

using stats::Ctr;

namespace {
constexpr size_t kOutCap = 1024;  // OutSegs per call before output waits for a drain

uint32_t default_nbufs(const EngineConfig& c) {
  return c.nbufs ? c.nbufs : std::min<uint32_t>(2 * c.max_flows, 8192);
}
}  // namespace

Engine::Engine(const EngineConfig& cfg, flow::FlowTable& flows, stats::Counters& ctr)
    : cfg_(cfg),
      us_(cfg),
      flows_(flows),
      ctr_(ctr),
      conns_(cfg.max_flows),
      bufs_(cfg.buf_size, default_nbufs(cfg)),
      wheel_(cfg.max_flows),
      out_(kOutCap),
      env_{.ctr = ctr, .bufs = &bufs_} {
  free_.reserve(cfg.max_flows);
  for (uint32_t i = cfg.max_flows; i-- > 0;) {
    conns_[i].idx = i;
    free_.push_back(i);
  }
  pending_.reserve(2 * size_t{cfg.max_flows});  // poll() keeps it under twice the waiting ones
  queued_.assign(cfg.max_flows, 0);
  release_q_.reserve(cfg.max_flows);  // at most once each (Conn::release_queued)
  victims_.reserve(bufs_.total());    // a victim holds at least one buffer
}

Engine::~Engine() = default;

// Lookup order (RFC 9293 3.10.7; Linux __inet_lookup): the connection with
// this exact 4-tuple; else the listener on the exact local address and port;
// else the listener on 0.0.0.0 and the port; else the CLOSED state. Only a
// SYN may create a connection from a listener.
void Engine::input_burst(const Seg* segs, unsigned n, uint64_t now) {
  handed_ = false;
  input_segs(segs, n, now);
}

void Engine::input_handed(const Seg* segs, unsigned n, uint64_t now) {
  handed_ = true;
  input_segs(segs, n, now);
  handed_ = false;
}

void Engine::input_segs(const Seg* segs, unsigned n, uint64_t now) {
  burst_changed_ = false;
  env_.now_us = now;
  while (n > 0) {
    const unsigned m = std::min(n, flow::FlowTable::kMaxBulk);
    const flow::FlowKey* keys[flow::FlowTable::kMaxBulk];
    uint32_t idx[flow::FlowTable::kMaxBulk];
    for (unsigned i = 0; i < m; ++i) keys[i] = &segs[i].key;
    flows_.lookup_bulk(keys, m, idx);
    for (unsigned i = 0; i < m; ++i) {
      // An earlier segment of this burst may have freed or created the
      // connection: the bulk result is checked, and looked up again if stale.
      uint32_t k = idx[i];
      if (k == flow::kNoFlow ? burst_changed_ : !(conns_[k].key == segs[i].key))
        k = flows_.lookup(segs[i].key);
      if (!handed_) ctr_.inc(Ctr::tcp_in_segs);  // the receiving core counted it
      dispatch(segs[i], k, now);
    }
    segs += m;
    n -= m;
  }
}

void Engine::dispatch(const Seg& s, uint32_t idx, uint64_t now) {
  if (idx != flow::kNoFlow) {
    Conn& c = conns_[idx];
    ctr_.inc(Ctr::tcp_demux_conn);
    if (c.state == State::TimeWait && s.has(flag::SYN) && !s.has(flag::ACK | flag::RST) &&
        timewait_reuse(c, s)) {
      ctr_.inc(Ctr::tcp_timewait_reused);
      free_conn(c);
      // Counted once as tcp_demux_conn; the new incarnation goes to the listener.
      ListenerTable::Match m;
      const uint16_t li =
          listeners_.lookup(local_addr(s.key), rte_be_to_cpu_16(s.key.local_port), m);
      if (li == Listener::kNoListener) return closed_input(s);
      return listen_input(li, s, now);
    }
    return conn_input(c, s, now);
  }
  no_connection(s, now);
}

void Engine::no_connection(const Seg& s, uint64_t now) {
  // Another core may own this 4-tuple (the SYN of a passive open that core
  // must create, or a segment of its connection that the NIC or the kernel
  // steered here): the hook hands it over. A handed segment is not offered
  // again, so a segment that nobody owns ends below on its owner.
  if (miss_ && !handed_ && miss_(miss_ctx_, s)) return;
  ListenerTable::Match m;
  const uint16_t li = listeners_.lookup(local_addr(s.key), rte_be_to_cpu_16(s.key.local_port), m);
  switch (m) {
    case ListenerTable::Match::Exact:
      ctr_.inc(Ctr::tcp_demux_listen_exact);
      return listen_input(li, s, now);
    case ListenerTable::Match::Wildcard:
      ctr_.inc(Ctr::tcp_demux_listen_wildcard);
      return listen_input(li, s, now);
    case ListenerTable::Match::None:
      ctr_.inc(Ctr::tcp_demux_none);
      return closed_input(s);
  }
}

// RFC 9293 3.10.7.1: a segment for no connection. A RST is never answered.
void Engine::closed_input(const Seg& s) {
  // The host's kernel may own it (its sshd; a RST of one of its
  // connections): then it answers, not us.
  if (kernel_ && kernel_(kernel_ctx_, s)) return ctr_.inc(Ctr::kernel_up_tcp);
  if (s.has(flag::RST)) return ctr_.inc(Ctr::tcp_rst_no_conn);
  ctr_.inc(Ctr::tcp_closed_answered);
  ctr_.inc(Ctr::tcp_rst_sent_no_listener);
  send_reset_for(s);
}

// <SEQ=SEG.ACK><CTL=RST> if the segment has ACK, else
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
void Engine::send_reset_for(const Seg& s) {
  OutSeg* o = next_out();
  if (!o) return;
  *o = OutSeg{};
  o->key = s.key;
  if (s.has(flag::ACK)) {
    o->seq = s.ack;
    o->flags = flag::RST;
  } else {
    o->ack = s.seq + s.seg_len();
    o->flags = flag::RST | flag::ACK;
  }
  ctr_.inc(Ctr::tcp_out_segs);
  ctr_.inc(Ctr::tcp_out_rsts);
}

// RFC 9293 3.10.7.2.
void Engine::listen_input(uint16_t li, const Seg& s, uint64_t now) {
  if (s.has(flag::RST)) return ctr_.inc(Ctr::tcp_listen_rst);
  if (s.has(flag::ACK)) {
    // The third segment of a handshake answered with a SYN cookie?
    if (!s.has(flag::SYN) && cookie_ack(li, s, now)) return;
    ctr_.inc(Ctr::tcp_listen_ack);
    return send_reset_for(s);
  }
  if (!s.has(flag::SYN)) return ctr_.inc(Ctr::tcp_listen_no_syn);
  if (s.has(flag::FIN)) return ctr_.inc(Ctr::tcp_listen_bad_syn);
  Listener& l = listeners_[li];
  if (cookie_wanted(l)) return send_cookie(s, now);
  if (l.syn_recv >= l.spec.backlog) {
    ++l.overflows;
    return ctr_.inc(Ctr::tcp_syn_backlog_full);
  }
  if (free_.empty()) return ctr_.inc(Ctr::tcp_conn_pool_empty);
  Conn* cp = alloc_conn(s.key);
  if (!cp) {
    // The cuckoo table can refuse a key before it is full: a cookie needs
    // no entry until the handshake completes.
    if (cfg_.syncookies == SynCookies::Auto) return send_cookie(s, now);
    return ctr_.inc(Ctr::tcp_flow_table_full);
  }
  Conn& c = *cp;
  c.snd.attach(nullptr, bufs_.block_size());  // memory on first use: ensure_mem()
  c.rcv.attach(nullptr, bufs_.block_size());
  c.svc = l.spec.service.kind;
  c.svc_arg = l.spec.service.arg;
  c.svc_timeout_s = l.spec.service.timeout_s;
  c.idle_to_s = l.spec.service.idle_timeout_s;
  c.cc_kind = l.spec.cc;
  c.cc_hystart = l.spec.hystart;
  c.listener = li;
  take_syn_options(c, s);
  if (c.ws_ok)
    while ((c.rcv.capacity() >> c.rcv_wscale) > 65535) ++c.rcv_wscale;
  c.iss = Seq(make_isn(s.key, now));
  c.snd_una = c.snd_nxt = c.snd_max = c.iss;
  c.snd_wl2 = c.iss;
  c.rto = static_cast<uint32_t>(us_.rto_init);
  init_cc(c);
  set_state(c, State::SynReceived);
  ++l.syn_recv;
  ctr_.inc_family(Ctr::tcp_passive_opens, c.key.is_v6());
  ctr_.inc_port(c.key.port_id, stats::Counters::kPortPassiveOpens);
  send_synack(c, now);
  arm_rtx(c, RtxTimer::SynAckRetry, now + c.rto);
  arm(c);
}

// What a SYN (or SYN-ACK) tells about the peer: its ISN, window and options.
// RFC 7323 2.2 / 3.2, RFC 2018 2: an option is used only if both offer it
// (the caller decides our window shift; here it is cleared if the peer
// offered none).
void Engine::take_syn_options(Conn& c, const Seg& s) {
  const uint16_t mine = our_mss(s.key);
  c.mss = std::min<uint16_t>(s.opt.mss ? s.opt.mss : default_mss(s.key), mine);  // RFC 9293 3.7.1
  // A tiny MSS would turn every byte into a segment: like Linux
  // (tcp_min_snd_mss) we send at least 48-byte segments whatever the peer says.
  c.mss = std::max<uint16_t>(c.mss, 48);
  c.ws_ok = s.opt.wscale != TcpOpts::kNoWscale;
  c.snd_wscale = c.ws_ok ? s.opt.wscale : 0;
  if (!c.ws_ok) c.rcv_wscale = 0;
  c.ts_ok = s.opt.ts;
  c.ts_recent = s.opt.ts_val;
  c.sack_ok = s.opt.sack_ok;
  c.irs = Seq(s.seq);
  c.rcv_nxt = c.irs + 1;
  // Nothing advertised yet: the right edge starts at RCV.NXT. Left at the
  // pool's 0, the modular comparisons of window_field() would keep 0 as the
  // edge whenever RCV.NXT + window crosses 2^31 from it, and the window
  // would read as zero (or as 2^31) from then on.
  c.rcv_adv = c.last_ack_sent = c.rcv_high = c.rcv_nxt;
  c.snd_wnd = s.wnd;  // RFC 7323 2.2: the window of a SYN is never scaled
  c.max_snd_wnd = c.snd_wnd;
  c.snd_wl1 = Seq(s.seq);
}

// RFC 6928 initial window; RFC 5681 3.1 ssthresh "arbitrarily high".
void Engine::init_cc(Conn& c) { cc::init(c.cc, c.cc_kind, c.mss, c.iss, c.cc_hystart); }

Conn* Engine::alloc_conn(const flow::FlowKey& k) {
  const uint32_t i = free_.back();
  if (flows_.insert(k, i) != 0) {
    ++insert_failures_;
    return nullptr;
  }
  free_.pop_back();
  burst_changed_ = true;
  Conn& c = conns_[i];
  const uint32_t idx = c.idx;
  const bool rq = c.release_queued;  // its index may still be in release_q_
  c = Conn{};
  c.idx = idx;
  c.release_queued = rq;
  c.key = k;
  return &c;
}

void Engine::free_conn(Conn& c, CloseReason why) {
  // Every connection's service hears Closed exactly once, here (a client
  // connection that ends before its service finished it, as when the peer
  // closed before the last response, fails then).
  service_close(c, why);
  c.svc_abort = c.svc_abandon = false;
  set_state(c, State::Closed);
  flows_.erase(c.key);
  wheel_.cancel(c.idx);
  release_bufs(c);
  c.key = flow::FlowKey{};
  free_.push_back(c.idx);
  burst_changed_ = true;
}

bool Engine::ensure_mem(Conn& c) { return attach_buffers(c, bufs_, env_.now_us); }

void Engine::release_bufs(Conn& c) {
  if (uint8_t* m = c.snd.detach()) bufs_.put(m);
  if (uint8_t* m = c.rcv.detach()) bufs_.put(m);
}

namespace {

// Nothing unsent, unacknowledged or unread, no out-of-order text, and no
// service about to write (one waiting for send space, as an http body still
// to generate or a client request still to queue): the buffers can go back
// to the pool. Whatever writes to them next gets memory first (data_input,
// service_open for a client, service_run for a writer: ensure_mem).
bool drained(const Conn& c) {
  return c.snd.has_mem() && c.snd.size() == 0 && c.rcv.size() == 0 && c.ooo.empty() &&
         !c.want_writable;
}

}  // namespace

void Engine::queue_release(Conn& c) {
  if (c.release_queued || !drained(c)) return;
  c.release_queued = true;
  release_q_.push_back(c.idx);
}

// Buffer pool pressure, checked once a second from clear_output() (nothing
// queued points into a buffer then). Below 1/16 of the pool free, new text
// already waits (tcp_no_buffers) and the holders give way: first out-of-
// order text is dropped where it is all a connection holds (RFC 2018 8 lets
// a receiver renege: the sender keeps everything until it is cumulatively
// acknowledged); then the connections that have made no progress (no text
// received or acknowledged) for kStallUs are reset, oldest first, until 1/8
// of the pool is free. A peer that stops reading or keeps its window shut
// cannot hold memory that active connections need; one making progress is
// never reset. The walk covers the whole pool, but only while it is short.
void Engine::pressure_pass() {
  constexpr uint64_t kStallUs = 10'000'000;
  next_pressure_ = env_.now_us + 1'000'000;
  if (bufs_.available() >= bufs_.total() / 16) return;
  victims_.clear();
  for (Conn& c : conns_) {
    if (c.state == State::Closed || !c.rcv.has_mem()) continue;
    if (!c.ooo.empty() && c.rcv.size() == 0) {
      const OooSet kept = c.ooo;
      c.ooo.clear();
      if (drained(c)) {
        c.ooo_fin = false;
        ctr_.inc(Ctr::tcp_pressure_reneged);
        bufs_.put(c.snd.take_mem());
        bufs_.put(c.rcv.take_mem());
        continue;
      }
      c.ooo = kept;  // it holds more than out-of-order text
    }
    if (c.t_active + kStallUs <= env_.now_us) victims_.push_back(c.idx);
  }
  std::sort(victims_.begin(), victims_.end(),
            [&](uint32_t a, uint32_t b) { return conns_[a].t_active < conns_[b].t_active; });
  for (uint32_t i : victims_) {
    if (bufs_.available() >= bufs_.total() / 8) break;
    ctr_.inc(Ctr::tcp_pressure_aborts);
    abort(conns_[i], true, CloseReason::NoResources);
  }
}

// From clear_output(): no queued segment points into a buffer any more. A
// connection freed meanwhile has no memory (drained() is false); one that
// took new bytes since it was queued is not drained.
void Engine::release_drained() {
  for (uint32_t i : release_q_) {
    Conn& c = conns_[i];
    c.release_queued = false;
    if (!drained(c)) continue;
    bufs_.put(c.snd.take_mem());
    if (c.rcv.has_mem()) bufs_.put(c.rcv.take_mem());
    ctr_.inc(Ctr::tcp_buffers_released);
  }
  release_q_.clear();
}

uint32_t Engine::make_isn(const flow::FlowKey& k, uint64_t now) const {
  // RFC 6528 3: M is a timer ticking every 4 microseconds.
  // The family's key bytes: IPv4 hashes its 16, IPv6 all 48 (flow_key.hpp).
  const uint64_t f =
      siphash24(cfg_.isn_key, reinterpret_cast<const uint8_t*>(&k), k.hashed_bytes());
  return static_cast<uint32_t>(f) + static_cast<uint32_t>(now / 4);
}

// RFC 6191 2: a SYN may take over a TIME_WAIT 4-tuple if its timestamp is
// newer (when both ends use timestamps), else if its sequence number is above
// what the old incarnation reached (RFC 1122 4.2.2.13).
bool Engine::timewait_reuse(Conn& c, const Seg& s) const {
  if (c.ts_ok && s.opt.ts) return static_cast<int32_t>(s.opt.ts_val - c.ts_recent) > 0;
  return Seq(s.seq) > c.rcv_nxt;
}

int Engine::listen(const ListenSpec& s) { return listeners_.add(s); }

// Connections still in SYN_RECV for the listener are reset (Linux does the
// same when a listening socket closes); established ones live on.
int Engine::unlisten(const net::IpAddr& ip, uint16_t port) {
  const int li = listeners_.remove(ip, port);
  if (li < 0) return li;
  for (Conn& c : conns_)
    if (c.state == State::SynReceived && c.listener == li) abort(c, true);
  return li;
}

size_t Engine::snapshot(ConnRow* rows, size_t cap) const {
  size_t n = 0;
  for (const Conn& c : conns_) {
    if (c.state == State::Closed) continue;
    if (n == cap) break;
    rows[n++] = ConnRow{c.key, c.state, c.rcv.size(), c.snd.size(), cfg_.lcore};
  }
  return n;
}

const Conn* Engine::find(const flow::FlowKey& k) const {
  const uint32_t i = flows_.lookup(k);
  return i == flow::kNoFlow ? nullptr : &conns_[i];
}

void Engine::abort_all() {
  for (Conn& c : conns_)
    if (c.state != State::Closed) abort(c, c.state != State::TimeWait);
}

void Engine::close_idle_clients(uint8_t group) {
  for (Conn& c : conns_) {
    if (c.svc != ServiceKind::Client || c.close_requested) continue;
    if (group != kAnyGroup && c.group != group) continue;
    if (!can_send(c.state)) continue;
    // The client finishes and shuts down one between requests.
    if (dispatch(c, StreamEvent::Idle) && c.close_requested) mark_pending(c);
  }
}

void Engine::abort_clients(CloseReason why, uint8_t group) {
  for (Conn& c : conns_)
    // TIME_WAIT ones have finished and keep guarding their 4-tuple.
    if (c.svc == ServiceKind::Client && c.state != State::Closed && c.state != State::TimeWait &&
        (group == kAnyGroup || c.group == group))
      abort(c, c.state != State::SynSent, why);
}

}  // namespace pmx::tcp
