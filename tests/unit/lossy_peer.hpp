// A simulated peer for the loss-recovery tests, beside the packet fixture
// (tcp_fixture.hpp), in two parts:
//
// PeerReceiver: the receiving half of a correct TCP, in miniature. It takes
// our segments (real ones from the fixture's output, or ones a scripted test
// says arrived), reassembles our data in order, and builds the ACK a real
// receiver would send: the cumulative ACK, SACK blocks ordered as RFC 2018 4
// asks (the block holding the segment that arrived last first, then the
// others, most recently changed first; 4 at most, 3 beside a timestamp), and
// the timestamp echo of RFC 7323 4.3 (TS.Recent moves only for a segment
// that starts at or below the last ACK sent). A scripted test then says
// which segments arrived instead of writing SACK blocks by hand.
//
// LossyPeer: a whole peer on a lossy, reordering link, driving the engine
// through the fixture until a transfer is done: it sends its data to a
// service (go-back-N on its own timeout, zero-window probes), receives what
// comes back through a PeerReceiver (an ACK for each segment, or every
// second one with delayed ACKs), loses and delays segments both ways at
// random, and reports what it saw: the bytes delivered in order, our
// retransmissions, whether our FIN came.
#pragma once

#include "tcp_fixture.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>

namespace pmx::tcp::test {

class PeerReceiver {
 public:
  // start: the sequence number of our first data byte (L(1)); ts_recent:
  // the TSval of our SYN or SYN-ACK, if timestamps are on. The peer's own
  // sequence number for its ACKs is seq; its TSval is ts_val.
  PeerReceiver(uint32_t start, bool sack, bool ts, std::optional<uint32_t> ts_recent = {})
      : start_(start), sack_(sack), ts_(ts), ts_recent_(ts_recent) {}

  uint32_t seq = 0;
  uint32_t ts_val = 0;
  uint16_t wnd = 65535;

  // Our segment [s, s + len) (relative to the start, i.e. byte offsets of
  // our data) arrived, with data (or, if empty, the data is not checked),
  // the FIN after it if fin, and our TSval if it carried one.
  void receive(uint32_t s, uint32_t len, const std::string& data, bool fin,
               std::optional<uint32_t> tsv) {
    // RFC 7323 4.3 (3): TS.Recent from a segment that covers the last ACK sent.
    if (tsv && (!ts_recent_ || static_cast<int32_t>(*tsv - *ts_recent_) >= 0) &&
        static_cast<int32_t>(s - last_ack_) <= 0)
      ts_recent_ = tsv;
    if (fin) fin_at_ = s + len;
    if (len == 0 || s + len <= delivered()) return advance();
    if (s > delivered() && s < (1u << 30)) {
      add_ooo(s, len, data);
      return advance();
    }
    append(data.empty() ? std::string() : data.substr(delivered() - s), s + len);
    advance();
  }
  // One of our segments as the fixture parsed it from the wire.
  void receive(const Got& g) {
    receive(g.seq - start_, static_cast<uint32_t>(g.data.size()), g.data, g.has(flag::FIN),
            g.opt.ts ? std::optional<uint32_t>(g.opt.ts_val) : std::nullopt);
  }

  // The ACK the peer sends now (RFC 9293 3.10.7.4, RFC 2018 4, RFC 7323 4.3).
  Pkt ack() {
    last_ack_ = next();
    Pkt p{.seq = seq, .ack = start_ + last_ack_, .wnd = wnd};
    if (ts_) p.opt = {.ts = true, .ts_val = ts_val, .ts_ecr = ts_recent_.value_or(0)};
    const size_t room = ts_ ? 3 : 4;
    for (size_t i = 0; sack_ && i < recent_.size() && i < room; ++i)
      p.opt.sack[p.opt.nsack++] = {start_ + recent_[i].first, start_ + recent_[i].second};
    return p;
  }

  // Bytes of our data received in order, and the bytes themselves (data the
  // test did not give is left as '?').
  uint32_t delivered() const { return static_cast<uint32_t>(in_order_.size()); }
  const std::string& in_order() const { return in_order_; }
  // Our FIN came, after all our data.
  bool fin() const { return fin_at_ && *fin_at_ == delivered(); }
  // The next byte expected (relative), the FIN counted.
  uint32_t next() const { return delivered() + (fin() ? 1 : 0); }
  bool has_holes() const { return !ooo_.empty(); }

