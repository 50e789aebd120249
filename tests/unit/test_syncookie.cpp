// SYN cookies (RFC 4987): the encoding (syncookie.hpp) and the engine's
// stateless handshake (cookie.cpp), packet in, packet out.
#include "tcp/syncookie.hpp"

#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

constexpr std::array<uint8_t, 16> kKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr uint64_t kNow = 1000 * cookie::kPeriodUs + 5'000'000;

flow::FlowKey some_key(uint16_t port = 40000) {
  return flow::FlowKey{kLocalIp, kPeerIp, rte_cpu_to_be_16(80), rte_cpu_to_be_16(port), 0, 0};
}

TEST(Cookie, RoundTripEveryMssIndex) {
  for (uint8_t mi = 0; mi < cookie::kMss.size(); ++mi) {
    const uint32_t c = cookie::make(kKey, some_key(), 12345, kNow, mi);
    const auto got = cookie::check(kKey, some_key(), 12346, c + 1, kNow);
    ASSERT_TRUE(got.has_value()) << int(mi);
    EXPECT_EQ(*got, mi);
  }
}

TEST(Cookie, MssIndexIsTheLargestEntryNotAboveTheOffer) {
  EXPECT_EQ(cookie::mss_index(0, 1460), 0);  // absent: 536
  EXPECT_EQ(cookie::mss_index(536, 1460), 0);
  EXPECT_EQ(cookie::mss_index(1299, 1460), 0);
  EXPECT_EQ(cookie::mss_index(1300, 1460), 1);
  EXPECT_EQ(cookie::mss_index(1440, 1460), 2);
  EXPECT_EQ(cookie::mss_index(1460, 1460), 3);
  EXPECT_EQ(cookie::mss_index(65535, 1460), 3);
  EXPECT_EQ(cookie::mss_index(65535, 1440), 2);  // capped by ours
  EXPECT_EQ(cookie::mss_index(100, 1460), 0);    // below the table: its smallest
}

TEST(Cookie, ValidForTwoPeriodsOnly) {
  const uint32_t c = cookie::make(kKey, some_key(), 7, kNow, 3);
  EXPECT_TRUE(cookie::check(kKey, some_key(), 8, c + 1, kNow + cookie::kPeriodUs).has_value());
  EXPECT_FALSE(cookie::check(kKey, some_key(), 8, c + 1, kNow + 2 * cookie::kPeriodUs).has_value());
  // Not valid before it was made either (a period ahead is never tried).
  EXPECT_FALSE(cookie::check(kKey, some_key(), 8, c + 1, kNow - cookie::kPeriodUs).has_value());
}

TEST(Cookie, WrongKeyTupleOrIsnFails) {
  const uint32_t c = cookie::make(kKey, some_key(), 7, kNow, 1);
  std::array<uint8_t, 16> other = kKey;
  other[0] ^= 1;
  EXPECT_FALSE(cookie::check(other, some_key(), 8, c + 1, kNow).has_value());
  EXPECT_FALSE(cookie::check(kKey, some_key(40001), 8, c + 1, kNow).has_value());
  EXPECT_FALSE(cookie::check(kKey, some_key(), 9, c + 1, kNow).has_value());
  EXPECT_FALSE(cookie::check(kKey, some_key(), 8, c + 5, kNow).has_value());
}

TEST(Cookie, TimestampCarriesWindowShiftAndSack) {
  for (uint8_t ws : {uint8_t{0}, uint8_t{7}, uint8_t{14}, cookie::kNoWscale})
    for (bool sack : {false, true}) {
      const uint32_t now_ts = 0x12345678;
      const uint32_t v = cookie::ts_encode(now_ts, {.wscale = ws, .sack_ok = sack});
      EXPECT_LE(v, now_ts);  // never ahead of the clock
      EXPECT_GT(v, now_ts - 64);
      const auto o = cookie::ts_decode(v);
      EXPECT_EQ(o.wscale, ws);
      EXPECT_EQ(o.sack_ok, sack);
    }
}

// --- the engine's stateless handshake

class Cookies : public TcpTest {
 protected:
  void with(SynCookies mode, uint32_t max_flows = 64) {
    EngineConfig c = small_config();
    c.syncookies = mode;
    c.max_flows = max_flows;
    c.cookie_key = kKey;
    start(c);
  }
  // A SYN answered with a cookie: checks the SYN-ACK and that nothing was
  // kept, learns our ISS from it.
  Got cookie_syn(uint16_t port, TcpOpts opt) {
    port_ = port;
    const uint64_t sent = ctr(Ctr::tcp_syncookies_sent);
    const size_t used = engine_->conns_in_use();
    send({.seq = R(0), .flags = flag::SYN, .opt = opt});
    const Got g = take_one();
    EXPECT_EQ(flag_str(g.flags), "S.");
    EXPECT_EQ(g.ack, R(1));
    EXPECT_EQ(ctr(Ctr::tcp_syncookies_sent), sent + 1);
    EXPECT_EQ(engine_->conns_in_use(), used);  // stateless
    iss_ = g.seq;
    return g;
  }
};

TEST_F(Cookies, AlwaysModeHandshakeThenEcho) {
  with(SynCookies::Always);
  const Got sa = cookie_syn(kEcho, {.mss = 1460});
  // No window scale or SACK: without timestamps there is no room to remember them.
  expect_opts(sa, {HasMss(1460), NoTs(), NoWscale(), NoSackOk()});
  send({.seq = R(1), .ack = L(1), .data = "hello"});
  expect({{.seq = L(1), .ack = R(6), .flags = flag::ACK | flag::PSH, .data = "hello"}});
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(ctr(Ctr::tcp_syncookies_valid), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_syncookie_conns), 1u);
  EXPECT_EQ(conn()->mss, 1460);
}

