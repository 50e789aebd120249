// The right edge of our receive window: a peer that fills the window and
// sends a segment straddling the edge (part inside, part beyond), while the
// echo service cannot read because the peer has not yet acknowledged what
// was echoed. The run: the echo of 65,734 bytes stopped at 35,552
// and never finished, in one of two runs.
#include "tcp_fixture.hpp"

#include <algorithm>

namespace pmx::tcp::test {
namespace {

class WindowEdge : public TcpTest {
 protected:
  // A peer that sends `total` bytes of pattern to the echo service, never
  // beyond the right edge we advertised except for one straddling segment
  // (its `straddle` bytes, sent when less than that is left in the window),
  // and sends every ACK with SEG.SEQ = its SND.NXT, as a simple sender does.
  // It acknowledges our data only from the round `ack_from` on (so that at
  // first the echo's send buffer fills, then our receive buffer), resends
  // from our ACK within the window on each round, and checks the echo.
  // Returns the bytes echoed back; every segment of the peer must be
  // acceptable.
  uint32_t run(uint32_t total, uint32_t seg, uint32_t straddle, int ack_from) {
    uint32_t nxt = 0;                             // the peer's SND.NXT - R(1)
    uint32_t una = 0;                             // what we acknowledged - R(1)
    uint32_t edge = conn()->rcv_adv - Seq(R(1));  // our advertised right edge - R(1)
    uint32_t got = 0;                             // echoed bytes received in order
    bool straddled = false;
    int idle = 0;
    // Reads our segments: in-order echo text, our ACK and window.
    const auto read = [&] {
      for (const Got& g : take()) {
        if (!g.has(flag::ACK)) continue;
        const uint32_t a = g.ack - R(1);
        if (static_cast<int32_t>(a - una) > 0) una = a;
        edge = std::max(edge, a + (uint32_t{g.wnd} << conn()->rcv_wscale));
        if (!g.data.empty() && g.seq == L(1) + got) {
          EXPECT_EQ(g.data, pattern(g.data.size(), got));
          got += static_cast<uint32_t>(g.data.size());
        }
      }
    };
    for (int round = 0; round < 2000 && got < total && idle < 50; ++round) {
      const uint32_t before = got;
      const uint32_t ack = round >= ack_from ? L(1) + got : L(1);
      // Go back to what we acknowledged, then new data, within the window.
      uint32_t at = una;
      bool sent = false;
      while (at < total) {
        const uint32_t room = edge > at ? edge - at : 0;
        uint32_t n = std::min({seg, total - at, room});
        if (!straddled && room > 0 && room < straddle && at == nxt && conn()->snd.space() == 0) {
          n = std::min(straddle, total - at);  // the straddling segment
          straddled = true;
        }
        if (n == 0) break;
        engine_->input(seg_of(at, ack, n), now_);
        drain();
        read();
        at += n;
        nxt = std::max(nxt, at);
        sent = true;
      }
      // Its ACK of what arrived, from its SND.NXT.
      engine_->input(seg_of(nxt, ack, 0), now_);
      drain();
      read();
      if (!sent) advance(200);  // let timers (persist, RTO) run
      read();
      idle = got == before ? idle + 1 : 0;
    }
    EXPECT_EQ(ctr(Ctr::tcp_seq_not_acceptable), 0u)
        << "echoed " << got << " of " << total << "; our RCV.NXT R(" << conn()->rcv_nxt.v - R(0)
        << "), right edge R(" << conn()->rcv_adv.v - R(0) << "), the peer's SND.NXT R(" << nxt + 1
        << ")";
    EXPECT_TRUE(straddled) << "the test never sent its straddling segment";
    return got;
  }
  Seg seg_of(uint32_t at, uint32_t ack, uint32_t n) {
    data_ = pattern(n, at);
    Pkt p{.seq = R(1 + at), .ack = ack, .wnd = 65535, .data = data_};
    last_ = p;
    return seg(last_);
  }
  std::string data_;
  Pkt last_;
};

// Our send buffer is full (the peer acknowledges nothing yet), so echo reads
// nothing and our receive buffer fills too; the peer's straddling segment
// is trimmed at the right edge. Its ACKs then carry a sequence number
// beyond our window: were they dropped as unacceptable, the ACK of our echo
// would never be taken, echo would never read, and our window would never
// open.
TEST_F(WindowEdge, StraddlingSegmentIntoAFullWindowDoesNotStall) {
  established();
  const uint32_t total = 65734;
  EXPECT_EQ(run(total, 1024, 1500, 40), total);
}

// The same with the default 64 KiB buffers and window scaling (1448-byte
// segments): both buffers must fill first, so more than 128 KiB.
TEST_F(WindowEdge, StraddlingSegmentWith64KiBBuffersDoesNotStall) {
  EngineConfig c = small_config();
  c.buf_size = 64 * 1024;
  start(c);
  established(kEcho, {.mss = 1460, .wscale = 7, .sack_ok = true});
  ASSERT_EQ(conn()->rcv_wscale, 1);
  const uint32_t total = 200000;
  EXPECT_EQ(run(total, 1448, 2000, 20), total);
}

// Text beyond the edge we advertised but within the buffer is taken (as
// Linux takes what memory holds): receiver SWS avoidance holds the edge back
// by up to one MSS while the buffer has drained, and trimming there would
// only make the peer send the tail again.
TEST_F(WindowEdge, TextBeyondTheAdvertisedEdgeButWithinTheBufferIsTaken) {
  established(kDiscard);
  send({.seq = R(1), .ack = L(1), .data = pattern(100)});
  expect_nothing();                            // delayed ACK
  EXPECT_EQ(conn()->rcv_adv.v, R(1 + 16384));  // held back: moved by less than an MSS
  EXPECT_EQ(conn()->rcv.space(), 16384u);      // discard read it all
  send({.seq = R(101), .ack = L(1), .data = pattern(16384, 100)});
  const Got g = take_one();
  EXPECT_EQ(g.ack, R(1 + 100 + 16384));  // all of it, 100 bytes beyond the advertised edge
  // Beyond the buffer it is still trimmed.
  send({.seq = R(16485), .ack = L(1), .data = pattern(16385)});
  EXPECT_EQ(take_one().ack, R(16485 + 16384));
}

// The peer's ACKs from its SND.NXT beyond our edge are taken up to the
// highest sequence number it was seen to send, not further: a segment
// without text beyond that is still outside the window.
TEST_F(WindowEdge, AcksAreAcceptableUpToThePeersHighestSequenceOnly) {
  established();
  // Fill the echo's send buffer and then the receive buffer (the peer's
  // window is closed, so nothing is sent); the last segment straddles.
  uint32_t in = 0;
  while (in < 2 * 16384 - 500) {
    send({.seq = R(1 + in), .ack = L(1), .wnd = 0, .data = pattern(500, in)});
    in += 500;
  }
  take();
  send({.seq = R(1 + in), .ack = L(1), .wnd = 0, .data = pattern(800, in)});
  EXPECT_EQ(take_one().ack, R(1 + 2 * 16384));  // 300 bytes trimmed
  EXPECT_EQ(conn()->rcv_high.v, R(1 + in + 800));
  EXPECT_EQ(conn()->rcv_adv.v, R(1 + 2 * 16384));
  // An ACK from the peer's SND.NXT, 300 beyond our edge, opening its window:
  // taken, and the echo comes.
  send({.seq = R(1 + in + 800), .ack = L(1), .wnd = 65535});
  EXPECT_FALSE(take().empty());
  EXPECT_EQ(conn()->snd_wnd, 65535u);
  // One byte further is beyond anything the peer sent.
  send_drop({.seq = R(1 + in + 801), .ack = L(1), .wnd = 65535}, Ctr::tcp_seq_not_acceptable);
}

}  // namespace
}  // namespace pmx::tcp::test
