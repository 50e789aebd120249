// LISTEN, CLOSED (no listener) and SYN_RECV: RFC 9293 3.10.7.1-3.10.7.2 and
// the SYN_RECV rows of 3.10.7.4, with RFC 7323 / RFC 2018 option negotiation.
#include "tcp_fixture.hpp"

namespace pmx::tcp::test {
namespace {

using Listen = TcpTest;

TEST_F(Listen, SynAckEchoesTheOptionsThePeerOffered) {
  const Got sa =
      syn(kEcho, {.mss = 1200, .wscale = 7, .sack_ok = true, .ts = true, .ts_val = 4242});
  EXPECT_EQ(sa.seq, EngineAccess::make_isn(*engine_, key(), now_));  // RFC 6528
  EXPECT_EQ(sa.wnd, 16384);  // a SYN's window is never scaled (RFC 7323 2.2)
  // Window scale 0: 16 KiB needs no shift; sent because the peer offered one.
  expect_opts(sa, {HasMss(1460), HasWscale(0), HasSackOk(),
                   HasTs(static_cast<uint32_t>(now_ / 1000), 4242), NoSack()});
  EXPECT_TRUE(sa.data.empty());

  EXPECT_EQ(state(), State::SynReceived);
  const Conn* c = conn();
  EXPECT_EQ(c->mss, 1200);  // min(peer's MSS, ours)
  EXPECT_EQ(c->snd_wscale, 7);
  EXPECT_TRUE(c->sack_ok);
  EXPECT_TRUE(c->ts_ok);
  EXPECT_EQ(ctr(Ctr::tcp_passive_opens), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_demux_listen_wildcard), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_in_segs), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_out_segs), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 0u);
  EXPECT_EQ(engine_->conns_in_use(), 1u);
  EXPECT_EQ(engine_->bufs_in_use(), 0u);  // buffer memory comes with the first text
}

TEST_F(Listen, SynWithoutOptionsGetsOnlyOurMss) {
  const Got sa = syn(kEcho, {});
  // RFC 9293 3.7.1: MSS always sent on a SYN; nothing else.
  expect_opts(sa, {HasMss(1460), NoWscale(), NoSackOk(), NoTs(), NoSack()});
  EXPECT_EQ(conn()->mss, 536);  // RFC 9293 3.7.1 default
  EXPECT_FALSE(conn()->ts_ok);
  EXPECT_FALSE(conn()->sack_ok);
}

TEST_F(Listen, EachOptionAlone) {
  Got sa = syn(kEcho, {.sack_ok = true});
  expect_opts(sa, {HasMss(1460), HasSackOk(), NoTs(), NoWscale()});
  rport_ = 40001;
  sa = syn(kEcho, {.ts = true, .ts_val = 1});
  expect_opts(sa, {HasMss(1460), NoSackOk(), HasTsEcr(1), NoWscale()});
  rport_ = 40002;
  sa = syn(kEcho, {.wscale = 14});
  expect_opts(sa, {HasMss(1460), NoSackOk(), NoTs(), HasWscale(0)});
  EXPECT_EQ(conn()->snd_wscale, 14);
  // RFC 7323 2.2: an offer of shift 0 is still an offer; answered with ours
  // (0 here too), so both sides know scaling is in use.
  rport_ = 40003;
  sa = syn(kEcho, {.wscale = 0});
  expect_opts(sa, {HasWscale(0)});
  EXPECT_TRUE(conn()->ws_ok);
}

// Our MSS is the port's MTU less 40 bytes of IPv4 and TCP headers (RFC 6691
// 2, RFC 9293 3.7.1), whatever the peer offered; the window-scale shift
// follows our buffer (RFC 7323 2.3: the smallest that fits it in 16 bits).
TEST_F(Listen, SynAckMssFollowsTheMtuAndWscaleTheBuffer) {
  EngineConfig c = small_config();
  c.max_flows = 4;
  c.mtu = 9000;
  c.buf_size = 1024 * 1024;
  start(c);
  Got sa = syn(kEcho, {.mss = 1460, .wscale = 7, .sack_ok = true});
  expect_opts(sa, {HasMss(8960), HasWscale(5), HasSackOk(), NoTs()});
  EXPECT_EQ(conn()->mss, 1460);  // min(peer's, ours)
  c.mtu = 1280;
  c.buf_size = 16 * 1024;
  engine_->abort_all();
  engine_->clear_output();
  start(c);
  sa = syn(kEcho, {.mss = 1460, .wscale = 7});
  expect_opts(sa, {HasMss(1240), HasWscale(0), NoSackOk(), NoTs()});
  EXPECT_EQ(conn()->mss, 1240);
}