// Over IPv6 the cookie covers the whole IPv6 4-tuple and the MSS table's
// entry that fits our IPv6 MSS (1440).
TEST_F(Cookies, Ipv6HandshakeThenEcho) {
  with(SynCookies::Always);
  use_v6();
  const Got sa = cookie_syn(kEcho, {.mss = 1440});
  expect_opts(sa, {HasMss(1440), NoTs()});
  send({.seq = R(1), .ack = L(1), .data = "six"});
  expect({{.seq = L(1), .ack = R(4), .flags = flag::ACK | flag::PSH, .data = "six"}});
  EXPECT_TRUE(conn()->key.is_v6());
  EXPECT_EQ(conn()->mss, 1440);
  EXPECT_EQ(ctr(Ctr::tcp_syncookies_valid), 1u);
}

TEST(Cookie, Ipv6AddressesAreCovered) {
  flow::FlowKey a = tcp::make_key(*net::parse_ipv6("2001:2::1"), *net::parse_ipv6("2001:2::2"),
                                  rte_cpu_to_be_16(80), rte_cpu_to_be_16(40000), 0);
  flow::FlowKey b = a;
  b.remote6[8] ^= 1;  // beyond the first 16 bytes of the key
  const uint32_t c = cookie::make(kKey, a, 12345, kNow, 2);
  EXPECT_TRUE(cookie::check(kKey, a, 12346, c + 1, kNow).has_value());
  EXPECT_FALSE(cookie::check(kKey, b, 12346, c + 1, kNow).has_value());
}

TEST_F(Cookies, TimestampsRestoreWindowScaleAndSack) {
  with(SynCookies::Always);
  const Got sa =
      cookie_syn(kEcho, {.mss = 1440, .wscale = 9, .sack_ok = true, .ts = true, .ts_val = 777});
  ASSERT_TRUE(sa.opt.ts);
  ASSERT_TRUE(sa.opt.wscale.has_value());
  expect_opts(sa, {HasTsEcr(777), HasSackOk()});
  send({.seq = R(1), .ack = L(1), .opt = {.ts = true, .ts_val = 778, .ts_ecr = sa.opt.ts_val}});
  ASSERT_EQ(state(), State::Established);
  const Conn* c = conn();
  EXPECT_EQ(c->mss, 1440);
  EXPECT_TRUE(c->ws_ok);
  EXPECT_EQ(c->snd_wscale, 9);
  EXPECT_EQ(c->rcv_wscale, *sa.opt.wscale);
  EXPECT_TRUE(c->sack_ok);
  EXPECT_TRUE(c->ts_ok);
  EXPECT_EQ(c->ts_recent, 778u);
}

TEST_F(Cookies, ForgedAckIsCountedAndReset) {
  with(SynCookies::Always);
  cookie_syn(kEcho, {.mss = 1460});
  send_drop({.seq = R(1), .ack = L(1) + 4}, Ctr::tcp_syncookies_invalid);
  expect({{.seq = L(1) + 4, .ack = 0, .flags = flag::RST}});
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(engine_->conns_in_use(), 0u);
}

TEST_F(Cookies, ExpiredCookieIsInvalid) {
  with(SynCookies::Always);
  rport_ = 40001;
  cookie_syn(kEcho, {.mss = 1460});
  const uint32_t old_iss = iss_;
  advance(cookie::kPeriodUs / 1000);
  rport_ = 40002;
  cookie_syn(kEcho, {.mss = 1460});  // a recent cookie: the check is made
  advance(cookie::kPeriodUs / 1000 + 1);
  rport_ = 40001;
  iss_ = old_iss;
  send_drop({.seq = R(1), .ack = L(1)}, Ctr::tcp_syncookies_invalid);
  EXPECT_EQ(flag_str(take_one().flags), "R");
  EXPECT_EQ(engine_->conns_in_use(), 0u);
}

// Auto: a full backlog turns the listener to cookies instead of refusing.
TEST_F(Cookies, AutoModeAnswersWhenTheBacklogIsFull) {
  with(SynCookies::Auto);
  ASSERT_GE(engine_->listen({.ip = {}, .port = 99, .service = {}, .backlog = 1}), 0);
  syn(99);  // the backlog's one slot
  EXPECT_EQ(ctr(Ctr::tcp_syncookies_sent), 0u);
  rport_ = 40001;
  cookie_syn(99, {.mss = 1460});
  EXPECT_EQ(ctr(Ctr::tcp_syn_backlog_full), 0u);
  send({.seq = R(1), .ack = L(1)});
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(ctr(Ctr::tcp_syncookie_conns), 1u);
}

// Auto: so does a connection pool with less than 1/16 free.
TEST_F(Cookies, AutoModeAnswersWhenThePoolIsNearlyFull) {
  with(SynCookies::Auto, 16);
  for (uint16_t i = 0; i < 15; ++i) {
    rport_ = static_cast<uint16_t>(40000 + i);
    syn(kEcho);
  }
  rport_ = 41000;
  cookie_syn(kEcho, {.mss = 1460});
  send({.seq = R(1), .ack = L(1)});
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(engine_->conns_in_use(), 16u);
}

// No cookie sent lately: an ACK to a listener is answered as before.
TEST_F(Cookies, WithoutRecentCookiesAnAckIsTheUsualReset) {
  with(SynCookies::Auto);
  port_ = kEcho;
  send_drop({.seq = R(1), .ack = 5}, Ctr::tcp_listen_ack);
  expect({{.seq = 5, .ack = 0, .flags = flag::RST}});
  EXPECT_EQ(ctr(Ctr::tcp_syncookies_invalid), 0u);
}

}  // namespace
}  // namespace pmx::tcp::test
