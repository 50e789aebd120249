// The engine's side of the stream API (stream.hpp): when a connection's
// service is told what happened. Server services live in lib/service, the
// generator's client (ServiceKind::Client) in lib/gen; all are reached
// through service_event().
#include "engine.hpp"
#include "stream.hpp"

#include <algorithm>

namespace pmx::tcp {

using stats::Ctr;

// The service asked for RST (Stream::abort) or to vanish (abandon) during
// the event dispatch() just handed it: carry it out now that it returned.
bool Engine::service_aborted(Conn& c) {
  c.svc_abort = false;
  // abandon() may wait for an output slot; output() finishes it then.
  if (c.svc_abandon) return abandon(c, env_.now_us), false;
  abort(c, true, CloseReason::Local);
  return false;
}

void Engine::service_open(Conn& c) {
  c.t_app = 0;
  c.svc_abort = false;
  // An active open whose run sends takes its buffers now: its first request
  // goes with the ACK of the SYN-ACK (connect() saw two free; if they went
  // since, the service finds none: Stream::buffered()).
  if (c.svc == ServiceKind::Client && env_.client[c.group] && env_.client[c.group]->reqs > 0)
    ensure_mem(c);
  // The idle deadline runs from here: a peer that never sends is idle too
  // (segments without bytes do not run the service, so do not move it).
  if (dispatch(c, StreamEvent::Opened)) service_deadline(c);
}

void Engine::service_run(Conn& c) {
  if (!c.rcv.attached() || c.close_requested) {
    if (c.rcv.attached()) c.rcv.consume(c.rcv.size());  // late input after we closed
    return queue_release(c);
  }
  if (!can_send(c.state)) return;
  // want_writable lasts until the next run (a service says it again if it
  // is still short). A service waiting to write gets buffers first (one
  // that speaks first, as chargen, has none at the handshake: memory on
  // first use).
  const bool wants = c.want_writable;
  c.want_writable = false;
  if (wants && !c.snd.has_mem()) ensure_mem(c);
  bool alive = dispatch(c, StreamEvent::Data);
  if (env_.lent_to == &c) {
    // Text read in place (lend_input) takes no buffers, so the service may
    // have found none and asked to write: the engine tries to take them and
    // it hears at once (with buffers, or none: the pool is dry), reading
    // the same text again.
    if (alive && c.want_writable && !c.snd.has_mem()) {
      ensure_mem(c);
      c.want_writable = false;
      alive = dispatch(c, StreamEvent::Data);
    }
    settle_lent(c, alive);
  }
  if (!alive) return;
  if (c.ooo.empty()) c.rcv.rewind_if_empty();
  service_deadline(c);
  queue_release(c);
  window_news(c);
}

// After the Data event of a lent segment: what the service consumed was
// received; the rest goes into the receive buffer, which takes its memory
// only now. Without memory the rest is not received after all: RCV.NXT
// moves back before any ACK has covered it, and the peer sends it again
// (counted as tcp_no_buffers, as in data_input). A connection the service
// aborted keeps nothing.
void Engine::settle_lent(Conn& c, bool alive) {
  const uint32_t rest = env_.lent_len;
  uint32_t kept = lent_total_ - rest;
  env_.lent_to = nullptr;
  if (!alive) return;
  if (rest > 0) {
    if (ensure_mem(c)) {
      c.rcv.append(env_.lent, rest);
      kept += rest;
    } else {
      c.rcv_nxt = c.rcv_nxt - rest;
      ctr_.inc(Ctr::tcp_no_buffers);
    }
  }
  ctr_.inc(Ctr::tcp_rx_bytes, kept);
}

void Engine::service_close(Conn& c, CloseReason why) {
  Stream s(c, env_, why);
  service_event(s, StreamEvent::Closed);
  c.t_app = 0;
}

// The service timer (docs/tcp.md, "Service timers"): the service's
// own deadline (http's request-head timeout) if it set one, else the
// listener's idle_timeout from now (nginx's keepalive_timeout). The
// generator's connections have neither (no listener, no set_timer()): its
// runs time themselves.
void Engine::service_deadline(Conn& c) {
  if (c.close_requested) {
    c.t_svc = 0;
    return;
  }
  if (c.t_app) {
    c.t_svc = c.t_app;
    return;
  }
  c.t_svc = c.idle_to_s ? env_.now_us + uint64_t{c.idle_to_s} * 1000000 : 0;
}

void Engine::service_timeout(Conn& c, uint64_t now) {
  c.t_svc = 0;
  if (c.close_requested) return;
  const bool own = c.t_app && c.t_app <= now;
  if (!own && (c.snd.size() > 0 || c.want_writable)) {
    // Still delivering (a slow reader is the peer's window's business and
    // the retransmission timer's): not idle, look again a period later.
    c.t_svc = now + uint64_t{c.idle_to_s ? c.idle_to_s : 1u} * 1000000;
    return;
  }
  if (own) {
    // The service's own deadline: it decides (http defers its 408 while a
    // response is still going out; chargen's rate sends more). It may
    // write: buffers first, or RST if none.
    c.t_app = 0;
    if (!ensure_mem(c)) return abort(c, true, CloseReason::Timeout);
    if (!dispatch(c, StreamEvent::Timer)) return;
  } else {
    if (!dispatch(c, StreamEvent::Idle)) return;
  }
  service_deadline(c);
  queue_release(c);
  output(c, now);
}

}  // namespace pmx::tcp