TEST_F(Listen, SynDataIsNotAcknowledged) {
  port_ = kEcho;
  send({.seq = R(0), .flags = flag::SYN, .data = "early"});
  const Got sa = take_one();
  EXPECT_EQ(sa.ack, R(1));  // the text is not queued: the peer sends it again
}

TEST_F(Listen, AckIsAnsweredWithResetAtItsAckNumber) {
  port_ = kEcho;
  send_drop({.seq = R(1), .ack = 12345}, Ctr::tcp_listen_ack);
  expect({{.seq = 12345, .ack = 0, .flags = flag::RST}});
  EXPECT_EQ(ctr(Ctr::tcp_out_rsts), 1u);
  EXPECT_EQ(engine_->conns_in_use(), 0u);
  // With data and FIN as well: still the same reset.
  send_drop({.seq = R(1), .ack = 777, .flags = flag::ACK | flag::FIN, .data = "x"},
            Ctr::tcp_listen_ack);
  expect({{.seq = 777, .ack = 0, .flags = flag::RST}});
}

TEST_F(Listen, ResetIsIgnored) {
  port_ = kEcho;
  send_drop({.seq = R(1), .flags = flag::RST}, Ctr::tcp_listen_rst);
  send_drop({.seq = R(1), .ack = 5, .flags = flag::RST | flag::ACK}, Ctr::tcp_listen_rst);
  send_drop({.seq = R(0), .flags = flag::RST | flag::SYN}, Ctr::tcp_listen_rst);
  expect_nothing();
  EXPECT_EQ(engine_->conns_in_use(), 0u);
}

TEST_F(Listen, DataWithoutSynIsDropped) {
  port_ = kEcho;
  send_drop({.seq = R(1), .flags = flag::PSH, .data = "hello"}, Ctr::tcp_listen_no_syn);
  send_drop({.seq = R(1), .flags = 0}, Ctr::tcp_listen_no_syn);
  send_drop({.seq = R(1), .flags = flag::FIN}, Ctr::tcp_listen_no_syn);
  expect_nothing();
  EXPECT_EQ(engine_->conns_in_use(), 0u);
}

TEST_F(Listen, SynFinIsDropped) {
  port_ = kEcho;
  send_drop({.seq = R(0), .flags = flag::SYN | flag::FIN}, Ctr::tcp_listen_bad_syn);
  expect_nothing();
  EXPECT_EQ(engine_->conns_in_use(), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_passive_opens), 0u);
}

