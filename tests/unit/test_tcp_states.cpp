// The per-lcore connection count by state (stats::Counters::in_state, the
// exporter's portmux_tcp_connections) follows every transition: one
// connection is counted in exactly its current state, and in none once
// CLOSED; and in its address family only, as are its opens (the exporter's
// `family` label).
#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

class States : public TcpTest {
 protected:
  // Exactly one connection, in state s; every other state empty.
  void expect_only(State s, std::source_location loc = std::source_location::current()) {
    SCOPED_TRACE(::testing::Message() << "from line " << loc.line());
    for (size_t i = 0; i < stats::Counters::kStates; ++i)
      EXPECT_EQ(ctr_.in_state(i), i == static_cast<size_t>(s) ? 1u : 0u)
          << "state "
          << (i <= static_cast<size_t>(State::TimeWait)
                  ? std::string(state_name(static_cast<State>(i)))
                  : std::to_string(i));
  }
  void expect_none() {
    for (size_t i = 0; i < stats::Counters::kStates; ++i) EXPECT_EQ(ctr_.in_state(i), 0u) << i;
  }
};

TEST_F(States, PassiveOpenAndClose) {
  expect_none();
  established();
  expect_only(State::Established);
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(1), .ack = R(2), .flags = flag::ACK | flag::FIN}});
  expect_only(State::LastAck);
  send({.seq = R(2), .ack = L(2)});
  expect_none();
  expect_clean();
}

TEST_F(States, ActiveCloseThroughTimeWait) {
  const uint32_t n = fin_wait_1();
  expect_only(State::FinWait1);
  send({.seq = peer_next_, .ack = L(2 + n)});
  expect_only(State::FinWait2);
  send({.seq = peer_next_, .ack = L(2 + n), .flags = flag::ACK | flag::FIN});
  expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
  expect_only(State::TimeWait);
  advance(2000);
  expect_none();
  expect_clean();
}

TEST_F(States, ResetInEstablished) {
  established();
  send({.seq = R(1), .flags = flag::RST});
  expect_none();
  expect_clean();
}

TEST_F(States, CountedInItsFamilyOnly) {
  use_v6();
  established();
  const auto est = static_cast<size_t>(State::Established);
  EXPECT_EQ(ctr_.in_state(est, true), 1u);
  EXPECT_EQ(ctr_.in_state(est, false), 0u);
  EXPECT_EQ(ctr_.get(stats::Ctr::tcp_passive_opens, true), 1u);
  EXPECT_EQ(ctr_.get(stats::Ctr::tcp_passive_opens, false), 0u);
  EXPECT_EQ(ctr_.get(stats::Ctr::tcp_passive_opens), 1u);
  send({.seq = R(1), .flags = flag::RST});
  expect_none();
  expect_clean();
}

TEST_F(States, Ipv4OpensAreNotIpv6s) {
  established();
  EXPECT_EQ(ctr_.in_state(static_cast<size_t>(State::Established), false), 1u);
  EXPECT_EQ(ctr_.in_state(static_cast<size_t>(State::Established), true), 0u);
  EXPECT_EQ(ctr_.get(stats::Ctr::tcp_passive_opens, false), 1u);
  EXPECT_EQ(ctr_.get(stats::Ctr::tcp_passive_opens, true), 0u);
}

}  // namespace
}  // namespace pmx::tcp::test
