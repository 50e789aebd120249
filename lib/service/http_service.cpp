// The http service (HTTP/1.1 with keep-alive and pipelining), written
// against the stream API: one request at a time is parsed (http.cpp), its
// body read and thrown away, and its answer queued (a pattern body for GET,
// the byte count for POST/PUT); the next request is read only when this
// one's answer is queued, so a slow reader closes our receive window
// instead of growing a queue. Timeouts (docs/tcp.md, "Service timers"): a
// request head that has begun must be complete within the listener's
// header_timeout (then 408, RFC 9110 15.5.9, and close, as nginx's
// client_header_timeout); the engine's idle timeout closes a connection
// that waits for a request longer than idle_timeout.
#include "http.hpp"
#include "services.hpp"

#include <algorithm>

namespace pmx::service {
namespace {

using stats::Ctr;

struct HttpState {
  HttpParser http;           // the request being parsed
  uint64_t body_left = 0;    // response body bytes still to queue
  uint64_t body_off = 0;     // offset of the next body byte
  bool responding = false;   // a response is being queued
  bool close_after = false;  // close once this response is queued
};

void put(tcp::Stream& s, const char* p, size_t n) { s.append(p, static_cast<uint32_t>(n)); }

// Queues as much of the pending response body as fits.
void body(tcp::Stream& s, HttpState& a) {
  const auto n = static_cast<uint32_t>(std::min<uint64_t>(a.body_left, s.space()));
  const auto sp = s.reserve(n);
  fill_body(sp[0].data(), sp[0].size(), a.body_off);
  fill_body(sp[1].data(), sp[1].size(), a.body_off + sp[0].size());
  s.commit(n);
  a.body_off += n;
  a.body_left -= n;
}

// The counter of a refused request, if it has one.
void count_reject(tcp::Stream& s, HttpReject why) {
  switch (why) {
    case HttpReject::kNone:
      return;
    case HttpReject::kBadContentLength:
      return s.count(Ctr::http_bad_content_length);
    case HttpReject::kBodyTooLarge:
      return s.count(Ctr::http_body_too_large);
    case HttpReject::kAmbiguousFraming:
      return s.count(Ctr::http_ambiguous_framing);
    case HttpReject::kBadTransferCoding:
      return s.count(Ctr::http_bad_transfer_coding);
    case HttpReject::kBadChunk:
      return s.count(Ctr::http_bad_chunk);
  }
}

// Queues the answer to the request the parser has finished (or refused).
void answer(tcp::Stream& s, HttpState& a) {
  const HttpRequest r = a.http.req();
  s.count(Ctr::http_requests);
  if (a.http.bad()) count_reject(s, r.why);
  char head[kHttpMaxHead];
  put(s, head, write_head(head, sizeof head, r));
  a.body_left = r.head ? 0 : r.body_len;
  if (r.upload) {
    char text[kHttpMaxUploadText];
    put(s, text, upload_text(text, sizeof text, r.received));
    a.body_left = 0;
  }
  a.body_off = 0;
  a.responding = true;
  a.close_after = r.close;
  a.http.reset();
}

// Everything one Data event can do; true when the connection should close.
bool run(tcp::Stream& s, HttpState& a) {
  // The most one pass queues before the pattern body: 100 Continue, the
  // head, an upload's text.
  constexpr uint32_t kHeadRoom = kHttpContinue.size() + kHttpMaxHead + kHttpMaxUploadText;
  for (;;) {
    if (a.responding) {
      body(s, a);
      if (a.body_left) {
        s.want_writable();
        return false;
      }
      a.responding = false;
      if (a.close_after) return true;
    }
    if (s.readable() == 0) return s.peer_closed();
    if (s.space() < kHeadRoom) {
      // A request read in place comes without buffers: take them now.
      if (!s.buffered() && s.take_buffers()) continue;
      s.want_writable();
      return false;
    }
    const auto sp = s.peek(s.readable());
    size_t used = a.http.feed(sp[0].data(), sp[0].size(), s.arg());
    if (used == sp[0].size() && !a.http.done())
      used += a.http.feed(sp[1].data(), sp[1].size(), s.arg());
    s.consume(static_cast<uint32_t>(used));
    // RFC 9110 §10.1.1: the client may wait for this before sending the body.
    if (a.http.take_continue()) put(s, kHttpContinue.data(), kHttpContinue.size());
    if (!a.http.done() && !a.http.bad()) return s.peer_closed();  // all consumed: wait for the rest
    answer(s, a);
  }
}

// The head deadline is set when a head begins and not moved by later
// bytes: a client that trickles a byte now and then (slowloris) still runs
// out of time.
void head_deadline(tcp::Stream& s, const HttpState& a) {
  if (s.timeout_s() && a.http.in_head()) {
    if (!s.timer()) s.set_timer(s.now_us() + uint64_t{s.timeout_s()} * 1000000);
  } else {
    s.set_timer(0);
  }
}

void header_timeout(tcp::Stream& s) {
  s.count(Ctr::http_header_timeouts);
  HttpRequest r{};
  r.status = 408;
  r.close = true;
  char head[kHttpMaxHead];
  put(s, head, write_head(head, sizeof head, r));
  s.shutdown();
}

}  // namespace

void http_event(tcp::Stream& s, tcp::StreamEvent e) {
  using E = tcp::StreamEvent;
  switch (e) {
    case E::Connecting:  // active opens only
      return;
    case E::Opened:
      s.make_state<HttpState>();
      return;
    case E::Data: {
      auto& a = s.state<HttpState>();
      if (run(s, a)) return s.shutdown();
      return head_deadline(s, a);
    }
    case E::Timer: {
      // Still delivering an earlier response (a slow reader is the peer's
      // window's business): not a stalled head yet, look again later.
      const auto& a = s.state<HttpState>();
      if (a.responding || s.unsent() > 0)
        return s.set_timer(s.now_us() + uint64_t{s.timeout_s()} * 1000000);
      return header_timeout(s);
    }
    case E::Idle:
      s.count(Ctr::http_idle_timeouts);
      return s.shutdown();
    case E::Closed:
      return;
  }
}

}  // namespace pmx::service