TEST_F(Listen, NoListenerSynGetsResetAck) {
  port_ = kNoListener;
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_closed_answered);
  expect({{.seq = 0, .ack = R(1), .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(ctr(Ctr::tcp_demux_none), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_rst_sent_no_listener), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_out_rsts), 1u);
  // SEG.LEN counts the data and the FIN.
  send_drop({.seq = R(0), .flags = flag::SYN, .data = "abc"}, Ctr::tcp_closed_answered);
  expect({{.seq = 0, .ack = R(4), .flags = flag::RST | flag::ACK}});
  send_drop({.seq = R(10), .flags = flag::FIN}, Ctr::tcp_closed_answered);
  expect({{.seq = 0, .ack = R(11), .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(engine_->conns_in_use(), 0u);
}

TEST_F(Listen, NoListenerAckGetsResetAtItsAckNumber) {
  port_ = kNoListener;
  send_drop({.seq = R(1), .ack = 0xdeadbeef, .data = "zz"}, Ctr::tcp_closed_answered);
  expect({{.seq = 0xdeadbeef, .ack = 0, .flags = flag::RST}});
}

TEST_F(Listen, NoListenerResetIsNeverAnswered) {
  port_ = kNoListener;
  send_drop({.seq = R(1), .flags = flag::RST}, Ctr::tcp_rst_no_conn);
  send_drop({.seq = R(1), .ack = 9, .flags = flag::RST | flag::ACK}, Ctr::tcp_rst_no_conn);
  expect_nothing();
  EXPECT_EQ(ctr(Ctr::tcp_out_rsts), 0u);
}

TEST_F(Listen, ExactAddressBeatsWildcard) {
  ASSERT_GE(engine_->listen(
                {.ip = v4(kLocalIp), .port = kEcho, .service = {.kind = service::kind::Discard}}),
            0);
  EXPECT_EQ(engine_->listen({.ip = v4(kLocalIp), .port = kEcho, .service = {}}), -EEXIST);
  syn(kEcho);
  EXPECT_EQ(ctr(Ctr::tcp_demux_listen_exact), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_demux_listen_wildcard), 0u);
  EXPECT_EQ(conn()->svc, service::kind::Discard);
}

TEST_F(Listen, UnlistenResetsHalfOpenConnectionsOnly) {
  established(kEcho);
  rport_ = 40001;
  syn(kEcho);
  ASSERT_GE(engine_->unlisten({}, kEcho), 0);
  drain();
  expect({{.seq = L(1), .ack = R(1), .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(state(kEcho, 40001), State::Closed);
  EXPECT_EQ(state(kEcho, kPeerPort), State::Established);
  EXPECT_EQ(ctr(Ctr::tcp_attempt_fails), 1u);
  EXPECT_EQ(engine_->unlisten({}, kEcho), -ENOENT);
  // A new SYN finds no listener now.
  rport_ = 40002;
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_closed_answered);
  expect({{.seq = 0, .ack = R(1), .flags = flag::RST | flag::ACK}});
}

// Without SYN cookies (--syncookies off); with them, test_syncookie.cpp.
TEST_F(Listen, BacklogFull) {
  EngineConfig c = small_config();
  c.syncookies = SynCookies::Off;
  start(c);
  ASSERT_GE(engine_->listen({.ip = {}, .port = 99, .service = {}, .backlog = 1}), 0);
  syn(99);
  rport_ = 40001;
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_syn_backlog_full);
  expect_nothing();
  ListenerTable::Match m;
  const uint16_t li = engine_->listeners().lookup(v4(kLocalIp), 99, m);
  EXPECT_EQ(engine_->listeners()[li].overflows, 1u);
  EXPECT_EQ(engine_->listeners()[li].syn_recv, 1u);
  // Completing the first handshake makes room.
  rport_ = kPeerPort;
  send({.seq = R(1), .ack = L(1)});
  EXPECT_EQ(engine_->listeners()[li].syn_recv, 0u);
  EXPECT_EQ(engine_->listeners()[li].accepted, 1u);
  rport_ = 40001;
  syn(99);
}

TEST_F(Listen, ConnectionPoolEmpty) {
  EngineConfig c = small_config();
  c.max_flows = 2;
  c.syncookies = SynCookies::Off;
  start(c);
  syn(kEcho);
  rport_ = 40001;
  syn(kEcho);
  rport_ = 40002;
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_conn_pool_empty);
  expect_nothing();
  EXPECT_EQ(engine_->conns_in_use(), 2u);
}

// Buffer memory follows use: a connection takes its two buffers with the
// first text it receives, so an exhausted buffer pool refuses no SYN. With
// memory for one connection, a second is accepted and established, and its
// text is dropped (counted once, the ACK in it used) until memory is free.
TEST_F(Listen, BufferPoolEmpty) {
  EngineConfig c = small_config();
  c.nbufs = 3;
  start(c);
  established(kEcho);
  EXPECT_EQ(engine_->bufs_in_use(), 0u);
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::PSH, .data = "hello"});
  std::vector<Got> got = take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "hello");
  EXPECT_EQ(engine_->bufs_in_use(), 2u);
  rport_ = 40001;
  established(kEcho);
  EXPECT_EQ(engine_->conns_in_use(), 2u);
  send_drop({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::PSH, .data = "world"},
            Ctr::tcp_no_buffers);
  expect_nothing();
  EXPECT_EQ(conn()->rcv_nxt, Seq(R(1)));
  EXPECT_EQ(conn()->rcv.size(), 0u);
  EXPECT_EQ(engine_->bufs_in_use(), 2u);
}

// --- SYN_RECV

