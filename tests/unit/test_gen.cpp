// The generator's per-core loop (lib/gen/generator.cpp) driving a real TCP
// engine, packet in / packet out on a manual microsecond clock (no EAL:
// OpenFlowTable stands in for rte_hash, and rte_get_timer_cycles() is an
// inline TSC read). A scripted server peer answers the engine's segments;
// the tests check what the generator opens, when, and how runs end. Also
// the run report's JSON (lib/gen/report.cpp).
#include "flow/open_flow_table.hpp"
#include "gen/generator.hpp"
#include "gen/report.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"
#include "tcp/segment.hpp"

#include <gtest/gtest.h>
#include <rte_byteorder.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pmx::gen {
namespace {

using stats::Ctr;
using tcp::flag::ACK;
using tcp::flag::FIN;
using tcp::flag::RST;
using tcp::flag::SYN;

constexpr uint32_t kSrc = 0xc6120001;  // 198.18.0.1, host order
constexpr uint32_t kDst = 0xc6120002;  // 198.18.0.2
constexpr uint16_t kDstPort = 80;
constexpr uint16_t kFirstPort = 50000;
constexpr uint32_t kRespSize = 64;
constexpr uint64_t kMs = 1000, kSec = 1000000;

// The server side: answers what the engine sends, per its policy.
struct Peer {
  enum class OnSyn { Accept, Refuse, Ignore };
  OnSyn on_syn = OnSyn::Accept;
  bool respond = true;  // false: requests are acknowledged, never answered

  struct Conn {
    uint32_t next = 0;    // the peer's next sequence number
    uint32_t ours = 0;    // the engine's next sequence number (what the peer acks)
    unsigned owed = 0;    // requests received, not answered
    flow::FlowKey key{};  // the connection's key (from its SYN)
  };
  std::map<uint16_t, Conn> conns;        // by our (the engine's) local port, host order
  unsigned syns = 0;                     // SYNs seen (retransmissions included)
  std::map<uint16_t, uint32_t> syn_seq;  // the last SYN's sequence number, by port
};

class GenTest : public ::testing::Test {
 protected:
  static tcp::EngineConfig config() {
    tcp::EngineConfig c;
    c.max_flows = 256;
    c.buf_size = 4096;
    c.msl_ms = 1000;  // TIME_WAIT 2 s; ports-exhausted wait 3 s
    for (uint8_t i = 0; i < 16; ++i) c.isn_key[i] = static_cast<uint8_t>(0x20 + i);
    return c;
  }

  void SetUp() override {
    flows_ = std::make_unique<flow::OpenFlowTable>(config().max_flows);
    engine_ = std::make_unique<tcp::Engine>(config(), *flows_, ctr_);
    gen_ = std::make_unique<Generator>(*engine_, ctr_, 0, 1);
    plan_.spec.dst_ip = kDst;
    plan_.spec.dst_port = kDstPort;
    plan_.spec.resp_size = kRespSize;
    plan_.rss.mode = port::RssInfo::Mode::Single;
    plan_.rss.nb_queues = 1;
    plan_.src_lo = plan_.src_hi = kSrc;
    pool(8);
  }

  void TearDown() override {
    // While the generator (whose stats and config the engine points at)
    // still lives.
    engine_->abort_all();
    engine_->clear_output();
    EXPECT_EQ(engine_->conns_in_use(), 0u);
    EXPECT_EQ(engine_->bufs_in_use(), 0u);
  }

  // Worker 0's pool: n tuples kSrc:kFirstPort.. .
  void pool(unsigned n) {
    plan_.pools.assign(1, {});
    for (unsigned i = 0; i < n; ++i)
      plan_.pools[0].push_back({kSrc, static_cast<uint16_t>(kFirstPort + i)});
  }

  void start() {
    gen_->start(&plan_, now_);
    EXPECT_EQ(gen_->state(), RunState::Running);
  }

  // One turn of the worker loop at the current time: the generator's tick,
  // the engine's timers, then the peer answers until nothing more comes.
  // Returns the SYNs opened by this turn's tick (new connections).
  unsigned turn() {
    const uint64_t before = ctr_.get(Ctr::gen_attempts);
    gen_->tick(now_);
    engine_->poll(now_);
    answer();
    return static_cast<unsigned>(ctr_.get(Ctr::gen_attempts) - before);
  }
  // Advances the clock by step, one turn each, for `total` microseconds.
  // Returns the connections opened.
  uint64_t run_for(uint64_t total, uint64_t step, unsigned* max_per_turn = nullptr) {
    uint64_t opened = 0;
    for (uint64_t t = 0; t < total; t += step) {
      now_ += step;
      const unsigned n = turn();
      opened += n;
      if (max_per_turn && n > *max_per_turn) *max_per_turn = n;
    }
    return opened;
  }

  // The peer reacts to every segment the engine sent, and the engine to the
  // peer's answers, until the engine is quiet.
  void answer() {
    for (int round = 0; round < 1000; ++round) {
      std::vector<tcp::OutSeg> out(engine_->output().begin(), engine_->output().end());
      std::vector<std::string> payload;
      for (const tcp::OutSeg& o : out) {
        std::string d(reinterpret_cast<const char*>(o.p1), o.n1);
        d.append(reinterpret_cast<const char*>(o.p2), o.n2);
        payload.push_back(std::move(d));
      }
      engine_->clear_output();
      if (out.empty()) return;
      for (size_t i = 0; i < out.size(); ++i) react(out[i], payload[i]);
    }
    ADD_FAILURE() << "the engine and the peer never went quiet";
  }

  void react(const tcp::OutSeg& o, const std::string& data) {
    const uint16_t port = rte_be_to_cpu_16(o.key.local_port);
    EXPECT_EQ(o.key.is_v6(), plan_.spec.v6);
    if (o.key.is_v6()) {
      const net::Ipv6Addr l{o.key.local6};
      EXPECT_NE(std::find(plan_.src6.begin(), plan_.src6.end(), l), plan_.src6.end());
      EXPECT_EQ(net::Ipv6Addr{o.key.remote6}, plan_.spec.dst6);
      EXPECT_EQ(o.key.local_ip | o.key.remote_ip, 0u);
    } else {
      EXPECT_GE(rte_be_to_cpu_32(o.key.local_ip), plan_.src_lo);
      EXPECT_LE(rte_be_to_cpu_32(o.key.local_ip), plan_.src_hi);
      EXPECT_EQ(rte_be_to_cpu_32(o.key.remote_ip), kDst);
    }
    EXPECT_EQ(rte_be_to_cpu_16(o.key.remote_port), kDstPort);
    if (o.flags & RST) {
      peer_.conns.erase(port);
      return;
    }
    if ((o.flags & SYN) && !(o.flags & ACK)) {
      ++peer_.syns;
      peer_.syn_seq[port] = o.seq;
      if (peer_.on_syn == Peer::OnSyn::Ignore) return;
      if (peer_.on_syn == Peer::OnSyn::Refuse) return send(o.key, 0, o.seq + 1, RST | ACK);
      Peer::Conn& c = peer_.conns[port];
      c = {.next = 7000000u + port * 100000u, .ours = o.seq + 1, .owed = 0, .key = o.key};
      send(o.key, c.next++, c.ours, SYN | ACK, {}, true);
      return;
    }
    auto it = peer_.conns.find(port);
    if (it == peer_.conns.end()) return;
    Peer::Conn& c = it->second;
    if (!data.empty()) {
      c.ours = o.seq + static_cast<uint32_t>(data.size());
      ++c.owed;
      if (peer_.respond)
        serve(port);
      else
        send(o.key, c.next, c.ours, ACK);
    }
    if (o.flags & FIN) {
      c.ours = o.seq + static_cast<uint32_t>(data.size()) + 1;
      send(o.key, c.next++, c.ours, FIN | ACK);
      peer_.conns.erase(port);
    }
  }