 private:
  void append(const std::string& d, uint32_t end) {
    const uint32_t n = end - delivered();
    in_order_ += d.empty() ? std::string(n, '?') : d.substr(0, n);
  }
  void add_ooo(uint32_t s, uint32_t len, const std::string& d) {
    ooo_[s] = d.empty() ? std::string(len, '?') : d;
    // RFC 2018 4: the block holding this segment goes first. It absorbs the
    // blocks it touches (they are now part of it).
    uint32_t l = s, r = s + len;
    for (auto it = recent_.begin(); it != recent_.end();) {
      if (it->first <= r && l <= it->second) {
        l = std::min(l, it->first);
        r = std::max(r, it->second);
        it = recent_.erase(it);
      } else {
        ++it;
      }
    }
    recent_.emplace_front(l, r);
  }
  // Moves what became in order out of ooo_, and drops the SACK blocks the
  // cumulative ACK covers.
  void advance() {
    while (!ooo_.empty() && ooo_.begin()->first <= delivered()) {
      const auto& [at, d] = *ooo_.begin();
      if (at + d.size() > delivered()) in_order_ += d.substr(delivered() - at);
      ooo_.erase(ooo_.begin());
    }
    std::erase_if(recent_, [&](const auto& b) { return b.second <= delivered(); });
  }

  uint32_t start_;
  bool sack_, ts_;
  std::string in_order_;
  std::map<uint32_t, std::string> ooo_;               // out of order, by offset
  std::deque<std::pair<uint32_t, uint32_t>> recent_;  // SACK blocks, most recent first
  std::optional<uint32_t> ts_recent_;
  std::optional<uint32_t> fin_at_;
  uint32_t last_ack_ = 0;  // Last.ACK.sent (relative)
};

class LossyPeer {
 public:
  struct Config {
    bool sack = false, ts = false;
    uint32_t loss_per_mille = 0;  // each way, per segment
    uint32_t min_delay_us = 1000, max_delay_us = 21000;
    uint32_t mss = 1000;            // the peer's segments
    bool delayed_ack = false;       // ACK every second segment (RFC 5681 4.2) ...
    uint32_t ack_delay_us = 40000;  // ... or after this long
    uint32_t rto_us = 300000;       // the peer's own retransmission timeout
    uint64_t limit_us = 600000000;  // give up after this long
  };
  struct Report {
    std::string delivered;     // our data, in order, as the peer received it
    bool fin = false;          // our FIN came after it
    uint32_t segments = 0;     // our segments that reached the peer
    uint32_t retransmits = 0;  // our data segments sent again (lost or not)
    uint32_t sent = 0;         // the peer's segments (lost ones included)
  };

  // t: the fixture, on an established connection whose ISNs are R(0)/L(0).
  // rng: the loss and delay pattern.
  LossyPeer(TcpTest& t, Config cfg, std::mt19937& rng)
      : t_(t), cfg_(cfg), rng_(rng), rx_(t.L(1), cfg.sack, cfg.ts) {}

  // Sends data to the service, then our FIN once all of it is acknowledged;
  // runs until the engine closed the connection after sending our FIN and
  // all of its data arrived, a test failure, or the time limit.
  Report run(const std::string& data, size_t expect_back);

 private:
  // A segment of the peer's onto the link (lost, or delayed at random).
  void emit(const Pkt& p) {
    ++report_.sent;
    if (!lost()) to_engine_.emplace(t_.now_ + delay(), p);
  }
  // The ACK fields of the peer's next segment, from its SND.NXT.
  Pkt ack_now() {
    rx_.seq = t_.R(1 + p_nxt_);
    rx_.ts_val = static_cast<uint32_t>(t_.now_ / 1000);
    unacked_ = 0;
    return rx_.ack();
  }
  uint64_t delay() {
    const uint32_t spread = cfg_.max_delay_us - cfg_.min_delay_us;
    return cfg_.min_delay_us + (spread ? rng_() % spread : 0);
  }
  bool lost() { return rng_() % 1000 < cfg_.loss_per_mille; }
  // Our segments onto the link; those that start below the highest byte
  // sent before are retransmissions.
  void from_engine() {
    for (const Got& g : t_.take()) {
      const uint32_t rel = g.seq - t_.L(1), len = static_cast<uint32_t>(g.data.size());
      if (len && rel < sent_max_) ++report_.retransmits;
      if (len && rel + len > sent_max_ && rel < (1u << 30)) sent_max_ = rel + len;
      if (!lost()) to_peer_.emplace(t_.now_ + delay(), g);
    }
  }
  void peer_send(bool timeout);
  void peer_input(const Got& g);

