// The built-in services, run on the connection's own core when data, send
// space or the peer's FIN arrive. A closed set dispatched by a switch: no
// virtual call per segment. Each service reads from c.rcv, writes to c.snd
// and calls app_close() once it has queued its last byte.
#include "engine.hpp"

#include <algorithm>

namespace pmx::tcp {

using stats::Ctr;

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

void append(Conn& c, const char* p, size_t n) {
  c.snd.append(reinterpret_cast<const uint8_t*>(p), static_cast<uint32_t>(n));
}

// The counter of a refused request, if it has one.
void count_reject(stats::Counters& ctr, service::HttpReject why) {
  using R = service::HttpReject;
  switch (why) {
    case R::kNone:
      return;
    case R::kBadContentLength:
      return ctr.inc(Ctr::http_bad_content_length);
    case R::kBodyTooLarge:
      return ctr.inc(Ctr::http_body_too_large);
    case R::kAmbiguousFraming:
      return ctr.inc(Ctr::http_ambiguous_framing);
    case R::kBadTransferCoding:
      return ctr.inc(Ctr::http_bad_transfer_coding);
    case R::kBadChunk:
      return ctr.inc(Ctr::http_bad_chunk);
  }
}

// Queues the answer to the request the parser has finished (or refused).
void http_answer(Conn& c, stats::Counters& ctr) {
  ServiceState& a = c.app;
  const service::HttpRequest r = a.http.req();
  if (a.http.bad()) count_reject(ctr, r.why);
  char head[service::kHttpMaxHead];
  append(c, head, service::write_head(head, sizeof head, r));
  a.body_left = r.head ? 0 : r.body_len;
  if (r.upload) {
    char text[service::kHttpMaxUploadText];
    append(c, text, service::upload_text(text, sizeof text, r.received));
    a.body_left = 0;
  }
  a.body_off = 0;
  a.responding = true;
  a.close_after = r.close;
  a.http.reset();
}

// HTTP/1.1 with keep-alive and pipelining: one request at a time is parsed
// from c.rcv, its body (if any) read and thrown away; the next is read only
// when this one's response is queued, so a slow reader closes our receive
// window instead of growing a queue.
bool run_http(Conn& c, uint32_t default_size, stats::Counters& ctr) {
  // The most one pass queues before the pattern body: 100 Continue, the
  // head, an upload's text.
  constexpr uint32_t kHeadRoom =
      service::kHttpContinue.size() + service::kHttpMaxHead + service::kHttpMaxUploadText;
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
    // RFC 9110 §10.1.1: the client may wait for this before sending the body.
    if (a.http.take_continue())
      append(c, service::kHttpContinue.data(), service::kHttpContinue.size());
    if (!a.http.done() && !a.http.bad()) return c.peer_fin;  // all consumed: wait for the rest
    http_answer(c, ctr);
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
    return queue_release(c);
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
      done = run_http(c, c.http_size, ctr_);
      break;
    case ServiceKind::Client:
      done = client_run(c);
      break;
  }
  if (done) app_close(c);
  if (c.ooo.empty()) c.rcv.rewind_if_empty();
  service_deadline(c);
  queue_release(c);
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
  c.t_svc = 0;
}

// The service timer (docs/tcp.md, "Memory and idle peers"). For http, a
// request head that has begun must be complete within the listener's
// header_timeout (then 408, RFC 9110 15.5.9, and close, as nginx's
// client_header_timeout); a connection of any server service with nothing
// to do for idle_timeout is closed with a FIN (nginx's keepalive_timeout).
// The generator's connections have none: its runs time themselves.
void Engine::service_deadline(Conn& c) {
  if (c.svc == ServiceKind::Client || c.close_requested) {
    c.t_svc = 0;
    return;
  }
  if (c.svc == ServiceKind::Http && c.head_to_s && c.app.http.in_head()) {
    // Set when the head begins and not moved by later bytes: a client that
    // trickles a byte now and then (slowloris) still runs out of time.
    if (!c.svc_in_head) c.t_svc = clock_ + uint64_t{c.head_to_s} * 1000000;
    c.svc_in_head = true;
    return;
  }
  c.svc_in_head = false;
  c.t_svc = c.idle_to_s ? clock_ + uint64_t{c.idle_to_s} * 1000000 : 0;
}

void Engine::service_timeout(Conn& c, uint64_t now) {
  c.t_svc = 0;
  if (c.close_requested) return;
  if (c.snd.size() > 0 || c.app.responding) {
    // Still delivering (a slow reader is the peer's window's business and
    // the retransmission timer's): not idle, look again a period later.
    c.t_svc = now + uint64_t{c.svc_in_head ? c.head_to_s : c.idle_to_s} * 1000000;
    return;
  }
  if (c.svc_in_head) {
    ctr_.inc(Ctr::http_header_timeouts);
    if (!ensure_mem(c)) return abort(c, true, CloseReason::Timeout);
    service::HttpRequest r{};
    r.status = 408;
    r.close = true;
    char head[service::kHttpMaxHead];
    append(c, head, service::write_head(head, sizeof head, r));
  } else {
    ctr_.inc(c.svc == ServiceKind::Http ? Ctr::http_idle_timeouts : Ctr::tcp_idle_timeouts);
  }
  app_close(c);
  output(c, now);
}

}  // namespace pmx::tcp
