// Services through the stream API (lib/service): chargen (RFC 864), the
// new service written only against it, packet in / packet out.
#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

constexpr uint16_t kChargen = 19, kChargenSlow = 1919;

// RFC 864: line n is 72 characters from the 95 printable ones starting at
// character n, then CR LF.
std::string chargen_bytes(uint64_t off, size_t n) {
  std::string out;
  for (; out.size() < n; ++off) {
    const uint64_t line = off / 74, col = off % 74;
    out += col == 72 ? '\r' : col == 73 ? '\n' : static_cast<char>(32 + (line + col) % 95);
  }
  return out;
}

class Services : public TcpTest {
 protected:
  void SetUp() override {
    TcpTest::SetUp();
    ASSERT_GE(
        engine_->listen({.ip = {}, .port = kChargen, .service = {.kind = service::kind::Chargen}}),
        0);
    ASSERT_GE(engine_->listen({.ip = {},
                               .port = kChargenSlow,
                               .service = {.kind = service::kind::Chargen, .arg = 7400}}),
              0);
  }
  // Handshake; returns what chargen sent with the completing ACK's answer.
  std::vector<Got> open(uint16_t port, uint16_t wnd = 65535) {
    syn(port, {.mss = 1460}, wnd);
    send({.seq = R(1), .ack = L(1), .wnd = wnd});
    return take();
  }
  // The bytes of segments, in order from L(1 + from).
  static std::string text(const std::vector<Got>& g, uint32_t& next) {
    std::string s;
    for (const Got& x : g) {
      EXPECT_EQ(x.seq, next);
      s += std::string(x.data.begin(), x.data.end());
      next += static_cast<uint32_t>(x.data.size());
    }
    return s;
  }
};

TEST_F(Services, ChargenSpeaksFirstWithTheRfc864Pattern) {
  const std::vector<Got> g = open(kChargen);
  ASSERT_FALSE(g.empty());
  uint32_t next = L(1);
  const std::string got = text(g, next);
  EXPECT_EQ(got.size(), 14600u);  // the initial window (RFC 6928), 10 x 1460
  EXPECT_EQ(got.substr(0, 74), chargen_bytes(0, 74));
  EXPECT_EQ(got.substr(0, 10), " !\"#$%&'()");
  EXPECT_EQ(got.substr(74, 3), "!\"#");  // the next line starts one further
  EXPECT_EQ(got, chargen_bytes(0, got.size()));
  // The peer's ACK opens the window: more of the same stream.
  send({.seq = R(1), .ack = next});
  const std::string more = text(take(), next);
  ASSERT_FALSE(more.empty());
  EXPECT_EQ(more, chargen_bytes(got.size(), more.size()));
}

TEST_F(Services, ChargenDiscardsInputAndClosesAfterThePeersFin) {
  std::vector<Got> g = open(kChargen, 4000);
  uint32_t next = L(1);
  uint64_t total = text(g, next).size();
  const std::string junk = "ignored\r\n";
  const uint32_t peer_fin = R(1) + static_cast<uint32_t>(junk.size());
  send({.seq = R(1), .ack = next, .flags = flag::ACK | flag::FIN, .wnd = 4000, .data = junk});
  // What was queued before the FIN still goes (RFC 9293 CLOSE), then ours.
  bool fin = false;
  for (int i = 0; i < 100 && !fin; ++i) {
    g = take();
    const std::string t = text(g, next);
    EXPECT_EQ(t, chargen_bytes(total, t.size()));
    total += t.size();
    for (const Got& x : g) {
      EXPECT_EQ(x.ack, peer_fin + 1);
      fin = fin || (x.flags & flag::FIN);
    }
    send({.seq = peer_fin + 1, .ack = next + (fin ? 1u : 0u), .wnd = 4000});
  }
  EXPECT_TRUE(fin);
  EXPECT_LE(total, 4000u + 65536u);  // no more than the send buffer held
  EXPECT_EQ(state(), State::Closed);
}

// rate=7400 B/s: a 370-byte bucket (50 ms), refilled as the clock runs; the
// window never limits here, the rate does.
TEST_F(Services, ChargenRateCapsTheStream) {
  std::vector<Got> g = open(kChargenSlow);
  uint32_t next = L(1);
  uint64_t total = text(g, next).size();
  EXPECT_LE(total, 370u);
  for (int ms = 0; ms < 1000; ++ms) {
    advance(1);
    g = take();
    const std::string t = text(g, next);
    EXPECT_EQ(t, chargen_bytes(total, t.size()));
    total += t.size();
    if (!g.empty()) send({.seq = R(1), .ack = next});
    take();
  }
  EXPECT_GE(total, 7000u);
  EXPECT_LE(total, 7400u + 370u + 74u);
}

// The same rate while the peer ACKs only every 100 ms: bytes in flight must
// not hold the rate's timer back (it once waited a whole second whenever
// anything was unacknowledged).
TEST_F(Services, ChargenRateHoldsWithDataInFlight) {
  std::vector<Got> g = open(kChargenSlow);
  uint32_t next = L(1);
  uint64_t total = text(g, next).size();
  for (int ms = 1; ms <= 1000; ++ms) {
    advance(1);
    const std::string t = text(take(), next);
    EXPECT_EQ(t, chargen_bytes(total, t.size()));
    total += t.size();
    if (ms % 100 == 0) send({.seq = R(1), .ack = next});
    take();
  }
  EXPECT_GE(total, 7000u);
  EXPECT_LE(total, 7400u + 370u + 74u);
}

}  // namespace
}  // namespace pmx::tcp::test
