// Packet-in/packet-out fixture for the TCP engine (in the style of smoltcp's
// socket tests and Seastar's): a manual clock, an engine with a small
// configuration and listeners for echo (7), discard (9) and http (80), a peer
// at 198.18.0.2:40000 that sends segments built from designated-initialiser
// templates, and checks of exactly which segments came out.
//
// Every segment the engine emits is written to a frame with write_frame() and
// parsed back with parse_segment() before a test sees it, so tests check what
// would be on the wire (option sizes and checksums included). Its options are
// read by the fixture's own strict parser (wire_options.hpp), not the
// engine's, and every segment's must be well formed and fit its flags;
// expectations check them with Want::opts or expect_opts().
//
// Sequence numbers are written relative to the two initial sequence numbers:
// R(n) = the peer's ISN + n, L(n) = ours + n (learned from our SYN-ACK).
#pragma once

#include "flow/open_flow_table.hpp"
#include "net/addr.hpp"
#include "service/catalog.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"
#include "tcp/isn.hpp"
#include "tcp/wire.hpp"
#include "tx_device.hpp"
#include "wire_options.hpp"

#include <gtest/gtest.h>
#include <rte_byteorder.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <optional>
#include <source_location>
#include <sstream>
#include <string>
#include <vector>

namespace pmx::tcp {

// The engine's internals, for tests (a friend of Engine).
struct EngineAccess {
  static Conn* conn(Engine& e, const flow::FlowKey& k) {
    const uint32_t i = e.flows_.lookup(k);
    return i == flow::kNoFlow ? nullptr : &e.conns_[i];
  }
  static const TimerWheel& wheel(const Engine& e) { return e.wheel_; }
  static uint32_t make_isn(const Engine& e, const flow::FlowKey& k, uint64_t now) {
    return e.make_isn(k, now);
  }
};

namespace test {

using stats::Ctr;

inline uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return net::Ipv4Addr::from_host(uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d).be;
}
inline const uint32_t kLocalIp = ip4(198, 18, 0, 1);
inline const uint32_t kPeerIp = ip4(198, 18, 0, 2);
inline net::IpAddr v4(uint32_t be) { return net::IpAddr::of(net::Ipv4Addr{be}); }
inline constexpr uint16_t kPeerPort = 40000;
inline constexpr uint16_t kEcho = 7, kDiscard = 9, kHttp = 80, kNoListener = 1234;
inline constexpr uint32_t kPeerIsn = 1000000;

// A segment from the peer. Ports 0 mean the fixture's current connection.
struct Pkt {
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = flag::ACK;
  uint16_t wnd = 65535;
  TcpOpts opt{};
  std::string data{};
  uint16_t port = 0;   // ours
  uint16_t rport = 0;  // the peer's
  uint32_t rip = 0;    // the peer's address; 0: kPeerIp
};

// A segment the engine must send. Unset wnd is not checked, nor are the
// options beyond what opts lists (e.g. .opts = {HasSack({{R(11), R(16)}})}).
struct Want {
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = flag::ACK;
  std::optional<uint16_t> wnd{};
  std::string data{};
  uint16_t port = 0;
  uint16_t rport = 0;
  std::vector<OptCheck> opts{};
};

// A segment the engine sent, as parsed back from the wire.
struct Got {
  uint16_t port = 0, rport = 0;  // ours, the peer's (host order)
  uint32_t rip = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 0;
  WireOpts opt{};  // parsed by the fixture (wire_options.hpp)
  std::string data;
  uint16_t tso_mss = 0;  // a TSO segment's (OutSeg::tso_mss)

  bool has(uint8_t f) const { return flags & f; }
};

inline std::string flag_str(uint8_t f) {
  std::string s;
  if (f & flag::SYN) s += 'S';
  if (f & flag::FIN) s += 'F';
  if (f & flag::RST) s += 'R';
  if (f & flag::PSH) s += 'P';
  if (f & flag::ACK) s += '.';
  return s.empty() ? "none" : s;
}

// Body byte i of every http response is 'a' + i % 26; echo tests use the
// same pattern so that misplaced bytes show.
inline std::string pattern(size_t n, size_t off = 0) {
  std::string s(n, 0);
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (off + i) % 26);
  return s;
}

