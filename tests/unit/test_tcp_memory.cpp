// Memory an idle or slow peer cannot pin (issue 11): buffers go back to the
// pool when a connection drains, and the service timers (http request-head
// and keep-alive idle, echo/discard idle) close what waits too long.
#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

constexpr uint16_t kHttpTimed = 8080, kEchoTimed = 7007;

class Memory : public TcpTest {
 protected:
  void SetUp() override {
    TcpTest::SetUp();
    ASSERT_GE(engine_->listen({.ip = {},
                               .port = kHttpTimed,
                               .service = {.kind = service::kind::Http,
                                           .arg = 64,
                                           .timeout_s = 2,
                                           .idle_timeout_s = 5}}),
              0);
    ASSERT_GE(engine_->listen({.ip = {},
                               .port = kEchoTimed,
                               .service = {.kind = service::kind::Echo, .idle_timeout_s = 3}}),
              0);
  }
  // A GET / on the current http connection from R(from): returns the
  // response (head and 64-byte body), unacknowledged.
  std::string get(uint32_t from, uint32_t ours) {
    send({.seq = R(from), .ack = L(ours), .data = std::string(kGet)});
    const Got g = take_one();
    EXPECT_EQ(g.seq, L(ours));
    EXPECT_EQ(g.data.substr(0, 15), "HTTP/1.1 200 OK");
    return g.data;
  }
  static constexpr std::string_view kGet = "GET / HTTP/1.1\r\n\r\n";
  static constexpr uint32_t kGetLen = kGet.size();
};

// Keep-alive: once the response is acknowledged nothing is unsent,
// unacknowledged or unread, and the connection holds no buffer; the next
// request takes memory again and is answered the same.
TEST_F(Memory, DrainedKeepAliveConnectionHoldsNoBuffer) {
  established(kHttp);
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  const std::string r1 = get(1, 1);
  EXPECT_EQ(engine_->bufs_in_use(), 2u);  // the response is not acknowledged yet
  const uint32_t n = static_cast<uint32_t>(r1.size());
  send({.seq = R(1 + kGetLen), .ack = L(1 + n)});
  expect_nothing();
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_buffers_released), 1u);
  EXPECT_EQ(get(1 + kGetLen, 1 + n), r1);
  send({.seq = R(1 + 2 * kGetLen), .ack = L(1 + 2 * n)});
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_buffers_released), 2u);
  EXPECT_EQ(state(), State::Established);
}

// Text that reaches an empty receive buffer is read in place: discard
// consumes it where it lies, so the connection never takes a buffer (no
// pool get and put per segment), while RCV.NXT, the byte count and the ACK
// policy are those of stored text.
TEST_F(Memory, DiscardReadsInPlaceAndTakesNoBuffer) {
  established(kDiscard);
  const uint64_t rx0 = ctr(Ctr::tcp_rx_bytes);
  send({.seq = R(1), .ack = L(1), .data = pattern(100)});
  expect_nothing();  // the first segment's ACK is delayed
  send({.seq = R(101), .ack = L(1), .data = pattern(100)});
  expect({{.seq = L(1), .ack = R(201)}});  // every second segment
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_buffers_released), 0u);  // none was ever taken
  EXPECT_EQ(ctr(Ctr::tcp_rx_bytes) - rx0, 200u);
  EXPECT_EQ(conn()->rcv_nxt, Seq(R(201)));
}

// A service that answers what it read in place takes the buffers then
// (Stream::take_buffers): echo answers in the same call.
TEST_F(Memory, EchoAnswersTextReadInPlaceAtOnce) {
  established(kEcho);
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::PSH, .data = "ping"});
  expect({{.seq = L(1), .ack = R(5), .flags = flag::ACK | flag::PSH, .data = "ping"}});
  EXPECT_EQ(engine_->bufs_in_use(), 2u);  // the echo is not acknowledged yet
  EXPECT_EQ(conn()->rcv.size(), 0u);
}