  // The peer answers the requests it owes on our connection from port.
  void serve(uint16_t port) {
    Peer::Conn& c = peer_.conns.at(port);
    for (; c.owed > 0; --c.owed) {
      const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kRespSize) +
                            "\r\n\r\n" + std::string(kRespSize, 'x');
      send(c.key, c.next, c.ours, ACK, r);
      c.next += static_cast<uint32_t>(r.size());
    }
  }
  // ... on every connection, and lets the engine answer.
  void serve_all() {
    std::vector<uint16_t> ports;
    for (const auto& [p, c] : peer_.conns) ports.push_back(p);
    for (const uint16_t p : ports)
      if (peer_.conns.count(p)) serve(p);
    answer();
  }

  // The run's key from our port: kSrc, or an IPv6 run's first address.
  flow::FlowKey key(uint16_t port) const {
    if (plan_.spec.v6)
      return tcp::make_key(net::IpAddr::of(plan_.src6.at(0)), net::IpAddr::of(plan_.spec.dst6),
                           rte_cpu_to_be_16(port), rte_cpu_to_be_16(kDstPort), 0);
    return {rte_cpu_to_be_32(kSrc),
            rte_cpu_to_be_32(kDst),
            rte_cpu_to_be_16(port),
            rte_cpu_to_be_16(kDstPort),
            0,
            0};
  }
  void send(const flow::FlowKey& k, uint32_t seq, uint32_t ack, uint8_t flags,
            const std::string& data = {}, bool syn_opts = false) {
    tcp::Seg s;
    s.key = k;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.wnd = 65535;
    if (syn_opts) s.opt.mss = 1460;
    s.data = reinterpret_cast<const uint8_t*>(data.data());
    s.len = static_cast<uint32_t>(data.size());
    engine_->input(s, now_);
  }

  uint64_t ctr(Ctr c) const { return ctr_.get(c); }
  uint64_t errors() const {
    return ctr(Ctr::gen_err_refused) + ctr(Ctr::gen_err_reset) + ctr(Ctr::gen_err_timeout) +
           ctr(Ctr::gen_err_connect_timeout) + ctr(Ctr::gen_err_bad_response) +
           ctr(Ctr::gen_err_ports_exhausted) + ctr(Ctr::gen_err_no_resources);
  }
  uint32_t open() const { return gen_->stats().open; }

  std::unique_ptr<flow::OpenFlowTable> flows_;
  stats::Counters ctr_;
  std::unique_ptr<tcp::Engine> engine_;
  std::unique_ptr<Generator> gen_;
  RunPlan plan_;
  Peer peer_;
  uint64_t now_ = 1000 * kSec;
};

// (a) Count mode, unlimited rate: the first connection goes alone until it
// has connected; then the rest follow at once; the run drains and ends when
// all have finished.
TEST_F(GenTest, CountModeFirstConnectionGoesAloneThenTheRestFollow) {
  plan_.spec.conns = 5;
  peer_.on_syn = Peer::OnSyn::Ignore;
  start();
  EXPECT_EQ(turn(), 1u);
  EXPECT_EQ(peer_.syns, 1u);
  EXPECT_EQ(open(), 1u);
  // Unanswered, it holds the others back.
  for (int i = 0; i < 5; ++i) {
    now_ += 100 * kMs;
    EXPECT_EQ(turn(), 0u);
  }
  EXPECT_EQ(gen_->state(), RunState::Running);
  // Its SYN (retransmitted after 1 s) is answered: connected, request served.
  peer_.on_syn = Peer::OnSyn::Accept;
  now_ += 600 * kMs;
  EXPECT_EQ(turn(), 0u);
  EXPECT_EQ(peer_.syns, 2u);
  EXPECT_EQ(ctr(Ctr::gen_connects), 1u);
  EXPECT_EQ(ctr(Ctr::gen_completed), 1u);
  // The other four go together on the next turn, answered but held.
  peer_.respond = false;
  now_ += kMs;
  EXPECT_EQ(turn(), 4u);
  EXPECT_EQ(open(), 4u);
  EXPECT_EQ(ctr(Ctr::gen_connects), 5u);
  EXPECT_EQ(gen_->state(), RunState::Running);
  now_ += kMs;
  EXPECT_EQ(turn(), 0u);
  EXPECT_EQ(gen_->state(), RunState::Draining);
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Draining);
  serve_all();
  EXPECT_EQ(open(), 0u);
  now_ += kMs;
  EXPECT_EQ(turn(), 0u);
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_attempts), 5u);
  EXPECT_EQ(ctr(Ctr::gen_completed), 5u);
  EXPECT_EQ(ctr(Ctr::gen_responses), 5u);
  EXPECT_EQ(errors(), 0u);
  EXPECT_NE(gen_->end_tsc(), 0u);
  // Done stays done.
  now_ += kSec;
  EXPECT_EQ(turn(), 0u);
  EXPECT_EQ(gen_->state(), RunState::Done);
}

// (a) The same when the first connection fails (refused): the failure too
// lets the others go.
TEST_F(GenTest, CountModeRefusedConnectionsFinishTheRun) {
  plan_.spec.conns = 5;
  peer_.on_syn = Peer::OnSyn::Refuse;
  start();
  EXPECT_EQ(turn(), 1u);
  EXPECT_EQ(ctr(Ctr::gen_err_refused), 1u);
  EXPECT_EQ(open(), 0u);
  now_ += kMs;
  EXPECT_EQ(turn(), 4u);
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Done);  // Draining with nothing open: done at once
  EXPECT_EQ(ctr(Ctr::gen_err_refused), 5u);
  EXPECT_EQ(ctr(Ctr::gen_connects), 0u);
}