TEST_F(Listen, AckCompletesTheHandshake) {
  syn(kEcho);
  ASSERT_EQ(state(), State::SynReceived);
  send({.seq = R(1), .ack = L(1), .wnd = 1000});
  expect_nothing();
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(ctr(Ctr::tcp_passive_opens), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_curr_estab), 1u);
  EXPECT_EQ(conn()->snd_wnd, 1000u);
  EXPECT_EQ(conn()->snd_una, Seq(L(1)));
  EXPECT_EQ(EngineAccess::wheel(*engine_).armed_count(), 0u);  // nothing outstanding
  ListenerTable::Match m;
  EXPECT_EQ(engine_->listeners()[engine_->listeners().lookup(v4(kLocalIp), kEcho, m)].accepted, 1u);
}

TEST_F(Listen, HandshakeAckWithDataIsDelivered) {
  syn(kEcho);
  send({.seq = R(1), .ack = L(1), .flags = flag::ACK | flag::PSH, .data = "hi"});
  expect({{.seq = L(1), .ack = R(3), .flags = flag::ACK | flag::PSH, .data = "hi"}});
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Listen, ResetAtRcvNxtEndsTheAttempt) {
  syn(kEcho);
  send({.seq = R(1), .flags = flag::RST});
  expect_nothing();
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_attempt_fails), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_estab_resets), 0u);
  expect_clean();
}

TEST_F(Listen, ResetInWindowGetsChallengeAck) {
  syn(kEcho);
  send_drop({.seq = R(100), .flags = flag::RST}, Ctr::tcp_rst_challenged);
  expect({{.seq = L(1), .ack = R(1)}});
  EXPECT_EQ(state(), State::SynReceived);
  EXPECT_EQ(ctr(Ctr::tcp_challenge_acks), 1u);
}

TEST_F(Listen, RetransmittedSynGetsTheSameSynAck) {
  const Got first = syn(kEcho, {.mss = 1400, .sack_ok = true});
  advance(300);
  send_drop({.seq = R(0), .flags = flag::SYN, .opt = {.mss = 1400, .sack_ok = true}},
            Ctr::tcp_synack_retransmitted);
  const Got again = take_one();
  EXPECT_EQ(again.seq, first.seq);
  EXPECT_EQ(again.ack, first.ack);
  EXPECT_EQ(again.flags, first.flags);
  EXPECT_EQ(again.wnd, first.wnd);
  EXPECT_EQ(again.opt.raw, first.opt.raw);  // the same options, byte for byte
  expect_opts(again, {HasMss(1460), HasSackOk()});
  EXPECT_EQ(ctr(Ctr::tcp_synack_retransmits), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_retrans_segs), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_out_segs), 1u);
  EXPECT_EQ(engine_->conns_in_use(), 1u);
}

TEST_F(Listen, SynAckRetransmittedWithBackoffThenAbandoned) {
  const Got first = syn(kEcho);
  const uint64_t waits[] = {1000, 2000, 4000, 8000, 16000};
  for (uint64_t w : waits) {
    advance(w - 1);
    expect_nothing();
    advance(1);
    const Got g = take_one();
    EXPECT_EQ(flag_str(g.flags), "S.");
    EXPECT_EQ(g.seq, first.seq);
    expect_opts(g, {HasMss(1460)});
  }
  EXPECT_EQ(ctr(Ctr::tcp_synack_retransmits), 5u);
  advance(32000 - 1);
  EXPECT_EQ(state(), State::SynReceived);
  advance(1);
  expect_nothing();  // gone without a word, like Linux
  EXPECT_EQ(state(), State::Closed);
  EXPECT_EQ(ctr(Ctr::tcp_attempt_fails), 1u);
  expect_clean();
}

TEST_F(Listen, LateAckAfterSynAckRetransmissionStillCompletes) {
  syn(kEcho);
  advance(1000);
  take_one();
  send({.seq = R(1), .ack = L(1)});
  expect_nothing();
  EXPECT_EQ(state(), State::Established);
  EXPECT_EQ(EngineAccess::wheel(*engine_).armed_count(), 0u);
}

// RFC 9293 3.10.7.4 fourth check: a new in-window SYN (not the original one
// again) returns a passive SYN_RECV connection to LISTEN: it is gone, and a
// later SYN opens a fresh connection from the listener.
TEST_F(Listen, NewInWindowSynInSynRecvReturnsToListen) {
  syn(kEcho);
  send_drop({.seq = R(5), .flags = flag::SYN}, Ctr::tcp_synrecv_syn);
  expect_nothing();
  EXPECT_EQ(engine_->conns_in_use(), 0u);
  EXPECT_EQ(ctr(Ctr::tcp_attempt_fails), 1u);
  syn(kEcho);
  EXPECT_EQ(state(), State::SynReceived);
}