// In one burst: connection A's second response is queued, then acknowledged
// (A drains), then connection B's first text needs memory. A's buffers must
// not go to B before the burst's output is copied out, or A's queued segment
// would carry B's bytes.
TEST_F(Memory, ReleaseWaitsForTheBurstsOutput) {
  established(kHttp);
  const uint32_t a_iss = iss_;
  const std::string r1 = get(1, 1);
  const uint32_t n = static_cast<uint32_t>(r1.size());
  send({.seq = R(1 + kGetLen), .ack = L(1 + n)});
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  const uint16_t a = rport_;
  rport_ = kPeerPort + 1;
  established(kEcho);
  const uint32_t b_iss = iss_;
  const std::string text(64, 'x');
  send_burst({
      {.seq = R(1 + kGetLen),
       .ack = a_iss + 1 + n,
       .data = std::string(kGet),
       .port = kHttp,
       .rport = a},
      {.seq = R(1 + 2 * kGetLen), .ack = a_iss + 1 + 2 * n, .port = kHttp, .rport = a},
      {.seq = R(1), .ack = b_iss + 1, .data = text, .port = kEcho, .rport = kPeerPort + 1},
  });
  int seen = 0;
  for (const Got& g : take()) {
    if (g.data.empty()) continue;
    ++seen;
    if (g.port == kHttp)
      EXPECT_EQ(g.data, r1);
    else
      EXPECT_EQ(g.data, text);
  }
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(engine_->bufs_in_use(), 2u);  // B's; A gave its back after the output
}

// A request head begun and not finished within header_timeout is answered
// 408 and the connection closed; later bytes do not move the deadline
// (slowloris).
TEST_F(Memory, IncompleteHeadIsAnswered408AtHeaderTimeout) {
  established(kHttpTimed);
  send({.seq = R(1), .ack = L(1), .data = "GET / HT"});
  advance(1500);
  send({.seq = R(9), .ack = L(1), .data = "TP/1.1\r\nX-A: b"});
  advance(400);
  for (const Got& g : take()) EXPECT_TRUE(g.data.empty()) << describe(g);  // ACKs only
  advance(200);  // 2.1 s after the head began
  const std::vector<Got> g = take();
  ASSERT_FALSE(g.empty());
  EXPECT_EQ(g[0].data.substr(0, 28), "HTTP/1.1 408 Request Timeout");
  EXPECT_TRUE(g.back().has(flag::FIN));
  EXPECT_EQ(ctr(Ctr::http_header_timeouts), 1u);
  EXPECT_EQ(state(), State::FinWait1);
}

// Waiting for a request on a kept-alive connection for idle_timeout: FIN,
// and nothing held meanwhile.
TEST_F(Memory, KeepAliveIdleTimeoutCloses) {
  established(kHttpTimed);
  const std::string r = get(1, 1);
  const uint32_t n = static_cast<uint32_t>(r.size());
  send({.seq = R(1 + kGetLen), .ack = L(1 + n)});
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  advance(4900);
  expect_nothing();
  advance(200);
  expect({{.seq = L(1 + n), .ack = R(1 + kGetLen), .flags = flag::FIN | flag::ACK}});
  EXPECT_EQ(ctr(Ctr::http_idle_timeouts), 1u);
  EXPECT_EQ(ctr(Ctr::http_header_timeouts), 0u);
}

// Echo: a byte received moves the idle deadline; silence for idle_timeout
// closes.
TEST_F(Memory, EchoIdleTimeoutCloses) {
  established(kEchoTimed);
  advance(2000);
  send({.seq = R(1), .ack = L(1), .data = "hi"});
  expect({{.seq = L(1), .ack = R(3), .flags = flag::ACK | flag::PSH, .data = "hi"}});
  send({.seq = R(3), .ack = L(3)});
  advance(2900);
  expect_nothing();
  advance(200);
  expect({{.seq = L(3), .ack = R(3), .flags = flag::FIN | flag::ACK}});
  EXPECT_EQ(ctr(Ctr::tcp_idle_timeouts), 1u);
}

// A peer that never sends a byte is idle from the handshake on, and its
// pure ACKs (a window update here) do not move the deadline: only bytes
// received do (docs/tcp.md, "Service timers").
TEST_F(Memory, EchoSilentFromTheStartTimesOutDespitePureAcks) {
  established(kEchoTimed);
  advance(1500);
  send({.seq = R(1), .ack = L(1), .wnd = 1000});
  expect_nothing();
  advance(1400);
  expect_nothing();
  advance(200);
  expect({{.seq = L(1), .ack = R(1), .flags = flag::FIN | flag::ACK}});
  EXPECT_EQ(ctr(Ctr::tcp_idle_timeouts), 1u);
}