  TcpTest& t_;
  Config cfg_;
  std::mt19937& rng_;
  PeerReceiver rx_;
  Report report_;
  const std::string* data_ = nullptr;
  uint32_t n_ = 0;
  uint32_t p_una_ = 0, p_nxt_ = 0;  // the peer's send side, relative to R(1); n + 1: the FIN
  uint64_t p_last_ = 0;             // the peer's last progress (for its timeout)
  uint32_t our_wnd_ = 16384;
  uint32_t sent_max_ = 0;  // the end of our highest data sent (relative)
  uint32_t unacked_ = 0;   // segments received since the last ACK
  uint64_t ack_due_ = 0;   // with delayed ACKs: when the pending ACK goes
  std::multimap<uint64_t, Pkt> to_engine_;
  std::multimap<uint64_t, Got> to_peer_;
};

// The peer sends what our window allows from p_nxt_ (after a timeout, from
// p_una_ again: go-back-N), one byte into a zero window after a timeout (a
// probe), and its FIN once all its data is acknowledged.
inline void LossyPeer::peer_send(bool timeout) {
  if (timeout) {
    p_nxt_ = p_una_;
    p_last_ = t_.now_;
  }
  while (p_nxt_ < n_) {
    uint32_t room = our_wnd_ > p_nxt_ - p_una_ ? our_wnd_ - (p_nxt_ - p_una_) : 0;
    if (room == 0 && timeout && p_nxt_ == p_una_) room = 1;  // a zero-window probe
    const uint32_t len = std::min({cfg_.mss, n_ - p_nxt_, room});
    if (len == 0) break;
    Pkt p = ack_now();
    p.data = data_->substr(p_nxt_, len);
    emit(p);
    p_nxt_ += len;
  }
  if (p_nxt_ == n_ && p_una_ == n_) {
    Pkt p = ack_now();
    p.flags = flag::ACK | flag::FIN;
    emit(p);
    p_nxt_ = n_ + 1;
  }
}

// One of our segments reaches the peer: its ACK field moves the peer's send
// side, its data goes to the receiver, which answers it.
inline void LossyPeer::peer_input(const Got& g) {
  if (g.has(flag::RST)) {
    ADD_FAILURE() << "reset " << t_.describe(g);
    return;
  }
  const uint32_t a = g.ack - t_.R(1);
  if (a > p_una_ && a <= p_nxt_) {
    p_una_ = a;
    p_last_ = t_.now_;
  }
  our_wnd_ = g.wnd;
  const uint32_t len = static_cast<uint32_t>(g.data.size());
  const uint32_t rel = g.seq - t_.L(1);
  ++report_.segments;
  const bool holes = rx_.has_holes();
  const uint32_t before = rx_.delivered();
  rx_.receive(g);
  if (len || g.has(flag::FIN)) {
    // RFC 5681 4.2: at once for data out of order or filling a hole, else
    // (with delayed ACKs) every second segment or after ack_delay_us.
    const bool in_seq = rel == before && !holes && !rx_.has_holes();
    if (!cfg_.delayed_ack || !in_seq || g.has(flag::FIN) || ++unacked_ >= 2)
      emit(ack_now());
    else if (unacked_ == 1)
      ack_due_ = t_.now_ + cfg_.ack_delay_us;
  }
  if (p_nxt_ < n_) peer_send(false);
}

inline LossyPeer::Report LossyPeer::run(const std::string& data, size_t expect_back) {
  data_ = &data;
  n_ = static_cast<uint32_t>(data.size());
  p_last_ = t_.now_;
  peer_send(false);
  const uint64_t end = t_.now_ + cfg_.limit_us;
  while (t_.now_ < end && !::testing::Test::HasFailure()) {
    if (t_.state() == State::Closed && rx_.fin() && rx_.delivered() == expect_back) break;
    t_.advance_us(1000);
    from_engine();
    while (!to_engine_.empty() && to_engine_.begin()->first <= t_.now_) {
      t_.send_any(to_engine_.begin()->second);
      to_engine_.erase(to_engine_.begin());
      from_engine();
    }
    while (!to_peer_.empty() && to_peer_.begin()->first <= t_.now_) {
      const Got g = to_peer_.begin()->second;
      to_peer_.erase(to_peer_.begin());
      if (t_.state() != State::Closed) peer_input(g);
    }
    if (unacked_ && t_.now_ >= ack_due_) emit(ack_now());
    if (p_una_ < std::min(p_nxt_, n_ + 1) && t_.now_ - p_last_ > cfg_.rto_us) peer_send(true);
    if (p_una_ == n_ && p_nxt_ == n_) peer_send(false);
  }
  report_.delivered = rx_.in_order();
  report_.fin = rx_.fin();
  return report_;
}

}  // namespace pmx::tcp::test
