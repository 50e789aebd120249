// The generator's connections (ServiceKind::Client), a service of the
// stream API (tcp/stream.hpp, docs/services.md) for active opens: once
// ESTABLISHED, each runs `reqs` requests one after the other, checks every
// response, records connect and request latencies, and closes with FIN or
// RST. Modes:
//   http: GET /bytes/<resp_size>, keep-alive; the status must be 200 and the
//         body exactly resp_size bytes (HttpRespParser frames it). With
//         post: POST / with a Content-Length body of req_size pattern bytes;
//         the status must be 200 (the body, of any length, is read), and
//         come after the whole request was queued.
//   echo: req_size bytes of the pattern 'a' + i % 26 (i counting over the
//         connection); the same bytes must come back, no more.
//   raw:  req_size bytes per request, nothing expected back.
//   stream: nothing sent; each request reads resp_size bytes of whatever
//         the server sends unasked (chargen-like downloads); the latency is
//         the time to read them.
// With think_ms, each request after the first waits that long after the
// previous response (a Timer event); a draining run ends such a connection
// during its pause, as one between requests.
// Each connection is finished exactly once (finish): completed, or failed
// with one reason, or stopped. The run (ClientConfig) and its results
// (ClientStats) come with every event: Stream::client(), client_ctx().
#include "client.hpp"

#include "service/http.hpp"
#include "service/http_resp.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace pmx::gen {

using stats::Ctr;
using tcp::CloseReason;
using tcp::Stream;
using tcp::StreamEvent;