inline uint64_t drop_total(const stats::Counters& c) {
  uint64_t n = 0;
  for (size_t i = 0; i < stats::kNumCounters; ++i)
    if (stats::kCounterInfo[i].drop) n += c.load(i);
  return n;
}

class LossyPeer;

class TcpTest : public ::testing::Test {
  friend class LossyPeer;  // lossy_peer.hpp drives the engine like a test

 protected:
  static EngineConfig small_config() {
    EngineConfig c;
    c.max_flows = 64;
    c.buf_size = 16 * 1024;
    c.msl_ms = 1000;
    for (uint8_t i = 0; i < 16; ++i) c.isn_key[i] = static_cast<uint8_t>(0x10 + i);
    return c;
  }

  void SetUp() override { start(small_config()); }

  void TearDown() override {
    if (!engine_) return;
    engine_->abort_all();
    engine_->clear_output();
    expect_clean();
  }

  // (Re)creates the engine with cfg: only before any connection exists.
  void start(const EngineConfig& cfg) {
    engine_.reset();
    flows_ = std::make_unique<flow::OpenFlowTable>(cfg.max_flows);
    ctr_ = stats::Counters{};
    engine_ = std::make_unique<Engine>(cfg, *flows_, ctr_);
    ASSERT_GE(engine_->listen({.ip = {}, .port = kEcho, .service = {.kind = service::kind::Echo}}),
              0);
    ASSERT_GE(
        engine_->listen({.ip = {}, .port = kDiscard, .service = {.kind = service::kind::Discard}}),
        0);
    ASSERT_GE(engine_->listen(
                  {.ip = {}, .port = kHttp, .service = {.kind = service::kind::Http, .arg = 64}}),
              0);
    queue_.clear();
  }

  // From now on the peer speaks IPv6 (key()), to [::] listeners on the
  // fixture's ports added here.
  void use_v6() {
    v6_ = true;
    for (auto [port, kind, arg] : {std::tuple{kEcho, service::kind::Echo, 0u},
                                   std::tuple{kDiscard, service::kind::Discard, 0u},
                                   std::tuple{kHttp, service::kind::Http, 64u}})
      ASSERT_GE(engine_->listen(
                    {.ip = net::Ipv6Addr{}, .port = port, .service = {.kind = kind, .arg = arg}}),
                0);
  }