// (b) Pacing: 1000/s over one second of 1 ms turns opens ~1000 connections,
// one per turn.
TEST_F(GenTest, RateIsPacedPerMillisecond) {
  plan_.spec.conns = 1000000;
  plan_.spec.rate = 1000;
  pool(64);                            // a turn's SYNs all hold their tuples until the peer answers
  peer_.on_syn = Peer::OnSyn::Refuse;  // each finishes at once
  start();
  EXPECT_EQ(turn(), 0u);  // no credit yet
  unsigned max_per_turn = 0;
  const uint64_t opened = run_for(kSec, kMs, &max_per_turn);
  EXPECT_NEAR(static_cast<double>(opened), 1000.0, 2.0);
  EXPECT_EQ(max_per_turn, 1u);
  EXPECT_EQ(ctr(Ctr::gen_attempts), opened);
  EXPECT_EQ(gen_->state(), RunState::Running);
  // A pause banks at most 10 ms of credit: no burst of a whole second.
  now_ += kSec;
  EXPECT_EQ(turn(), 10u);
  // And the pace goes on.
  EXPECT_NEAR(static_cast<double>(run_for(500 * kMs, kMs)), 500.0, 2.0);
}

// (b) While the first connection waits, no credit is banked: once it has
// failed the others go at the rate, not in a burst.
TEST_F(GenTest, NoCreditIsBankedWhileTheFirstConnectionWaits) {
  plan_.spec.conns = 1000000;
  plan_.spec.rate = 1000;
  pool(64);
  peer_.on_syn = Peer::OnSyn::Ignore;
  start();
  EXPECT_EQ(run_for(500 * kMs, kMs), 1u);
  // Refused late (the peer's RST for its SYN).
  send(key(kFirstPort), 0, peer_.syn_seq.at(kFirstPort) + 1, RST | ACK);
  answer();
  EXPECT_EQ(ctr(Ctr::gen_err_refused), 1u);
  peer_.on_syn = Peer::OnSyn::Refuse;
  now_ += kMs;
  EXPECT_EQ(turn(), 0u);
  unsigned max_per_turn = 0;
  EXPECT_NEAR(static_cast<double>(run_for(100 * kMs, kMs, &max_per_turn)), 100.0, 2.0);
  EXPECT_EQ(max_per_turn, 1u);
}

// (a) With several source addresses, the first connection from each goes
// alone (the server has to resolve each address once), then the rest.
TEST_F(GenTest, FirstConnectionFromEachSourceAddressGoesAlone) {
  plan_.spec.conns = 8;
  plan_.src_hi = plan_.src_lo + 2;
  plan_.pools.assign(1, {});
  for (unsigned i = 0; i < 8; ++i)
    plan_.pools[0].push_back({kSrc + i % 3, static_cast<uint16_t>(kFirstPort + i)});
  peer_.respond = false;  // connected and held
  start();
  // Each is answered within its turn; the next goes alone on the next turn.
  for (unsigned alone = 1; alone <= 3; ++alone) {
    EXPECT_EQ(turn(), 1u) << alone;
    EXPECT_EQ(ctr(Ctr::gen_connects), alone);
    now_ += kMs;
  }
  EXPECT_EQ(turn(), 5u);  // then the other five together
  EXPECT_EQ(open(), 8u);
  gen_->stop();
  turn();
}

// (b) A rate of n per second over 10 ms turns: n/100 per turn on average,
// coarser turns not losing credit.
TEST_F(GenTest, RateWithCoarseTurns) {
  plan_.spec.conns = 1000000;
  plan_.spec.rate = 1000;
  pool(64);  // a turn's SYNs all hold their tuples until the peer answers
  peer_.on_syn = Peer::OnSyn::Refuse;
  start();
  EXPECT_NEAR(static_cast<double>(run_for(2 * kSec, 10 * kMs)), 2000.0, 12.0);
}

// (b) Never more than kMaxOpensPerTick in one turn, unlimited or not.
TEST_F(GenTest, AtMost64OpensPerTurn) {
  pool(200);  // all of a turn's SYNs are out before the peer refuses them
  for (const uint32_t rate : {0u, 10000000u}) {
    SCOPED_TRACE(rate);
    plan_.spec.conns = 1000;
    plan_.spec.rate = rate;
    peer_.on_syn = Peer::OnSyn::Refuse;
    start();
    now_ += 10 * kMs;
    EXPECT_EQ(turn(), 1u);  // the first goes alone
    for (int i = 0; i < 5; ++i) {
      now_ += 10 * kMs;
      EXPECT_EQ(turn(), 64u);
    }
    gen_->stop();
    EXPECT_EQ(gen_->state(), RunState::Done);
  }
}

// (c) More connections wanted than tuples, the first ones held open: the
// generator waits (2 MSL + 1 s), counting the wait once, and only then
// counts ports exhausted.
TEST_F(GenTest, PoolExhaustionWaitsTwoMslThenFails) {
  pool(2);
  plan_.spec.conns = 4;
  peer_.respond = false;  // accepted, never answered
  start();
  EXPECT_EQ(turn(), 1u);
  now_ += kMs;
  EXPECT_EQ(turn(), 1u);  // the second tuple
  EXPECT_EQ(open(), 2u);
  now_ += kMs;
  EXPECT_EQ(turn(), 0u);  // both tuples in use: the third waits
  EXPECT_EQ(ctr(Ctr::gen_ports_busy), 1u);
  const uint64_t busy_at = now_;
  const uint64_t limit = 2 * config().msl_ms * kMs + kSec;  // 3 s
  while (now_ + 10 * kMs < busy_at + limit) {
    now_ += 10 * kMs;
    EXPECT_EQ(turn(), 0u);
    EXPECT_EQ(ctr(Ctr::gen_ports_busy), 1u);
    ASSERT_EQ(ctr(Ctr::gen_err_ports_exhausted), 0u) << (now_ - busy_at) / kMs << " ms waiting";
  }
  EXPECT_EQ(gen_->state(), RunState::Running);
  now_ = busy_at + limit;
  turn();
  EXPECT_EQ(ctr(Ctr::gen_err_ports_exhausted), 1u);
  now_ += kMs;
  turn();
  EXPECT_EQ(ctr(Ctr::gen_err_ports_exhausted), 2u);
  EXPECT_EQ(ctr(Ctr::gen_ports_busy), 1u);
  EXPECT_EQ(ctr(Ctr::gen_attempts), 2u);
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Draining);
  // The two held ones still finish normally.
  serve_all();
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_completed), 2u);
}

