// The generator's connections (ServiceKind::Client): once ESTABLISHED, each
// runs `reqs` requests one after the other, checks every response, records
// connect and request latencies, and closes with FIN or RST. Modes:
//   http: GET /bytes/<resp_size>, keep-alive; the status must be 200 and the
//         body exactly resp_size bytes (HttpRespParser frames it). With
//         post: POST / with a Content-Length body of req_size pattern bytes;
//         the status must be 200 (the body, of any length, is read), and
//         come after the whole request was queued.
//   echo: req_size bytes of the pattern 'a' + i % 26 (i counting over the
//         connection); the same bytes must come back, no more.
//   raw:  req_size bytes per request, nothing expected back.
// Each connection is finished exactly once (client_finish): completed, or
// failed with one reason, or stopped.
#include "engine.hpp"
#include "service/http.hpp"

#include <array>
#include <cstdio>
#include <cstring>

namespace pmx::tcp {

using stats::Ctr;

namespace {
constexpr uint32_t kHeadRoom = 128;  // the longest request head we write

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
}  // namespace

void prepare_head(ClientConfig& c) {
  const int n =
      c.post ? std::snprintf(c.head, sizeof c.head,
                             "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %u\r\n\r\n", c.host,
                             c.req_size)
             : std::snprintf(c.head, sizeof c.head, "GET /bytes/%u HTTP/1.1\r\nHost: %s\r\n\r\n",
                             c.resp_size, c.host);
  // The longest: GET /bytes/4294967295 and a 15-character address, 58
  // bytes; POST with a 15-character address and 16 MiB, 68.
  c.head_len = static_cast<uint8_t>(n > 0 && n < static_cast<int>(sizeof c.head) ? n : 0);
}

void Engine::client_open(Conn& c) {
  if (!client_) return;  // the run was withdrawn: client_run closes it
  ctr_.inc(Ctr::gen_connects);
  cstats_->connect_us.record(clock_ - c.app.t_start);
  // reqs 0: the connection is only held open (until the run drains).
  if (!client_->draining && client_->reqs > 0) client_request(c);
}

void Engine::client_request(Conn& c) {
  ServiceState& a = c.app;
  if (!ensure_mem(c)) return client_finish(c, CloseReason::NoResources);
  a.in_request = true;
  a.t_start = clock_;
  a.resp.reset();
  // http: the head counts 1, then the body (post) its bytes
  a.req_left = client_->mode == ClientMode::Http ? 1 + http_body(*client_) : client_->req_size;
  a.resp_left = client_->mode == ClientMode::Echo ? client_->req_size : 0;
  ctr_.inc(Ctr::gen_requests);
  client_queue(c);
}

// Queues what send space allows of the current request.
void Engine::client_queue(Conn& c) {
  ServiceState& a = c.app;
  if (!a.req_left) return;
  if (client_->mode == ClientMode::Http && a.req_left > http_body(*client_)) {
    if (c.snd.space() < kHeadRoom) {
      c.want_writable = true;
      return;
    }
    if (client_->head_len == 0) prepare_head(*client_);
    c.snd.append(reinterpret_cast<const uint8_t*>(client_->head), client_->head_len);
    ctr_.inc(Ctr::gen_tx_bytes, client_->head_len);
    a.req_left = http_body(*client_);
    if (!a.req_left) return;
  }
  const uint32_t n = std::min(a.req_left, c.snd.space());
  const auto sp = c.snd.reserve(n);
  service::fill_body(sp[0].data(), sp[0].size(), a.tx_off);
  service::fill_body(sp[1].data(), sp[1].size(), a.tx_off + sp[0].size());
  c.snd.commit(n);
  a.tx_off += n;
  a.req_left -= n;
  ctr_.inc(Ctr::gen_tx_bytes, n);
  c.want_writable = a.req_left > 0;
}

// Reads what has arrived of the current response. True once it is complete;
// a bad one sets abort_pending.
bool Engine::client_read(Conn& c) {
  ServiceState& a = c.app;
  const auto sp = c.rcv.peek(0, c.rcv.size());
  if (client_->mode == ClientMode::Http) {
    size_t used = a.resp.feed(sp[0].data(), sp[0].size());
    if (used == sp[0].size() && !a.resp.done()) used += a.resp.feed(sp[1].data(), sp[1].size());
    c.rcv.consume(static_cast<uint32_t>(used));
    ctr_.inc(Ctr::gen_rx_bytes, used);
    // A response before the whole request was queued (a POST's body) is
    // an early refusal, whatever its status.
    const bool bad_len = !client_->post && a.resp.content_length() != client_->resp_size;
    if (a.resp.bad() || (a.resp.done() && (a.resp.status() != 200 || bad_len || a.req_left)))
      return client_finish(c, CloseReason::BadResponse), false;
    return a.resp.done();
  }
  // echo: exactly the bytes sent, in order
  const uint32_t n = c.rcv.size();
  if (n > a.resp_left || !matches(sp[0].data(), sp[0].size(), a.rx_off) ||
      !matches(sp[1].data(), sp[1].size(), a.rx_off + sp[0].size()))
    return client_finish(c, CloseReason::BadResponse), false;
  c.rcv.consume(n);
  ctr_.inc(Ctr::gen_rx_bytes, n);
  a.rx_off += n;
  a.resp_left -= n;
  return a.resp_left == 0;
}

void Engine::client_response_done(Conn& c) {
  ServiceState& a = c.app;
  a.in_request = false;
  ++a.reqs_done;
  if (client_->mode != ClientMode::Raw) {
    ctr_.inc(Ctr::gen_responses);
    cstats_->request_us.record(clock_ - a.t_start);
  }
}

// Returns true when the connection should close with FIN now.
bool Engine::client_run(Conn& c) {
  ServiceState& a = c.app;
  if (!client_ || a.finished) {
    c.rcv.consume(c.rcv.size());
    if (!client_ && !a.finished) client_finish(c, CloseReason::Local);
    return !a.abort_pending;
  }
  for (;;) {
    client_queue(c);
    if (client_->mode == ClientMode::Raw) {
      ctr_.inc(Ctr::gen_rx_bytes, c.rcv.size());
      c.rcv.consume(c.rcv.size());  // nothing is expected back: ignored
      if (!a.in_request || a.req_left) break;
    } else if (!a.in_request || !client_read(c)) {
      break;
    }
    client_response_done(c);
    if (a.reqs_done < client_->reqs && !client_->draining) {
      client_request(c);
      continue;
    }
    break;
  }
  if (a.finished) return false;  // a bad response: abort_pending is set
  if (client_->reqs == 0 && !client_->draining && !c.peer_fin) return false;  // held open
  const bool all_done = !a.in_request && (a.reqs_done >= client_->reqs || client_->draining);
  if (!all_done) {
    // The peer closed before the last response was complete.
    if (c.peer_fin) return client_finish(c, CloseReason::BadResponse), false;
    return false;
  }
  client_finish(c, CloseReason::Normal);
  if (client_->close_rst || client_->close_abandon) {
    a.abort_pending = true;
    a.abort_why = static_cast<uint8_t>(CloseReason::Normal);
    return false;
  }
  return true;
}

// Counts the connection's outcome, once. Normal means every request was
// answered (or the run is draining); anything else is an error of that kind.
// A failed connection is then reset.
void Engine::client_finish(Conn& c, CloseReason why) {
  ServiceState& a = c.app;
  if (a.finished) return;
  a.finished = true;
  if (cstats_ && cstats_->open) --cstats_->open;
  const bool ok = why == CloseReason::Normal && client_ && !a.in_request &&
                  (a.reqs_done >= client_->reqs || client_->draining);
  if (ok) return ctr_.inc(Ctr::gen_completed);
  switch (why) {
    case CloseReason::Refused:
      ctr_.inc(Ctr::gen_err_refused);
      break;
    case CloseReason::Reset:
      ctr_.inc(Ctr::gen_err_reset);
      break;
    case CloseReason::Timeout:
      ctr_.inc(Ctr::gen_err_timeout);
      break;
    case CloseReason::Local:
      ctr_.inc(Ctr::gen_stopped);
      break;
    case CloseReason::NoResources:
      ctr_.inc(Ctr::gen_err_no_resources);
      break;
    case CloseReason::Normal:  // closed before the work was done
    case CloseReason::BadResponse:
      ctr_.inc(Ctr::gen_err_bad_response);
      break;
  }
  if (c.state != State::Closed && c.state != State::TimeWait && !a.abort_pending) {
    a.abort_pending = true;
    a.abort_why = static_cast<uint8_t>(why);
  }
}

}  // namespace pmx::tcp
