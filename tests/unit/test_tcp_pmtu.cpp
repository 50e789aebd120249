// Path MTU discovery (RFC 1191, validated as RFC 5927 4.1 says), packet in,
// packet out: Engine::frag_needed() is what the worker calls for an ICMP
// fragmentation needed that quotes one of our segments.
#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

class Pmtu : public TcpTest {
 protected:
  // An http connection sending a 100,000-byte body: full-sized segments
  // from L(1) are in flight, none acknowledged.
  std::vector<Got> big_response() {
    established(kHttp);
    send({.seq = R(1), .ack = L(1), .data = "GET /bytes/100000 HTTP/1.1\r\n\r\n"});
    std::vector<Got> g = take();
    EXPECT_GE(g.size(), 2u);
    for (const Got& s : g) EXPECT_LE(s.data.size(), 1460u);
    EXPECT_EQ(g[0].data.size(), 1460u);
    return g;
  }
  void frag(uint32_t seq, uint16_t mtu, uint16_t quoted_len = 1500) {
    engine_->frag_needed(key(), seq, mtu, quoted_len, now_);
    drain();
  }
};

TEST_F(Pmtu, InFlightQuoteLowersTheMssAndResendsAtOnce) {
  const std::vector<Got> sent = big_response();
  const uint64_t cwnd = conn()->cc.cwnd;
  frag(L(1) + 1460, 1280);
  EXPECT_EQ(ctr(Ctr::tcp_pmtu_lowered), 1u);
  EXPECT_EQ(conn()->mss, 1240);
  EXPECT_GE(conn()->cc.cwnd, cwnd);  // not a congestion signal
  const std::vector<Got> again = take();
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again[0].seq, L(1));  // from SND.UNA
  for (const Got& s : again) EXPECT_LE(s.data.size(), 1240u);
  EXPECT_EQ(again[0].data, sent[0].data.substr(0, again[0].data.size()));
}

TEST_F(Pmtu, QuoteNotInFlightIsIgnored) {
  big_response();
  frag(L(1) - 5000, 1280);  // a forger guessing
  frag(L(1) + 1000000, 1280);
  EXPECT_EQ(ctr(Ctr::tcp_pmtu_not_in_flight), 2u);
  EXPECT_EQ(ctr(Ctr::tcp_pmtu_lowered), 0u);
  EXPECT_EQ(conn()->mss, 1460);
  expect_nothing();
}

TEST_F(Pmtu, UnknownNextHopMtuUsesThePlateauBelowTheQuotedLength) {
  big_response();
  frag(L(1), 0, 1500);
  EXPECT_EQ(conn()->mss, 1492 - 40);
}

TEST_F(Pmtu, FloorIs552) {
  big_response();
  frag(L(1), 300);
  EXPECT_EQ(conn()->mss, 512);
  take();
  frag(L(1), 400);  // not lower than what it has
  EXPECT_EQ(ctr(Ctr::tcp_pmtu_not_lower), 1u);
}

TEST_F(Pmtu, NoConnectionIsCounted) {
  frag(12345, 1280);
  EXPECT_EQ(ctr(Ctr::tcp_pmtu_no_conn), 1u);
}

}  // namespace
}  // namespace pmx::tcp::test