// (c) A tuple that comes back in time is used: no error.
TEST_F(GenTest, PoolBusyThenFreedIsNoError) {
  pool(2);
  plan_.spec.conns = 4;
  peer_.respond = false;
  start();
  turn();
  now_ += kMs;
  turn();
  now_ += kMs;
  EXPECT_EQ(turn(), 0u);
  EXPECT_EQ(ctr(Ctr::gen_ports_busy), 1u);
  // The two finish (closing with FIN): their tuples sit in TIME_WAIT for
  // 2 MSL = 2 s (no timestamps: no early reuse), within the 3 s wait.
  serve_all();
  EXPECT_EQ(open(), 0u);
  EXPECT_EQ(ctr(Ctr::gen_completed), 2u);
  now_ += kSec;
  EXPECT_EQ(turn(), 0u);
  // The tick runs before the engine's timers: the tuples are back one turn later.
  now_ += kSec + 10 * kMs;
  unsigned opened = turn();
  now_ += kMs;
  opened += turn();
  EXPECT_EQ(opened, 2u);
  EXPECT_EQ(ctr(Ctr::gen_err_ports_exhausted), 0u);
  EXPECT_EQ(ctr(Ctr::gen_ports_busy), 1u);
  serve_all();
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_completed), 4u);
  EXPECT_EQ(errors(), 0u);
}

// (d) Connections accepted and never answered: after kStallUs without any
// progress (the last was the last request queued) they are given up on as
// timeouts, and the run ends.
TEST_F(GenTest, StallWatchdogGivesUpAndTheRunEnds) {
  plan_.spec.conns = 3;
  peer_.respond = false;
  start();
  turn();
  now_ += kMs;
  EXPECT_EQ(turn(), 2u);
  EXPECT_EQ(open(), 3u);
  const uint64_t t0 = now_;  // the last requests were queued in this turn
  while (now_ + 100 * kMs < t0 + Generator::kStallUs) {
    now_ += 100 * kMs;
    turn();
    ASSERT_EQ(ctr(Ctr::gen_err_timeout), 0u) << (now_ - t0) / kMs << " ms";
  }
  EXPECT_EQ(gen_->state(), RunState::Draining);
  EXPECT_EQ(open(), 3u);
  // The generator sees a turn's progress at its next tick (here 100 ms on).
  now_ = t0 + Generator::kStallUs + 100 * kMs;
  turn();
  EXPECT_EQ(ctr(Ctr::gen_err_timeout), 3u);  // established: not connect timeouts
  EXPECT_EQ(ctr(Ctr::gen_err_connect_timeout), 0u);
  EXPECT_EQ(open(), 0u);
  EXPECT_EQ(engine_->conns_in_use(), 0u);
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_completed), 0u);
}

// (d) Progress resets the watchdog: one connection finishing every 20 s
// keeps a run going past kStallUs.
TEST_F(GenTest, StallWatchdogCountsFromTheLastProgress) {
  plan_.spec.conns = 3;
  peer_.respond = false;
  start();
  turn();
  now_ += kMs;
  turn();
  const uint64_t t0 = now_;
  now_ = t0 + 20 * kSec;
  turn();
  serve(kFirstPort);
  answer();
  EXPECT_EQ(ctr(Ctr::gen_completed), 1u);
  now_ += kMs;
  turn();
  now_ = t0 + Generator::kStallUs + kSec;  // 30 s after the start, 11 s after progress
  turn();
  EXPECT_EQ(ctr(Ctr::gen_err_timeout), 0u);
  EXPECT_EQ(open(), 2u);
  now_ = t0 + 20 * kSec + kMs + Generator::kStallUs;
  turn();
  EXPECT_EQ(ctr(Ctr::gen_err_timeout), 2u);
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Done);
}

// (d) A connection that keeps making progress is never taken for stalled,
// however long it lives without finishing (a long keep-alive run).
TEST_F(GenTest, StallWatchdogLeavesProgressingConnectionsAlone) {
  plan_.spec.conns = 1;
  plan_.spec.reqs = 1000000;
  peer_.respond = false;  // answered by hand below: one response per turn
  start();
  turn();
  for (uint64_t t = 0; t < 2 * Generator::kStallUs; t += 100 * kMs) {
    now_ += 100 * kMs;
    serve_all();
    turn();
  }
  EXPECT_EQ(ctr(Ctr::gen_err_timeout), 0u);
  EXPECT_EQ(open(), 1u);
  EXPECT_GE(ctr(Ctr::gen_responses), 599u);  // one per 100 ms turn for 60 s
}

// (d) SYNs never answered at all: the first connection holds the others
// back, and the watchdog still ends the run.
TEST_F(GenTest, UnansweredSynsDoNotHangTheRun) {
  plan_.spec.conns = 4;
  peer_.on_syn = Peer::OnSyn::Ignore;
  start();
  const uint64_t t0 = now_;
  unsigned opened = 0;
  while (gen_->state() != RunState::Done && now_ < t0 + 5 * Generator::kStallUs) {
    opened += turn();
    now_ += 100 * kMs;
  }
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(opened, 4u);
  EXPECT_EQ(ctr(Ctr::gen_err_connect_timeout), 4u);  // never answered
  EXPECT_EQ(ctr(Ctr::gen_err_timeout), 0u);
  EXPECT_EQ(ctr(Ctr::gen_connects), 0u);
}

// (e) Timed mode: conns are held at once, a finished one replaced, and the
// run drains at the deadline: the requests under way finish, nothing new.
TEST_F(GenTest, TimedModeHoldsConcurrencyAndDrainsAtTheDeadline) {
  plan_.spec.conns = 3;
  plan_.spec.duration_s = 1;
  plan_.spec.reqs = 1000;  // keep-alive: each connection would go on
  peer_.respond = false;
  start();
  const uint64_t deadline = now_ + kSec;
  EXPECT_EQ(turn(), 1u);
  now_ += kMs;
  EXPECT_EQ(turn(), 2u);
  for (int i = 0; i < 10; ++i) {
    now_ += 10 * kMs;
    EXPECT_EQ(turn(), 0u);
    EXPECT_EQ(open(), 3u);
  }
  // Reset by the server: replaced on the next turn.
  send(key(kFirstPort), peer_.conns.at(kFirstPort).next, 0, RST);
  peer_.conns.erase(kFirstPort);
  answer();
  EXPECT_EQ(ctr(Ctr::gen_err_reset), 1u);
  EXPECT_EQ(open(), 2u);
  now_ += kMs;
  EXPECT_EQ(turn(), 1u);
  EXPECT_EQ(open(), 3u);
  EXPECT_EQ(gen_->state(), RunState::Running);
  // Answered requests are followed by the next ones on the same connection.
  serve_all();
  EXPECT_EQ(ctr(Ctr::gen_responses), 3u);
  EXPECT_EQ(ctr(Ctr::gen_requests), 7u);  // 4 first + 3 next
  EXPECT_EQ(open(), 3u);
  while (now_ + 10 * kMs < deadline) {
    now_ += 10 * kMs;
    EXPECT_EQ(turn(), 0u);
    EXPECT_EQ(gen_->state(), RunState::Running);
  }
  now_ = deadline;
  EXPECT_EQ(turn(), 0u);
  EXPECT_EQ(gen_->state(), RunState::Draining);
  EXPECT_EQ(open(), 3u);
  // The requests under way are answered: each connection closes, completed.
  serve_all();
  EXPECT_EQ(open(), 0u);
  EXPECT_EQ(ctr(Ctr::gen_requests), 7u);
  now_ += kMs;
  EXPECT_EQ(turn(), 0u);
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_completed), 3u);
  EXPECT_EQ(ctr(Ctr::gen_attempts), 4u);
  EXPECT_EQ(ctr(Ctr::gen_stopped), 0u);
}