  // No connection, buffer, flow or timer left.
  void expect_clean(std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "expect_clean");
    EXPECT_EQ(engine_->conns_in_use(), 0u);
    EXPECT_EQ(engine_->bufs_in_use(), 0u);
    EXPECT_EQ(flows_->size(), 0u);
    EXPECT_EQ(EngineAccess::wheel(*engine_).armed_count(), 0u);
    EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 0u);
    engine_->listeners().for_each([](uint16_t, const Listener& l) { EXPECT_EQ(l.syn_recv, 0u); });
  }

  // --- the clock (microseconds; tests speak milliseconds)
  void advance(uint64_t ms) { advance_us(ms * 1000); }
  void advance_us(uint64_t us) {
    now_ += us;
    engine_->poll(now_);
    drain();
  }

  // --- sequence numbers relative to the two ISNs
  uint32_t R(uint32_t n) const { return irs_ + n; }
  uint32_t L(uint32_t n) const { return iss_ + n; }

  flow::FlowKey key(uint16_t port = 0, uint16_t rport = 0, uint32_t rip = 0) const {
    if (v6_) {
      // IPv6 (use_v6()): 2001:2::1 and 2001:2::2, or the peer's rip in its
      // last four bytes.
      net::Ipv6Addr l = *net::parse_ipv6("2001:2::1"), r = *net::parse_ipv6("2001:2::2");
      if (rip) std::memcpy(&r.b[12], &rip, 4);
      return make_key(l, r, rte_cpu_to_be_16(port ? port : port_),
                      rte_cpu_to_be_16(rport ? rport : rport_), ethdev_);
    }
    return flow::FlowKey{kLocalIp,
                         rip ? rip : kPeerIp,
                         rte_cpu_to_be_16(port ? port : port_),
                         rte_cpu_to_be_16(rport ? rport : rport_),
                         ethdev_,
                         0};
  }
  Seg seg(const Pkt& p) const {
    Seg s;
    s.key = key(p.port, p.rport, p.rip);
    s.seq = p.seq;
    s.ack = p.ack;
    s.flags = p.flags;
    s.wnd = p.wnd;
    s.opt = p.opt;
    s.data = reinterpret_cast<const uint8_t*>(p.data.data());
    s.len = static_cast<uint32_t>(p.data.size());
    return s;
  }

  // --- input. send() asserts the segment was not dropped; send_drop() that
  // it was, counted by exactly `why` (one drop counter per segment).
  void send(const Pkt& p, std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "send");
    const uint64_t before = drop_total(ctr_);
    engine_->input(seg(p), now_);
    drain();
    EXPECT_EQ(drop_total(ctr_), before) << "segment " << describe(p) << " was dropped";
  }
  void send_drop(const Pkt& p, Ctr why,
                 std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "send_drop");
    const uint64_t before = drop_total(ctr_);
    const uint64_t c = ctr(why);
    EXPECT_TRUE(stats::kCounterInfo[static_cast<size_t>(why)].drop);
    engine_->input(seg(p), now_);
    drain();
    EXPECT_EQ(ctr(why), c + 1) << stats::kCounterInfo[static_cast<size_t>(why)].name
                               << " did not count " << describe(p);
    EXPECT_EQ(drop_total(ctr_), before + 1) << "drop counters for " << describe(p);
  }
  // Any segment: counted by at most one drop counter. Returns whether it was.
  bool send_any(const Pkt& p, std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "send_any");
    const uint64_t before = drop_total(ctr_);
    engine_->input(seg(p), now_);
    drain();
    EXPECT_LE(drop_total(ctr_), before + 1) << "two drop counters for " << describe(p);
    return drop_total(ctr_) != before;
  }
  // Several segments in one input_burst() call; drops are not checked.
  void send_burst(const std::vector<Pkt>& ps) {
    std::vector<Seg> s;
    for (const Pkt& p : ps) s.push_back(seg(p));
    engine_->input_burst(s.data(), static_cast<unsigned>(s.size()), now_);
    drain();
  }

  // --- output
  std::vector<Got> take() {
    std::vector<Got> g(queue_.begin(), queue_.end());
    queue_.clear();
    return g;
  }
  void expect(std::initializer_list<Want> want,
              std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "expect");
    const std::vector<Got> got = take();
    std::ostringstream all;
    for (const Got& g : got) all << "\n  " << describe(g);
    ASSERT_EQ(got.size(), want.size()) << "segments sent:" << all.str();
    size_t i = 0;
    for (const Want& w : want) {
      const Got& g = got[i++];
      EXPECT_EQ(g.port, w.port ? w.port : port_) << describe(g);
      EXPECT_EQ(g.rport, w.rport ? w.rport : rport_) << describe(g);
      EXPECT_EQ(g.seq, w.seq) << describe(g) << " seq: want " << rel(w.seq, true);
      EXPECT_EQ(g.ack, w.ack) << describe(g) << " ack: want " << rel(w.ack, false);
      EXPECT_EQ(flag_str(g.flags), flag_str(w.flags)) << describe(g);
      if (w.wnd) {
        EXPECT_EQ(g.wnd, *w.wnd) << describe(g);
      }
      EXPECT_EQ(g.data.size(), w.data.size()) << describe(g);
      EXPECT_TRUE(g.data == w.data) << describe(g) << " payload differs";
      check_opts(g, w.opts);
    }
  }
  // The options of g pass every check (which says nothing of the others).
  void expect_opts(const Got& g, std::initializer_list<OptCheck> checks,
                   std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "expect_opts");
    check_opts(g, checks);
  }
  template <typename Checks>
  void check_opts(const Got& g, const Checks& checks) {
    for (const OptCheck& c : checks)
      EXPECT_TRUE(c.ok(g.opt)) << describe(g) << " options: want " << c.what << ", got "
                               << test::describe(g.opt);
  }
  void expect_nothing(std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "expect_nothing");
    const std::vector<Got> got = take();
    std::ostringstream all;
    for (const Got& g : got) all << "\n  " << describe(g);
    EXPECT_TRUE(got.empty()) << "segments sent:" << all.str();
  }
  // Exactly one segment: returns it.
  Got take_one(std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "take_one");
    std::vector<Got> g = take();
    EXPECT_EQ(g.size(), 1u);
    return g.empty() ? Got{} : g[0];
  }

  // --- state fixtures, built from real segments
  // SYN (opt, wnd) to port; checks the SYN-ACK and learns our ISN from it.
  Got syn(uint16_t port, TcpOpts opt = {.mss = 1460}, uint16_t wnd = 65535) {
    port_ = port;
    send({.seq = R(0), .flags = flag::SYN, .wnd = wnd, .opt = opt});
    const Got g = take_one();
    EXPECT_EQ(flag_str(g.flags), "S.");
    EXPECT_EQ(g.ack, R(1));
    iss_ = g.seq;
    return g;
  }
  // LISTEN -> SYN_RECV -> ESTABLISHED. With opt.ts, the completing ACK
  // carries ts_val = opt.ts_val and echoes our SYN-ACK's.
  void established(uint16_t port = kEcho, TcpOpts opt = {.mss = 1460}, uint16_t wnd = 65535) {
    const Got sa = syn(port, opt, wnd);
    synack_ = sa;
    TcpOpts a{};
    if (opt.ts) a = {.ts = true, .ts_val = opt.ts_val, .ts_ecr = sa.opt.ts_val};
    send({.seq = R(1), .ack = L(1), .wnd = wnd, .opt = a});
    expect_nothing();
    ASSERT_EQ(state(), State::Established);
  }
  // An http connection that asked for `Connection: close`: the response
  // (head + 64 bytes) and our FIN are sent, not yet acknowledged.
  // Returns the response length: our FIN is at L(1 + n).
  uint32_t fin_wait_1(TcpOpts opt = {.mss = 1460}, uint16_t wnd = 65535) {
    established(kHttp, opt, wnd);
    const std::string req = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    send({.seq = R(1), .ack = L(1), .wnd = wnd, .data = req});
    const std::vector<Got> g = take();
    EXPECT_EQ(g.size(), 2u);
    if (g.size() != 2) return 0;
    EXPECT_EQ(g[0].seq, L(1));
    EXPECT_EQ(flag_str(g[1].flags), "F.");
    EXPECT_EQ(g[1].seq, L(1) + g[0].data.size());
    EXPECT_EQ(state(), State::FinWait1);
    peer_next_ = R(1) + static_cast<uint32_t>(req.size());
    return static_cast<uint32_t>(g[0].data.size());
  }
  // ... and the peer acknowledged everything, our FIN included.
  uint32_t fin_wait_2(TcpOpts opt = {.mss = 1460}) {
    const uint32_t n = fin_wait_1(opt);
    send({.seq = peer_next_, .ack = L(2 + n)});
    expect_nothing();
    EXPECT_EQ(state(), State::FinWait2);
    return n;
  }
  // ... and then the peer's FIN came and was acknowledged.
  uint32_t time_wait(TcpOpts opt = {.mss = 1460}) {
    const uint32_t n = fin_wait_2(opt);
    send({.seq = peer_next_, .ack = L(2 + n), .flags = flag::FIN | flag::ACK});
    expect({{.seq = L(2 + n), .ack = peer_next_ + 1}});
    EXPECT_EQ(state(), State::TimeWait);
    return n;
  }

  // A well-behaved peer: acknowledges each segment that comes out, at once
  // and with window wnd, until nothing more comes (the FIN included, when
  // one comes). Checks the data is in sequence from L(from) and returns it.
  // peer_seq is the peer's sequence number for its ACKs.
  std::string pump(uint32_t from, uint32_t peer_seq, uint16_t wnd = 65535, bool* fin = nullptr,
                   std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace t(loc.file_name(), static_cast<int>(loc.line()), "pump");
    std::string got;
    for (int i = 0; i < 100000 && !queue_.empty(); ++i) {
      const Got g = queue_.front();
      queue_.pop_front();
      if (g.data.empty() && !g.has(flag::FIN)) continue;  // a pure ACK or window update
      EXPECT_EQ(g.seq, L(from) + got.size()) << describe(g);
      if (g.seq != L(from) + got.size()) break;
      got += g.data;
      uint32_t end = g.seq + static_cast<uint32_t>(g.data.size());
      if (g.has(flag::FIN)) {
        ++end;
        if (fin) *fin = true;
      }
      send({.seq = peer_seq, .ack = end, .wnd = wnd});
    }
    return got;
  }

  // --- inspection
  Conn* conn(uint16_t port = 0, uint16_t rport = 0) {
    return EngineAccess::conn(*engine_, key(port, rport));
  }
  State state(uint16_t port = 0, uint16_t rport = 0) {
    const Conn* c = conn(port, rport);
    return c ? c->state : State::Closed;
  }
  uint64_t ctr(Ctr c) const { return ctr_.get(c); }

  // Moves the clock forward (a multiple of 4 us) so that the ISN of a
  // connection from the peer to `port` becomes exactly `isn`.
  void clock_for_isn(uint16_t port, uint32_t isn) {
    const uint32_t f = EngineAccess::make_isn(*engine_, key(port), 0);
    now_ = (now_ + 3) / 4 * 4;
    const uint32_t k = isn - f - static_cast<uint32_t>(now_ / 4);
    advance_us(uint64_t{k} * 4);
    ASSERT_EQ(EngineAccess::make_isn(*engine_, key(port), now_), isn);
  }

  std::string rel(uint32_t v, bool ours) const {
    std::ostringstream o;
    const int64_t d = static_cast<int32_t>(v - (ours ? iss_ : irs_));
    if (d >= -100000 && d <= 100000)
      o << (ours ? "L(" : "R(") << d << ")";
    else
      o << v;
    return o.str();
  }
  std::string describe(const Got& g) const {
    std::ostringstream o;
    o << g.port << "->" << g.rport << " [" << flag_str(g.flags) << "] seq=" << rel(g.seq, true)
      << " ack=" << rel(g.ack, false) << " wnd=" << g.wnd << " len=" << g.data.size();
    if (!g.opt.raw.empty())
      o << " " << test::describe(g.opt, [this](uint32_t v) { return rel(v, false); });
    return o.str();
  }
  std::string describe(const Pkt& p) const {
    std::ostringstream o;
    o << "[" << flag_str(p.flags) << "] seq=" << rel(p.seq, false) << " ack=" << rel(p.ack, true)
      << " len=" << p.data.size();
    return o.str();
  }

  // The engine's own parser read back what ours did (its round trip).
  static void expect_same_options(const TcpOpts& e, const WireOpts& o) {
    if (!o.error.empty()) return;  // reported already
    EXPECT_EQ(e.mss, o.mss.value_or(0));
    EXPECT_EQ(e.wscale, o.wscale.value_or(TcpOpts::kNoWscale));
    EXPECT_EQ(e.sack_ok, o.sack_ok);
    EXPECT_EQ(e.ts, o.ts);
    EXPECT_EQ(e.ts_val, o.ts_val);
    EXPECT_EQ(e.ts_ecr, o.ts_ecr);
    ASSERT_EQ(e.nsack, o.sack.size());
    for (size_t i = 0; i < o.sack.size(); ++i) {
      EXPECT_EQ(e.sack[i].left, o.sack[i].left);
      EXPECT_EQ(e.sack[i].right, o.sack[i].right);
    }
  }

  // The frames a device with TX checksum offload (and TSO) would send for
  // o parse back with their checksums right and carry o's payload, cut at
  // most tso_mss bytes at a time, in sequence (tx_device.hpp).
  void expect_device_frames_ok(const OutSeg& o) {
    if (o.tso_mss) {
      EXPECT_GT(o.len(), o.tso_mss) << "a TSO segment of one segment's payload";
    }
    std::string payload;
    uint32_t seq = o.seq;
    for (const TxCsum tx : {TxCsum{.ip = true, .l4 = true}, TxCsum{.ip = false, .l4 = true}}) {
      const std::vector<Frame> fs = device_frames(o, tx);
      payload.clear();
      seq = o.seq;
      for (size_t i = 0; i < fs.size(); ++i) {
        const Frame& f = fs[i];
        const uint32_t l3 = sizeof(rte_ether_hdr) + (o.key.is_v6() ? 40 : 20);
        if (!o.key.is_v6()) {
          EXPECT_EQ(net::csum_fold(net::csum_partial(f.data() + sizeof(rte_ether_hdr), 20)), 0xffff)
              << "IPv4 header checksum";
        }
        Seg back;
        const auto err = parse_segment(f.data() + l3, static_cast<uint32_t>(f.size() - l3),
                                       local_addr(o.key), remote_addr(o.key), 0, false, back);
        EXPECT_FALSE(err.has_value()) << "a frame of the device's does not parse (checksum?)";
        if (err) return;
        EXPECT_EQ(back.seq, seq);
        if (o.tso_mss) {
          EXPECT_LE(back.len, o.tso_mss);
        }
        if (i + 1 < fs.size()) {
          EXPECT_EQ(back.flags & (flag::FIN | flag::PSH), 0) << "FIN/PSH before the last cut";
        }
        EXPECT_EQ(back.flags, i + 1 < fs.size() ? (o.flags & ~(flag::FIN | flag::PSH)) : o.flags);
        payload.append(reinterpret_cast<const char*>(back.data), back.len);
        seq += back.len;
      }
      std::string want(reinterpret_cast<const char*>(o.p1), o.n1);
      want.append(reinterpret_cast<const char*>(o.p2), o.n2);
      EXPECT_TRUE(payload == want) << "the device's frames carry other bytes";
    }
  }

  // Moves the engine's output into queue_, through the wire format.
  void drain() {
    for (const OutSeg& o : engine_->output()) {
      expect_device_frames_ok(o);
      EXPECT_LE(options_size(o.opt), kMaxOptions) << "options do not fit";
      std::vector<uint8_t> buf(kHeaders6 + kMaxOptions + o.len());
      const rte_ether_addr mac{{2, 0, 0, 0, 0, 1}};
      const uint32_t n = write_frame(buf.data(), mac, o, 0);
      const uint32_t kL3 = sizeof(rte_ether_hdr) + (o.key.is_v6() ? 40 : 20);
      Seg back;
      const auto err = parse_segment(buf.data() + kL3, n - kL3, local_addr(o.key),
                                     remote_addr(o.key), 0, false, back);
      EXPECT_FALSE(err.has_value()) << "our own segment does not parse";
      if (err) continue;
      Got g;
      g.port = rte_be_to_cpu_16(back.key.remote_port);
      g.rport = rte_be_to_cpu_16(back.key.local_port);
      g.rip = back.key.local_ip;
      g.seq = back.seq;
      g.ack = back.ack;
      g.flags = back.flags;
      g.wnd = back.wnd;
      const uint32_t off = (buf[kL3 + 12] >> 4) * 4u;
      g.opt = parse_wire_options(buf.data() + kL3 + 20, off - 20);
      const std::string broken = options_invariant_broken(g.opt, g.flags);
      EXPECT_TRUE(broken.empty()) << describe(g) << ": " << broken;
      expect_same_options(back.opt, g.opt);
      g.data.assign(reinterpret_cast<const char*>(back.data), back.len);
      g.tso_mss = o.tso_mss;
      queue_.push_back(g);
    }
    engine_->clear_output();
  }

  std::unique_ptr<flow::OpenFlowTable> flows_;
  stats::Counters ctr_;
  std::unique_ptr<Engine> engine_;
  uint64_t now_ = 1000000000;  // 1000 s
  uint32_t irs_ = kPeerIsn, iss_ = 0;
  uint16_t port_ = kEcho, rport_ = kPeerPort;
  bool v6_ = false;         // use_v6()
  uint16_t ethdev_ = 0;     // the ethdev port of key() (the flow key's port_id)
  uint32_t peer_next_ = 0;  // set by the closing fixtures: the peer's next sequence number
  Got synack_;              // our SYN-ACK, as established() saw it
  std::deque<Got> queue_;
};

}  // namespace test
}  // namespace pmx::tcp
