// The engine's side of the stream API (stream.hpp): when a connection's
// service is told what happened. Server services live in lib/service, the
// generator's client (ServiceKind::Client) in lib/gen; all are reached
// through service_event().
#include "engine.hpp"
#include "stream.hpp"

#include <algorithm>

namespace pmx::tcp {

using stats::Ctr;

// Hands one event to the connection's service, then carries out an abort()
// it asked for (never inside the call: the connection must outlive it).
// Returns false if the connection was aborted.
bool Engine::dispatch(Conn& c, StreamEvent e) {
  Stream s(c, ctr_, clock_, CloseReason::Normal, client_, client_ctx_);
  service_event(s, e);
  if (!c.svc_abort) return true;
  c.svc_abort = false;
  // abandon() may wait for an output slot; output() finishes it then.
  if (c.svc_abandon) return abandon(c, clock_), false;
  abort(c, true, CloseReason::Local);
  return false;
}

void Engine::service_open(Conn& c) {
  c.t_app = 0;
  c.svc_abort = false;
  // An active open whose run sends takes its buffers now: its first request
  // goes with the ACK of the SYN-ACK (connect() saw two free; if they went
  // since, the service finds none: Stream::buffered()).
  if (c.svc == ServiceKind::Client && client_ && client_->reqs > 0) ensure_mem(c);
  dispatch(c, StreamEvent::Opened);
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
  if (!dispatch(c, StreamEvent::Data)) return;
  if (c.ooo.empty()) c.rcv.rewind_if_empty();
  service_deadline(c);
  queue_release(c);
  // Reading opened the window: tell the peer when it grew by enough.
  const Seq edge = c.rcv_nxt + c.rcv.space();
  if (edge >= c.rcv_adv + std::min<uint32_t>(c.rcv.capacity() / 2, 2u * c.mss)) c.ack_now = true;
}

void Engine::service_close(Conn& c, CloseReason why) {
  Stream s(c, ctr_, clock_, why, client_, client_ctx_);
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
  c.t_svc = c.idle_to_s ? clock_ + uint64_t{c.idle_to_s} * 1000000 : 0;
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