// (e) reqs 0: connections are held open with no request, past kStallUs
// (holding is the run, not a stall), and closed with FIN at the deadline,
// each counted completed.
TEST_F(GenTest, HeldConnectionsLastTheRunAndCloseAtTheDeadline) {
  plan_.spec.conns = 3;
  plan_.spec.reqs = 0;
  plan_.spec.duration_s = 60;
  start();
  const uint64_t deadline = now_ + 60 * kSec;
  EXPECT_EQ(turn(), 1u);
  now_ += kMs;
  EXPECT_EQ(turn(), 2u);
  while (now_ + kSec < deadline) {
    now_ += kSec;
    EXPECT_EQ(turn(), 0u);
  }
  EXPECT_EQ(open(), 3u);
  EXPECT_EQ(ctr(Ctr::gen_requests), 0u);
  EXPECT_EQ(ctr(Ctr::gen_err_timeout), 0u);
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  now_ = deadline;
  turn();  // drains: the FINs go out
  now_ += kMs;
  turn();
  EXPECT_EQ(open(), 0u);
  EXPECT_EQ(ctr(Ctr::gen_completed), 3u);
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(errors(), 0u);
}

// (e) Connections still busy kGraceUs after the deadline are stopped.
TEST_F(GenTest, TimedModeStopsWhatOutlivesTheGrace) {
  plan_.spec.conns = 2;
  plan_.spec.duration_s = 1;
  peer_.respond = false;
  start();
  const uint64_t deadline = now_ + kSec;
  turn();
  now_ += kMs;
  EXPECT_EQ(turn(), 1u);
  now_ = deadline;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Draining);
  now_ = deadline + Generator::kGraceUs - kMs;
  turn();
  EXPECT_EQ(open(), 2u);
  EXPECT_EQ(ctr(Ctr::gen_stopped), 0u);
  now_ = deadline + Generator::kGraceUs;
  turn();
  EXPECT_EQ(ctr(Ctr::gen_stopped), 2u);
  EXPECT_EQ(ctr(Ctr::gen_err_timeout), 0u);
  now_ += kMs;
  turn();
  EXPECT_EQ(gen_->state(), RunState::Done);
}

// stop(): the open connections are reset and counted stopped.
TEST_F(GenTest, StopEndsTheRun) {
  plan_.spec.conns = 10;
  pool(16);
  peer_.respond = false;
  start();
  turn();
  now_ += kMs;
  EXPECT_EQ(turn(), 9u);
  gen_->stop();
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_stopped), 10u);
  EXPECT_EQ(open(), 0u);
  now_ += kMs;
  EXPECT_EQ(turn(), 0u);
}

// A worker whose share of the connections is zero ends at once.
TEST_F(GenTest, EmptyShareIsDoneAtOnce) {
  plan_.spec.conns = 1;
  plan_.pools.resize(2);
  plan_.pools[1] = {{kSrc, 50001}};
  Generator second(*engine_, ctr_, 1, 2);
  second.start(&plan_, now_);
  second.tick(now_);
  second.tick(now_ + kMs);
  EXPECT_EQ(second.state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_attempts), 0u);
  engine_->set_client(nullptr, nullptr);
}

// (f) Generator::owner: the worker whose pool holds a tuple of the plan
// (the worker's handoff sends a reply that reached another worker there).
TEST_F(GenTest, OwnerTellsWhichWorkersPoolHoldsTheTuple) {
  plan_.rss.mode = port::RssInfo::Mode::QueuePair;
  plan_.rss.nb_queues = 2;
  plan_.src_lo = kSrc;
  plan_.src_hi = kSrc + 1;
  plan_.pools.assign(2, {});
  for (uint16_t p = 49152; p < 49160; ++p) plan_.pools[p % 2].push_back({kSrc, p});
  auto k = [](uint32_t ip, uint16_t port, uint16_t port_id = 0) {
    return flow::FlowKey{rte_cpu_to_be_32(ip),
                         rte_cpu_to_be_32(kDst),
                         rte_cpu_to_be_16(port),
                         rte_cpu_to_be_16(kDstPort),
                         port_id,
                         0};
  };
  EXPECT_EQ(gen_->owner(k(kSrc, 50001)), port::kNoQueue);  // no plan yet
  Generator g0(*engine_, ctr_, 0, 2), g1(*engine_, ctr_, 1, 2);
  g1.start(&plan_, now_);
  g0.start(&plan_, now_);
  for (const Generator* g : {&g0, &g1}) {
    EXPECT_EQ(g->owner(k(kSrc, 50001)), 1);  // odd: worker 1's slice
    EXPECT_EQ(g->owner(k(kSrc, 50000)), 0);
    EXPECT_EQ(g->owner(k(kSrc + 1, 65535)), 1);  // the range's ends
    EXPECT_EQ(g->owner(k(kSrc, 49152)), 0);
    // Outside the plan's source addresses or ports, or on another port:
    // not the generator's (passive_owner() decides).
    EXPECT_EQ(g->owner(k(kSrc - 1, 50001)), port::kNoQueue);
    EXPECT_EQ(g->owner(k(kSrc + 2, 50001)), port::kNoQueue);
    EXPECT_EQ(g->owner(k(kSrc, 49151)), port::kNoQueue);
    EXPECT_EQ(g->owner(k(kSrc, 8081)), port::kNoQueue);
    EXPECT_EQ(g->owner(k(kSrc, 50001, 1)), port::kNoQueue);
  }
  // Unpredictable steering (a one-worker run): no answer.
  plan_.rss.mode = port::RssInfo::Mode::Unpredictable;
  EXPECT_EQ(g0.owner(k(kSrc, 50001)), port::kNoQueue);
  // Single queue: everything is worker 0's.
  plan_.rss.mode = port::RssInfo::Mode::Single;
  EXPECT_EQ(g1.owner(k(kSrc, 50001)), 0);
  engine_->set_client(nullptr, nullptr);
}