// Listeners without timeouts (the fixture's) keep an idle connection.
TEST_F(Memory, NoTimeoutWithoutTheListenerOption) {
  established(kHttp);
  advance(3600 * 1000);
  expect_nothing();
  EXPECT_EQ(state(), State::Established);
}

}  // namespace
}  // namespace pmx::tcp::test

namespace pmx::tcp::test {
namespace {

// A pool of 16 buffers: 8 connections holding 2 each empty it.
class Pressure : public TcpTest {
 protected:
  void SetUp() override {
    EngineConfig c = small_config();
    c.nbufs = 16;
    start(c);
  }
  // An echo connection from peer port p whose echo the peer never
  // acknowledges: it holds its two buffers.
  void stalled(uint16_t p) {
    rport_ = p;
    established(kEcho);
    send({.seq = R(1), .ack = L(1), .data = std::string(100, 'x')});
    take();
  }
};

// Stalled holders give way, oldest first, until 1/8 of the pool is free;
// the others keep their connections.
TEST_F(Pressure, StalledConnectionsAreResetOldestFirst) {
  for (uint16_t i = 0; i < 8; ++i) {
    stalled(static_cast<uint16_t>(kPeerPort + i));
    advance(100);
  }
  take();
  EXPECT_EQ(engine_->bufs_in_use(), 16u);
  advance(11000);  // every one stalled for over 10 s (retransmitting)
  take();
  advance(1);  // the pass ran after the output was copied: its RST goes now
  std::vector<Got> rsts;
  for (const Got& g : take())
    if (g.has(flag::RST)) rsts.push_back(g);
  ASSERT_EQ(rsts.size(), 1u);
  EXPECT_EQ(rsts[0].rport, kPeerPort);  // the oldest
  EXPECT_EQ(ctr(Ctr::tcp_pressure_aborts), 1u);
  EXPECT_EQ(engine_->bufs_in_use(), 14u);
  EXPECT_EQ(state(kEcho, kPeerPort), State::Closed);
  EXPECT_EQ(state(kEcho, kPeerPort + 1), State::Established);
}

// A connection holding only out-of-order text gives it up first (RFC 2018
// 8); then nothing else needs to go.
TEST_F(Pressure, OutOfOrderTextIsRenegedFirst) {
  rport_ = kPeerPort + 100;
  established(kEcho);
  const uint32_t a_iss = iss_;
  send({.seq = R(101), .ack = L(1), .data = std::string(10, 'y')});
  take();
  for (uint16_t i = 0; i < 7; ++i) stalled(static_cast<uint16_t>(kPeerPort + i));
  EXPECT_EQ(engine_->bufs_in_use(), 16u);
  advance(11000);
  EXPECT_EQ(ctr(Ctr::tcp_pressure_reneged), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_pressure_aborts), 0u);
  EXPECT_EQ(engine_->bufs_in_use(), 14u);
  EXPECT_EQ(state(kEcho, kPeerPort + 100), State::Established);
  // The sender still has the text: its retransmission after the hole is
  // filled is taken again.
  rport_ = kPeerPort + 100;
  send({.seq = R(1), .ack = a_iss + 1, .data = std::string(100, 'z')});
  EXPECT_EQ(conn()->rcv_nxt.v, R(101));
}

// Connections making progress are never reset, however full the pool.
TEST_F(Pressure, ActiveConnectionsAreKept) {
  for (uint16_t i = 0; i < 8; ++i) stalled(static_cast<uint16_t>(kPeerPort + i));
  for (int s = 0; s < 12; ++s) {
    for (uint16_t i = 0; i < 8; ++i) {  // each acknowledges a little more
      rport_ = static_cast<uint16_t>(kPeerPort + i);
      const Conn* c = conn();
      ASSERT_NE(c, nullptr);
      if (c->snd_una < c->snd_max) send_any({.seq = R(101), .ack = c->snd_una.v + 1});
    }
    advance(1000);
  }
  EXPECT_EQ(ctr(Ctr::tcp_pressure_aborts), 0u);
}

}  // namespace
}  // namespace pmx::tcp::test