namespace {
constexpr uint32_t kHeadRoom = 128;  // the longest request head we write

// One connection's state, in the stream API's per-connection slot
// (tcp/conn.hpp kServiceStateBytes): constructed at Connecting, so a
// Closed without Opened (refused, timed out) finds it too.
struct ClientState {
  service::HttpRespParser resp;  // http mode: the response being read
  uint64_t t_start = 0;          // us: the current request's start
  uint64_t tx_off = 0;           // echo/raw/http post: stream offset of the next request byte
  uint64_t rx_off = 0;           // echo: stream offset of the next byte expected back
  uint32_t reqs_done = 0;        // responses completed (raw: requests queued)
  uint32_t req_left = 0;         // bytes of the current request still to queue
  uint32_t resp_left = 0;        // echo: bytes of the current response still due
  bool in_request = false;       // a request is outstanding
  bool finished = false;         // counted as completed or failed (exactly once)
  bool opened = false;           // reached ESTABLISHED: a timeout is no longer a connect timeout
  bool ending = false;           // abort() or abandon() asked: nothing more to do
  bool thinking = false;         // between requests, waiting for think_ms (a Timer event)
};
static_assert(sizeof(ClientState) <= tcp::kServiceStateBytes);

// What every step works on: the connection and the run.
struct Ctx {
  Stream& s;
  ClientState& a;
  ClientConfig* cfg;  // null once the run is withdrawn
  ClientStats* st;
};

// The echo pattern, long enough that any 4096-byte run starts within it.
struct Pattern {
  std::array<uint8_t, 4096 + 26> b{};
  Pattern() {
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>('a' + i % 26);
  }
};
const Pattern kPattern;

// Body bytes of each http request.
uint32_t http_body(const ClientConfig& c) { return c.post ? c.req_size : 0; }

bool matches(const uint8_t* p, size_t n, uint64_t off) {
  while (n > 0) {
    const size_t k = std::min<size_t>(n, 4096);
    if (std::memcmp(p, kPattern.b.data() + off % 26, k) != 0) return false;
    p += k;
    n -= k;
    off += k;
  }
  return true;
}

// Counts k for the worker (its Counters) and for the connection's group.
void count(Ctx& x, Ctr k, uint64_t by = 1) {
  x.s.count(k, by);
  if (x.st) x.st->count(k, by);
}

// Ends the connection with RST (a failure, close rst) or silently (close
// abandon), once; never at Closed.
void end(Ctx& x, bool abandon) {
  if (x.a.ending) return;
  x.a.ending = true;
  if (abandon) return x.s.abandon();
  x.s.abort();
}

// Counts the connection's outcome, once. Normal means every request was
// answered (or the run is draining); anything else is an error of that kind,
// and the connection is then reset (unless it is already gone: at_close).
void finish(Ctx& x, CloseReason why, bool at_close = false) {
  ClientState& a = x.a;
  if (a.finished) return;
  a.finished = true;
  if (x.st && x.st->open) x.st->add_open(-1);
  const bool ok = why == CloseReason::Normal && x.cfg && !a.in_request &&
                  (a.reqs_done >= x.cfg->reqs || x.cfg->draining);
  if (ok) return count(x, Ctr::gen_completed);
  switch (why) {
    case CloseReason::Refused:
      count(x, Ctr::gen_err_refused);
      break;
    case CloseReason::Reset:
      count(x, Ctr::gen_err_reset);
      break;
    case CloseReason::Timeout:  // SYN_SENT's (RFC 9293 3.8.3 R2) or an established one's
      x.s.count(a.opened ? Ctr::gen_err_timeout : Ctr::gen_err_connect_timeout);
      break;
    case CloseReason::Local:
      count(x, Ctr::gen_stopped);
      break;
    case CloseReason::NoResources:
      count(x, Ctr::gen_err_no_resources);
      break;
    case CloseReason::Normal:  // closed before the work was done
    case CloseReason::BadResponse:
      count(x, Ctr::gen_err_bad_response);
      break;
  }
  if (!at_close) end(x, false);
}

// Queues what send space allows of the current request.
void queue(Ctx& x) {
  ClientState& a = x.a;
  ClientConfig& cfg = *x.cfg;
  if (!a.req_left) return;
  // A connection gives its buffers back between requests, and a response
  // read in place takes none: they are taken again here. None: the pool
  // ran dry since connect().
  if (!x.s.buffered() && !x.s.take_buffers()) return finish(x, CloseReason::NoResources);
  if (cfg.mode == ClientMode::Http && a.req_left > http_body(cfg)) {
    if (x.s.space() < kHeadRoom) return x.s.want_writable();
    if (cfg.head_len == 0) prepare_head(cfg);
    x.s.append(cfg.head, cfg.head_len);
    count(x, Ctr::gen_tx_bytes, cfg.head_len);
    a.req_left = http_body(cfg);
    if (!a.req_left) return;
  }
  const uint32_t n = std::min(a.req_left, x.s.space());
  const auto sp = x.s.reserve(n);
  service::fill_body(sp[0].data(), sp[0].size(), a.tx_off);
  service::fill_body(sp[1].data(), sp[1].size(), a.tx_off + sp[0].size());
  x.s.commit(n);
  a.tx_off += n;
  a.req_left -= n;
  count(x, Ctr::gen_tx_bytes, n);
  if (a.req_left > 0) x.s.want_writable();
}

void request(Ctx& x) {
  ClientState& a = x.a;
  a.in_request = true;
  a.t_start = x.s.now_us();
  a.resp.reset();
  // http: the head counts 1, then the body (post) its bytes
  const ClientMode m = x.cfg->mode;
  a.req_left = m == ClientMode::Http     ? 1 + http_body(*x.cfg)
               : m == ClientMode::Stream ? 0
                                         : x.cfg->req_size;
  a.resp_left = m == ClientMode::Echo     ? x.cfg->req_size
                : m == ClientMode::Stream ? x.cfg->resp_size
                                          : 0;
  count(x, Ctr::gen_requests);
}

// Reads what has arrived of the current response. True once it is complete;
// a bad one finishes the connection (and resets it).
bool read(Ctx& x) {
  ClientState& a = x.a;
  const ClientConfig& cfg = *x.cfg;
  const auto sp = x.s.peek(x.s.readable());
  if (cfg.mode == ClientMode::Http) {
    size_t used = a.resp.feed(sp[0].data(), sp[0].size());
    if (used == sp[0].size() && !a.resp.done()) used += a.resp.feed(sp[1].data(), sp[1].size());
    x.s.consume(static_cast<uint32_t>(used));
    count(x, Ctr::gen_rx_bytes, used);
    // A response before the whole request was queued (a POST's body) is
    // an early refusal, whatever its status.
    const bool bad_len = !cfg.post && a.resp.content_length() != cfg.resp_size;
    if (a.resp.bad() || (a.resp.done() && (a.resp.status() != 200 || bad_len || a.req_left)))
      return finish(x, CloseReason::BadResponse), false;
    return a.resp.done();
  }
  if (cfg.mode == ClientMode::Stream) {  // any bytes: the next resp_left of them
    const uint32_t n = std::min(x.s.readable(), a.resp_left);
    x.s.consume(n);
    count(x, Ctr::gen_rx_bytes, n);
    a.resp_left -= n;
    return a.resp_left == 0;
  }
  // echo: exactly the bytes sent, in order
  const uint32_t n = x.s.readable();
  if (n > a.resp_left || !matches(sp[0].data(), sp[0].size(), a.rx_off) ||
      !matches(sp[1].data(), sp[1].size(), a.rx_off + sp[0].size()))
    return finish(x, CloseReason::BadResponse), false;
  x.s.consume(n);
  count(x, Ctr::gen_rx_bytes, n);
  a.rx_off += n;
  a.resp_left -= n;
  return a.resp_left == 0;
}

void response_done(Ctx& x) {
  ClientState& a = x.a;
  a.in_request = false;
  ++a.reqs_done;
  if (x.cfg->mode != ClientMode::Raw) {
    count(x, Ctr::gen_responses);
    if (x.st) x.st->request_us.record(x.s.now_us() - a.t_start);
  }
}

void run(Ctx& x);

void opened(Ctx& x) {
  if (!x.cfg) return run(x);  // the run was withdrawn: stop now (no Data may follow)
  count(x, Ctr::gen_connects);
  x.a.opened = true;
  if (x.st) x.st->connect_us.record(x.s.now_us() - x.s.t_open());
  // reqs 0: the connection is only held open (until the run drains).
  if (x.cfg->draining || x.cfg->reqs == 0) return;
  request(x);
  queue(x);
}

// Data: bytes arrived, space freed, or the peer's FIN.
void run(Ctx& x) {
  ClientState& a = x.a;
  if (!x.cfg || a.finished) {
    x.s.consume(x.s.readable());
    if (!x.cfg && !a.finished) finish(x, CloseReason::Local);
    if (!a.ending) x.s.shutdown();
    return;
  }
  const ClientConfig& cfg = *x.cfg;
  for (;;) {
    queue(x);
    if (cfg.mode == ClientMode::Raw) {
      count(x, Ctr::gen_rx_bytes, x.s.readable());
      x.s.consume(x.s.readable());  // nothing is expected back: ignored
      if (!a.in_request || a.req_left) break;
    } else if (!a.in_request || !read(x)) {
      break;
    }
    response_done(x);
    if (a.reqs_done < cfg.reqs && !cfg.draining) {
      if (cfg.think_ms) {  // the next request after a pause (Timer: think_over)
        a.thinking = true;
        x.s.set_timer(x.s.now_us() + uint64_t{cfg.think_ms} * 1000);
        break;
      }
      request(x);
      continue;
    }
    break;
  }
  if (a.thinking && !x.s.peer_closed()) return;  // the peer may close while we think
  if (a.finished) return;                        // a bad response: reset
  if (cfg.reqs == 0 && !cfg.draining && !x.s.peer_closed()) return;  // held open
  const bool all_done = !a.in_request && (a.reqs_done >= cfg.reqs || cfg.draining);
  if (!all_done) {
    // The peer closed before the last response was complete.
    if (x.s.peer_closed()) finish(x, CloseReason::BadResponse);
    return;
  }
  finish(x, CloseReason::Normal);
  if (cfg.close_abandon || cfg.close_rst) return end(x, cfg.close_abandon);
  x.s.shutdown();
}

// Timer: a think time is over: the next request (or, draining, the end).
void think_over(Ctx& x) {
  ClientState& a = x.a;
  if (!a.thinking || a.finished || a.ending) return;
  a.thinking = false;
  if (!x.cfg || x.cfg->draining) return run(x);  // closes (withdrawn or all done)
  request(x);
  run(x);
}

// Idle: the run is draining (Engine::close_idle_clients): one between
// requests finishes now and closes with FIN.
void drain(Ctx& x) {
  if (x.a.finished || x.a.in_request) return;
  if (x.a.thinking) x.s.set_timer(0);
  finish(x, CloseReason::Normal);
  if (!x.a.ending) x.s.shutdown();
}
}  // namespace