// (g) IPv6: an IPv6 plan opens IPv6 keys (tcp::make_key) from its address
// list, the run completes against the peer, and owner() answers for IPv6
// keys of the plan only.
TEST_F(GenTest, Ipv6RunOpensIpv6KeysFromThePlansAddresses) {
  plan_.spec = parse_spec("2001:2::2 80 conns 6 src 2001:2::1-2001:2::3 resp-size 64");
  for (const char* a : {"2001:2::1", "2001:2::2", "2001:2::3"})
    plan_.src6.push_back(net::parse_ipv6(a).value());
  plan_.pools.assign(1, {});
  // The peer tells connections apart by our port: one port per tuple here.
  for (uint16_t p = 0; p < 4; ++p)
    for (uint32_t i = 0; i < 3; ++i)
      plan_.pools[0].push_back({i, static_cast<uint16_t>(kFirstPort + 3 * p + i)});
  start();
  for (int i = 0; i < 50 && gen_->state() != RunState::Done; ++i) {
    now_ += 10 * kMs;
    turn();
  }
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_completed), 6u);
  EXPECT_EQ(errors(), 0u);
  EXPECT_EQ(peer_.syns, 6u);

  const auto k6 = [&](const char* local, uint16_t port) {
    return tcp::make_key(net::IpAddr::of(net::parse_ipv6(local).value()),
                         net::IpAddr::of(plan_.spec.dst6), rte_cpu_to_be_16(port),
                         rte_cpu_to_be_16(kDstPort), 0);
  };
  EXPECT_EQ(gen_->owner(k6("2001:2::1", 50001)), 0);  // Single: worker 0's
  EXPECT_EQ(gen_->owner(k6("2001:2::3", 65535)), 0);
  EXPECT_EQ(gen_->owner(k6("2001:2::4", 50001)), port::kNoQueue);  // outside the range
  EXPECT_EQ(gen_->owner(k6("2001:3::1", 50001)), port::kNoQueue);  // another /64
  EXPECT_EQ(gen_->owner(k6("2001:2::1", 8080)), port::kNoQueue);   // not an ephemeral port
  EXPECT_EQ(gen_->owner(key(50001)), 0);
  // An IPv4 key is never an IPv6 plan's.
  EXPECT_EQ(gen_->owner(flow::FlowKey{rte_cpu_to_be_32(kSrc), rte_cpu_to_be_32(kDst),
                                      rte_cpu_to_be_16(50001), rte_cpu_to_be_16(kDstPort), 0, 0}),
            port::kNoQueue);
}

// ---- the report's JSON

// Braces and brackets balance outside strings, and no number is nan/inf.
void expect_json_shape(const std::string& j) {
  int depth = 0;
  bool in_str = false, esc = false;
  for (const char ch : j) {
    if (in_str) {
      EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << "raw control byte in a string";
      if (esc)
        esc = false;
      else if (ch == '\\')
        esc = true;
      else if (ch == '"')
        in_str = false;
      continue;
    }
    if (ch == '"') in_str = true;
    if (ch == '{' || ch == '[') ++depth;
    if (ch == '}' || ch == ']') --depth;
    ASSERT_GE(depth, 0) << j;
  }
  EXPECT_FALSE(in_str) << j;
  EXPECT_EQ(depth, 0) << j;
  EXPECT_EQ(j.front(), '{');
  EXPECT_EQ(j.find("nan"), std::string::npos) << j;
  EXPECT_EQ(j.find("inf"), std::string::npos) << j;
}

bool has(const std::string& j, const std::string& part) {
  return j.find(part) != std::string::npos;
}

// IPv6 addresses in the report's spec are in RFC 5952 form, however typed.
TEST(GenReport, Ipv6SpecInRfc5952Form) {
  Report r;
  r.spec = to_string(parse_spec("[2001:0002:0:0::0002] 80 src 2001:2:0:0:0:0:0:a-2001:2::00f"));
  r.state = "done";
  const std::string j = to_json(r);
  expect_json_shape(j);
  EXPECT_TRUE(has(j, "\"spec\": \"2001:2::2 80 mode http ")) << j;
  EXPECT_TRUE(has(j, " src 2001:2::a-2001:2::f ")) << j;
  EXPECT_TRUE(has(to_text(r), "gen done: 2001:2::2 80 ")) << to_text(r);
}

// The run's port and destination head the text report and are in the
// JSON, so the client side reads against 'show tcp stats' Per port column.
TEST(GenReport, NamesThePortAndTheDestination) {
  Report r;
  r.spec = to_string(parse_spec("[2001:2::2] 8080 src 2001:2::a-2001:2::f"));
  r.state = "running";
  r.port = 1;
  r.destination = destination(parse_spec("[2001:2::2] 8080"));
  EXPECT_EQ(r.destination, "[2001:2::2]:8080");
  EXPECT_EQ(destination(parse_spec("198.18.20.1 80")), "198.18.20.1:80");
  const std::string t = to_text(r);
  EXPECT_EQ(t.substr(0, t.find("\n  ", t.find('\n') + 1) + 1),
            "gen running: " + r.spec + "\n  port 1, to [2001:2::2]:8080\n")
      << t;
  const std::string j = to_json(r);
  expect_json_shape(j);
  EXPECT_TRUE(
      has(j, "\"state\": \"running\",\n  \"port\": 1,\n  \"destination\": \"[2001:2::2]:8080\",\n"))
      << j;
  // On a VLAN interface: its name, as show tcp stats' column has it.
  r.port = 0;
  r.vlan = 100;
  EXPECT_TRUE(has(to_text(r), "\n  port 0.100, to [2001:2::2]:8080\n")) << to_text(r);
  EXPECT_TRUE(
      has(to_json(r), "\"port\": 0,\n  \"destination\": \"[2001:2::2]:8080\",\n  \"vlan\": 100,"))
      << to_json(r);
  // No run yet: no port line; the JSON says -1.
  Report none;
  none.state = "done";
  EXPECT_FALSE(has(to_text(none), "\n  port ")) << to_text(none);
  EXPECT_TRUE(has(to_json(none), "\"port\": -1,")) << to_json(none);
}

TEST(GenReport, EmptyRunJson) {
  Report r;
  r.spec = "198.18.0.2 80";
  r.state = "done";
  const std::string j = to_json(r);
  expect_json_shape(j);
  EXPECT_TRUE(has(j, "\"spec\": \"198.18.0.2 80\"")) << j;
  EXPECT_TRUE(has(j, "\"state\": \"done\"")) << j;
  EXPECT_TRUE(has(j, "\"elapsed_s\": 0.000")) << j;
  EXPECT_TRUE(has(j, "\"connect\": {\"count\": 0}")) << j;
  EXPECT_TRUE(has(j, "\"request\": {\"count\": 0}")) << j;
  EXPECT_TRUE(has(j, "\"cps\": 0.0")) << j;  // no division by a zero elapsed time
  EXPECT_TRUE(has(j, "\"total\": 0")) << j;
  // Empty histograms print the same as none.
  stats::LatencyHistogram empty;
  r.connect_us = r.request_us = &empty;
  EXPECT_EQ(to_json(r), j);
}

