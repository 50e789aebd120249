// The built-in services, run on the connection's own core when data, send
// space or the peer's FIN arrive. A closed set dispatched by a switch: no
// virtual call per segment. Each service reads from c.rcv, writes to c.snd
// and calls app_close() once it has queued its last byte.
#include "engine.hpp"

#include <algorithm>

namespace pmx::tcp {

namespace {

// RFC 862: everything received is sent back, as send space allows.
bool run_echo(Conn& c) {
  const uint32_t n = std::min(c.rcv.size(), c.snd.space());
  const auto sp = c.rcv.peek(0, n);
  c.snd.append(sp[0].data(), static_cast<uint32_t>(sp[0].size()));
  c.snd.append(sp[1].data(), static_cast<uint32_t>(sp[1].size()));
  c.rcv.consume(n);
  c.want_writable = c.rcv.size() > 0;
  return c.peer_fin && c.rcv.size() == 0;  // all echoed: close too
}

// RFC 863: everything received is thrown away.
bool run_discard(Conn& c) {
  c.rcv.consume(c.rcv.size());
  return c.peer_fin;
}

// Queues as much of the pending response body as fits.
void http_body(Conn& c) {
  ServiceState& a = c.app;
  const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(a.body_left, c.snd.space()));
  const auto sp = c.snd.reserve(n);
  service::fill_body(sp[0].data(), sp[0].size(), a.body_off);
  service::fill_body(sp[1].data(), sp[1].size(), a.body_off + sp[0].size());
  c.snd.commit(n);
  a.body_off += n;
  a.body_left -= n;
}

// HTTP/1.1 with keep-alive and pipelining: one request at a time is parsed
// from c.rcv; the next is read only when this one's response is queued, so a
// slow reader closes our receive window instead of growing a queue.
bool run_http(Conn& c, uint32_t default_size) {
  constexpr uint32_t kHeadRoom = 256;  // the longest head write_head() makes
  ServiceState& a = c.app;
  for (;;) {
    if (a.responding) {
      http_body(c);
      if (a.body_left) {
        c.want_writable = true;
        return false;
      }
      a.responding = false;
      if (a.close_after) return true;
    }
    if (c.rcv.size() == 0) return c.peer_fin;
    if (c.snd.space() < kHeadRoom) {
      c.want_writable = true;
      return false;
    }
    const auto sp = c.rcv.peek(0, c.rcv.size());
    size_t used = a.http.feed(sp[0].data(), sp[0].size(), default_size);
    if (used == sp[0].size() && !a.http.done())
      used += a.http.feed(sp[1].data(), sp[1].size(), default_size);
    c.rcv.consume(static_cast<uint32_t>(used));
    if (!a.http.done() && !a.http.bad()) return c.peer_fin;  // all consumed: wait for the rest
    const service::HttpRequest r = a.http.req();
    char head[kHeadRoom];
    const size_t hl = service::write_head(head, sizeof head, r);
    c.snd.append(reinterpret_cast<const uint8_t*>(head), static_cast<uint32_t>(hl));
    a.body_left = r.head ? 0 : r.body_len;
    a.body_off = 0;
    a.responding = true;
    a.close_after = r.close;
    a.http.reset();
  }
}

}  // namespace

void Engine::service_open(Conn& c) {
  if (c.svc == ServiceKind::Client) return client_open(c);
  c.app = ServiceState{};
}

void Engine::service_run(Conn& c) {
  if (!c.rcv.attached() || c.close_requested) {
    if (c.rcv.attached()) c.rcv.consume(c.rcv.size());  // late input after we closed
    return;
  }
  if (c.state != State::Established && c.state != State::CloseWait) return;
  bool done = false;
  switch (c.svc) {
    case ServiceKind::Echo:
      done = run_echo(c);
      break;
    case ServiceKind::Discard:
      done = run_discard(c);
      break;
    case ServiceKind::Http:
      done = run_http(c, c.http_size);
      break;
    case ServiceKind::Client:
      done = client_run(c);
      break;
  }
  if (done) app_close(c);
  if (c.ooo.empty()) c.rcv.rewind_if_empty();
  // Reading opened the window: tell the peer when it grew by enough.
  const Seq edge = c.rcv_nxt + c.rcv.space();
  if (edge >= c.rcv_adv + std::min<uint32_t>(c.rcv.capacity() / 2, 2u * c.mss)) c.ack_now = true;
}

void Engine::service_close(Conn& c, CloseReason why) {
  if (c.svc == ServiceKind::Client) return client_finish(c, why);
  c.app = ServiceState{};
}

void Engine::app_close(Conn& c) {
  c.close_requested = true;
  c.want_writable = false;
}

}  // namespace pmx::tcp