void prepare_head(ClientConfig& c) {
  const int n =
      c.post ? std::snprintf(c.head, sizeof c.head,
                             "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %u\r\n\r\n", c.host,
                             c.req_size)
             : std::snprintf(c.head, sizeof c.head, "GET /bytes/%u HTTP/1.1\r\nHost: %s\r\n\r\n",
                             c.resp_size, c.host);
  // The longest: GET /bytes/4294967295 and a 41-character bracketed IPv6
  // address, 84 bytes; POST with that address and 16 MiB, 94.
  c.head_len = static_cast<uint8_t>(n > 0 && n < static_cast<int>(sizeof c.head) ? n : 0);
}

}  // namespace pmx::gen

namespace pmx::tcp {

void client_event(Stream& s, StreamEvent e) {
  auto* cfg = static_cast<gen::ClientConfig*>(s.client());
  auto* st = static_cast<gen::ClientStats*>(s.client_ctx());
  if (e == StreamEvent::Connecting) {
    s.make_state<gen::ClientState>();
    if (st) st->add_open(1);
    return;
  }
  gen::Ctx x{s, s.state<gen::ClientState>(), cfg, st};
  switch (e) {
    case StreamEvent::Connecting:
      return;
    case StreamEvent::Opened:
      return gen::opened(x);
    case StreamEvent::Data:
      return gen::run(x);
    case StreamEvent::Idle:
      return gen::drain(x);
    case StreamEvent::Timer:
      return gen::think_over(x);
    case StreamEvent::Closed:
      return gen::finish(x, s.reason(), true);
  }
}

}  // namespace pmx::tcp