TEST(GenReport, FullRunJson) {
  stats::LatencyHistogram conn, req;
  for (uint64_t v : {100, 200, 300, 400}) conn.record(v);
  req.record(5000);
  Report r;
  r.spec = "198.18.0.2 80 conns 4";
  r.state = "done";
  r.elapsed_s = 2.0;
  r.t.attempts = 5;
  r.t.connects = 4;
  r.t.responses = 4;
  r.t.completed = 4;
  r.t.err_refused = 1;
  r.t.err_connect_timeout = 5;
  r.t.err_ports = 2;
  r.t.tx_bytes = 1000;
  r.t.rx_bytes = 249000000;
  r.connect_us = &conn;
  r.request_us = &req;
  const std::string j = to_json(r);
  expect_json_shape(j);
  EXPECT_TRUE(has(j, "\"connections\": {\"attempted\": 5, \"established\": 4, \"completed\": 4"))
      << j;
  EXPECT_TRUE(has(j,
                  "\"errors\": {\"total\": 8, \"refused\": 1, \"reset\": 0, "
                  "\"connect_timeout\": 5, \"timeout\": 0,"))
      << j;
  EXPECT_TRUE(has(to_text(r), "errors: 8 (refused 1, reset 0, connect timeout 5, timeout 0,"))
      << to_text(r);
  EXPECT_TRUE(has(j, "\"ports_exhausted\": 2")) << j;
  EXPECT_TRUE(has(j, "\"cps\": 2.0, \"rps\": 2.0, \"gbps\": 0.9960")) << j;
  EXPECT_TRUE(has(j, "\"connect\": {\"count\": 4, \"mean\": 250.0")) << j;
  EXPECT_TRUE(has(j, "\"request\": {\"count\": 1, \"mean\": 5000.0")) << j;
  EXPECT_TRUE(has(j, "\"max\": 400")) << j;
}

TEST(GenReport, JsonEscapesTheSpec) {
  Report r;
  r.spec = "a\"b\\c\nd\x01\x7f";
  r.state = "running";
  const std::string j = to_json(r);
  expect_json_shape(j);
  EXPECT_TRUE(has(j, R"("spec": "a\"b\\c\u000ad\u0001\u007f")")) << j;
}

TEST(GenReport, TotalsDifference) {
  Totals a, b;
  a.attempts = 10, b.attempts = 4;
  a.err_timeout = 3, b.err_timeout = 1;
  a.err_connect_timeout = 4, b.err_connect_timeout = 4;
  a.rx_bytes = 100, b.rx_bytes = 40;
  a.open = 7, b.open = 9;
  const Totals d = a - b;
  EXPECT_EQ(d.attempts, 6u);
  EXPECT_EQ(d.err_timeout, 2u);
  EXPECT_EQ(d.rx_bytes, 60u);
  EXPECT_EQ(d.open, 7u);  // a gauge: taken from a
  EXPECT_EQ(d.errors(), 2u);
}

}  // namespace
}  // namespace pmx::gen

namespace pmx::gen {
namespace {

// (h) Issue 14: a plan without pools walks its SrcSteer (GenControl's
// plans): the run completes from the range's tuples, and owner() answers
// from the range's bounds and the steering, both families.
TEST_F(GenTest, SteerPlanRunsAndOwnsByArithmetic) {
  plan_.pools.clear();
  port::RangeSpec rs;
  rs.server_ip = kDst;
  rs.server_port = kDstPort;
  rs.src_lo = kSrc;
  rs.n_src = 1;
  rs.port_lo = kFirstPort;
  rs.port_hi = kFirstPort + 7;
  rs.workers = 1;
  plan_.port_lo = rs.port_lo;  // as GenControl sets them
  plan_.port_hi = rs.port_hi;
  ASSERT_EQ(plan_.steer.build(plan_.rss, rs), "");
  plan_.spec.conns = 20;  // more than the 8 tuples: they come round again
  start();
  for (int i = 0; i < 200 && gen_->state() != RunState::Done; ++i) {
    now_ += 100 * kMs;
    turn();
  }
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_completed), 20u);
  EXPECT_EQ(errors(), 0u);

  // Two workers pairing queues, a range of 2^20 IPv6 sources.
  port::RssInfo qp;
  qp.mode = port::RssInfo::Mode::QueuePair;
  qp.nb_queues = 2;
  plan_.rss = qp;
  plan_.spec = parse_spec("2001:2::2 80 conns 2 src 2001:2::1:0:0-2001:2::1:f:ffff");
  plan_.src6_lo = *net::parse_ipv6("2001:2::1:0:0");
  rs.v6 = true;
  rs.server6 = plan_.spec.dst6;
  rs.server_port = 80;
  rs.src6_lo = plan_.src6_lo;
  rs.n_src = 1u << 20;
  rs.workers = 2;
  ASSERT_EQ(plan_.steer.build(qp, rs), "");
  Generator g1(*engine_, ctr_, 1, 2);
  g1.start(&plan_, now_);
  const auto k6 = [&](const char* local, uint16_t port) {
    return tcp::make_key(net::IpAddr::of(net::parse_ipv6(local).value()),
                         net::IpAddr::of(plan_.spec.dst6), rte_cpu_to_be_16(port),
                         rte_cpu_to_be_16(80), 0);
  };
  EXPECT_EQ(g1.owner(k6("2001:2::1:f:ffff", kFirstPort + 1)), 1);
  EXPECT_EQ(g1.owner(k6("2001:2::1:0:0", kFirstPort)), 0);
  EXPECT_EQ(g1.owner(k6("2001:2::1:10:0", kFirstPort)), port::kNoQueue);  // past the range
  EXPECT_EQ(g1.owner(k6("2001:2::ffff:ffff", kFirstPort)), port::kNoQueue);
  EXPECT_EQ(g1.owner(k6("2001:2::1:7:0", kFirstPort + 8)), port::kNoQueue);  // port outside
  engine_->set_client(nullptr, nullptr);
}

// The ramp (Pacer): rate 1000/s, ramp_up 2 s, ramp_down 1 s, duration 5 s,
// paced on a 1 ms loop. Connections opened in each second follow the
// ramp's integral: 250, 750, 1000, 1000, 500 (within a connection or two).
TEST(GenPacer, OpensPerIntervalFollowTheRamp) {
  Pacer p;
  const uint64_t t0 = 7 * kSec;
  p.start(1000, Ramp{2 * kSec, kSec, 5 * kSec}, t0);
  std::vector<int64_t> per_s(5, 0);
  for (uint64_t t = t0 + kMs; t <= t0 + 5 * kSec; t += kMs) {
    const unsigned n = p.allow(t, 64);
    for (unsigned i = 0; i < n; ++i) p.take();
    per_s[std::min<size_t>((t - t0 - 1) / kSec, 4)] += n;
  }
  const std::vector<int64_t> want = {250, 750, 1000, 1000, 500};
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(per_s[i], want[i], 2) << "second " << i;
}