TEST_F(Listen, BadAckInSynRecvIsReset) {
  syn(kEcho);
  send_drop({.seq = R(1), .ack = L(5)}, Ctr::tcp_synrecv_bad_ack);
  expect({{.seq = L(5), .ack = 0, .flags = flag::RST}});
  send_drop({.seq = R(1), .ack = L(0)}, Ctr::tcp_synrecv_bad_ack);
  expect({{.seq = L(0), .ack = 0, .flags = flag::RST}});
  EXPECT_EQ(state(), State::SynReceived);  // the connection itself lives on
  send({.seq = R(1), .ack = L(1)});
  EXPECT_EQ(state(), State::Established);
}

TEST_F(Listen, SegmentWithoutAckInSynRecvIsDropped) {
  syn(kEcho);
  send_drop({.seq = R(1), .flags = flag::PSH, .data = "x"}, Ctr::tcp_no_ack_flag);
  expect_nothing();
  EXPECT_EQ(state(), State::SynReceived);
}

// A whole handshake and the first data in one burst: the segments after the
// SYN were looked up before the connection existed.
TEST_F(Listen, HandshakeInOneBurst) {
  port_ = kEcho;
  iss_ = EngineAccess::make_isn(*engine_, key(), now_);
  send_burst({{.seq = R(0), .flags = flag::SYN},
              {.seq = R(1), .ack = L(1)},
              {.seq = R(1), .ack = L(1), .data = "abc"}});
  const std::vector<Got> g = take();
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(flag_str(g[0].flags), "S.");
  EXPECT_EQ(g[1].data, "abc");
  EXPECT_EQ(ctr(Ctr::tcp_demux_conn), 2u);
  EXPECT_EQ(state(), State::Established);
}

// RFC 6528: the ISN moves with a 4 us clock; other 4-tuples get unrelated ones.
TEST_F(Listen, IsnFollowsTheClock) {
  const flow::FlowKey k = key(kEcho);
  const uint32_t a = EngineAccess::make_isn(*engine_, k, now_);
  EXPECT_EQ(EngineAccess::make_isn(*engine_, k, now_ + 1000000), a + 250000);
  EXPECT_NE(EngineAccess::make_isn(*engine_, key(kEcho, 40001), now_), a + 0);
  EXPECT_NE(EngineAccess::make_isn(*engine_, key(kHttp), now_), a);
}

}  // namespace
}  // namespace pmx::tcp::test

namespace pmx::tcp::test {
namespace {

// The kernel hook (--kernel-port): a segment for no connection and no
// listener that the hook takes gets no RST from us and counts kernel_up_tcp;
// one it refuses is answered as before.
struct HookState {
  int calls = 0;
  bool take = true;
};
bool kernel_hook(void* ctx, const Seg&) {
  auto* h = static_cast<HookState*>(ctx);
  ++h->calls;
  return h->take;
}

TEST_F(TcpTest, KernelHookTakesSegmentsForNoListener) {
  HookState h;
  engine_->set_kernel_hook(&kernel_hook, &h);
  port_ = kNoListener;
  send({.seq = R(0), .flags = flag::SYN});
  expect_nothing();
  EXPECT_EQ(h.calls, 1);
  EXPECT_EQ(ctr(Ctr::kernel_up_tcp), 1u);
  EXPECT_EQ(ctr(Ctr::tcp_rst_sent_no_listener), 0u);
  send({.seq = R(1), .ack = L(1), .flags = flag::RST});  // a RST of the kernel's connection: up too
  EXPECT_EQ(ctr(Ctr::kernel_up_tcp), 2u);
  h.take = false;
  send_drop({.seq = R(0), .flags = flag::SYN}, Ctr::tcp_closed_answered);
  expect({{.seq = 0, .ack = R(1), .flags = flag::RST | flag::ACK}});
  EXPECT_EQ(ctr(Ctr::tcp_rst_sent_no_listener), 1u);
  // A listener's port never reaches the hook.
  established(kEcho);
  EXPECT_EQ(h.calls, 3);
}

}  // namespace
}  // namespace pmx::tcp::test