TEST(GenPacer, RampFactorShape) {
  const Ramp r{2 * kSec, kSec, 5 * kSec};
  EXPECT_DOUBLE_EQ(ramp_factor(r, 0), 0.0);
  EXPECT_DOUBLE_EQ(ramp_factor(r, kSec), 0.5);
  EXPECT_DOUBLE_EQ(ramp_factor(r, 3 * kSec), 1.0);
  EXPECT_DOUBLE_EQ(ramp_factor(r, 4500 * kMs), 0.5);
  EXPECT_DOUBLE_EQ(ramp_factor(r, 6 * kSec), 0.0);
  EXPECT_DOUBLE_EQ(ramp_factor(Ramp{}, 0), 1.0);  // no ramp: full rate at once
}

// Without a ramp, an unlimited pacer allows the whole budget, and a paced
// one banks at most 10 ms' worth after a long pause.
TEST(GenPacer, BanksAtMostTenMilliseconds) {
  Pacer p;
  p.start(10000, Ramp{}, 0);
  EXPECT_EQ(p.allow(kSec, 1000), 100u);
  Pacer u;
  u.start(0, Ramp{}, 0);
  EXPECT_EQ(u.allow(kSec, 64), 64u);
}

// Two groups at once: group 1 starts 1 s later from its own tuples; each
// group's connections are counted in its own ClientStats, the worker's
// counters hold the sum, and stopping the run ends both.
TEST_F(GenTest, TwoGroupsRunAtOnceWithTheirOwnStats) {
  plan_.spec.conns = 3;
  RunPlan b = plan_;
  b.pools.assign(1, {});
  for (unsigned i = 0; i < 8; ++i)
    b.pools[0].push_back({kSrc, static_cast<uint16_t>(kFirstPort + 100 + i)});
  b.spec.conns = 2;
  b.start_us = kSec;
  RunSet set;
  set.plans = {&plan_, &b};
  set.n = 2;
  gen_->start(&set, now_);
  run_for(500 * kMs, 10 * kMs);
  EXPECT_EQ(gen_->stats(0).get(Ctr::gen_completed), 3u);
  EXPECT_EQ(gen_->stats(1).get(Ctr::gen_attempts), 0u);  // not yet
  EXPECT_EQ(gen_->state(0), RunState::Done);
  EXPECT_EQ(gen_->state(1), RunState::Running);
  EXPECT_EQ(gen_->state(), RunState::Running);
  run_for(kSec, 10 * kMs);
  EXPECT_EQ(gen_->stats(1).get(Ctr::gen_completed), 2u);
  EXPECT_EQ(gen_->stats(1).get(Ctr::gen_responses), 2u);
  EXPECT_EQ(ctr(Ctr::gen_completed), 5u);
  EXPECT_EQ(gen_->state(), RunState::Done);
  for (const auto& [port, c] : peer_.conns)
    EXPECT_TRUE(port < kFirstPort + 3 || port >= kFirstPort + 100);
}

// think_ms: the next request waits that long after the previous response.
TEST_F(GenTest, ThinkTimeSpacesRequests) {
  plan_.spec.conns = 1;
  plan_.spec.reqs = 3;
  plan_.think_ms = 100;
  start();
  turn();
  EXPECT_EQ(ctr(Ctr::gen_responses), 1u);
  now_ += 60 * kMs;
  turn();
  EXPECT_EQ(ctr(Ctr::gen_requests), 1u);  // still thinking
  now_ += 50 * kMs;
  turn();
  EXPECT_EQ(ctr(Ctr::gen_responses), 2u);
  run_for(300 * kMs, 10 * kMs);
  EXPECT_EQ(ctr(Ctr::gen_responses), 3u);
  EXPECT_EQ(ctr(Ctr::gen_completed), 1u);
  EXPECT_EQ(errors(), 0u);
}

// Stream mode (chargen-like): nothing is sent; each request reads resp_size
// bytes the server sends unasked, in whatever pieces they come; a peer that
// closes early is a bad response.
TEST_F(GenTest, StreamModeReadsWhatTheServerSendsUnasked) {
  plan_.spec.mode = Mode::Stream;
  plan_.spec.conns = 1;
  plan_.spec.reqs = 2;
  plan_.spec.resp_size = 1000;
  peer_.respond = false;
  start();
  turn();
  ASSERT_EQ(peer_.conns.size(), 1u);
  auto& [port, c] = *peer_.conns.begin();
  EXPECT_EQ(ctr(Ctr::gen_tx_bytes), 0u);
  for (int i = 0; i < 3; ++i) {  // 1,500 bytes: the first request and half the second
    send(c.key, c.next, c.ours, ACK, std::string(500, 'a'));
    c.next += 500;
    answer();
  }
  EXPECT_EQ(ctr(Ctr::gen_responses), 1u);
  EXPECT_EQ(ctr(Ctr::gen_rx_bytes), 1500u);
  EXPECT_EQ(open(), 1u);
  send(c.key, c.next, c.ours, ACK, std::string(700, 'b'));  // 200 more than asked
  c.next += 700;
  answer();
  EXPECT_EQ(ctr(Ctr::gen_responses), 2u);
  EXPECT_EQ(ctr(Ctr::gen_rx_bytes), 2000u);  // what the requests asked for
  EXPECT_EQ(ctr(Ctr::gen_completed), 1u);
  EXPECT_EQ(ctr(Ctr::gen_tx_bytes), 0u);
  EXPECT_EQ(errors(), 0u);
}

TEST_F(GenTest, StreamModePeerClosingEarlyIsABadResponse) {
  plan_.spec.mode = Mode::Stream;
  plan_.spec.conns = 1;
  plan_.spec.resp_size = 1000;
  start();
  turn();
  ASSERT_EQ(peer_.conns.size(), 1u);
  auto& [port, c] = *peer_.conns.begin();
  send(c.key, c.next, c.ours, ACK | FIN, std::string(600, 'a'));
  answer();
  EXPECT_EQ(ctr(Ctr::gen_err_bad_response), 1u);
  EXPECT_EQ(ctr(Ctr::gen_completed), 0u);
}

// A timed run drains a connection that is thinking: it ends then, normally.
TEST_F(GenTest, DrainEndsAThinkingConnection) {
  plan_.spec.conns = 1;
  plan_.spec.reqs = 100;
  plan_.spec.duration_s = 1;
  plan_.think_ms = 400;
  start();
  run_for(1500 * kMs, 10 * kMs);
  EXPECT_EQ(gen_->state(), RunState::Done);
  EXPECT_EQ(ctr(Ctr::gen_completed), 1u);
  EXPECT_EQ(ctr(Ctr::gen_responses), 3u);  // at 0, 0.4 and 0.8 s
  EXPECT_EQ(errors(), 0u);
}

}  // namespace
}  // namespace pmx::gen
