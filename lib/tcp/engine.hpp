// The per-core TCP engine. Consumes parsed segments and timer ticks, drives
// the RFC 9293 state machine and the services, and describes the segments to
// send as OutSegs in an output queue that the caller drains (the worker turns
// them into mbufs; unit tests read them directly). It does no I/O, reads no
// clock of its own (every call carries `now`, microseconds), and allocates
// only in its constructor, so it runs the same in tests and on a NIC.
//
// Output contract: after any call, drain output() and then clear_output();
// payload pointers in the OutSegs stay valid until the next call.
#pragma once

#include "cc.hpp"
#include "conn.hpp"
#include "flow/flow_table.hpp"
#include "listener.hpp"
#include "segment.hpp"
#include "stats/counters.hpp"
#include "stream.hpp"
#include "timer_wheel.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace pmx::tcp {

struct EngineConfig {
  uint32_t max_flows = 65536;     // connection pool size (and flow table entries)
  uint32_t buf_size = 64 * 1024;  // send and receive buffer per connection
  uint32_t nbufs = 0;             // buffers in the pool; 0: 2 per flow, at most 8192
  uint32_t msl_ms = 30000;        // TIME_WAIT lasts 2 * msl_ms
  uint16_t mtu = 1500;            // MSS option = mtu - 40 (RFC 6691)
  uint32_t delack_ms = 40;        // RFC 1122 4.2.3.2: < 500 ms
  uint32_t rto_min_ms = 200;      // Linux's floor; RFC 6298 (2.4) says 1 s (deviation)
  uint32_t rto_max_ms = 60000;    // RFC 6298 (2.5)
  uint32_t rto_init_ms = 1000;    // RFC 6298 (2.1)
  // Consecutive RTO expirations, or zero-window probes without an
  // acceptable ACK, before the connection is reset (tcp_timeouts).
  uint32_t max_retries = 12;
  uint32_t synack_retries = 5;
  uint32_t syn_retries = 6;  // SYN retransmissions before a connect fails (Linux)
  uint32_t connect_timeout_ms =
      75000;               // and at most this long (BSD's connection-establishment timer)
  bool keepalive = false;  // RFC 1122 4.2.3.6: off by default
  uint32_t keepalive_idle_ms = 7200000, keepalive_intvl_ms = 75000, keepalive_probes = 9;
  // RFC 5961 7: per connection, at most one challenge ACK or answer to an
  // unacceptable segment in this many ms (Linux's tcp_invalid_ratelimit).
  // There is no per-core budget: see Engine::answer_allowed().
  uint32_t invalid_ratelimit_ms = 500;
  std::array<uint8_t, 16> isn_key{};  // RFC 6528 secret
  // RFC 4987 SYN cookies (syncookie.hpp, cookie.cpp): Auto answers with a
  // cookie when a listener's backlog is full or the pool nearly is.
  SynCookies syncookies = SynCookies::Auto;
  std::array<uint8_t, 16> cookie_key{};  // secret of the cookies' keyed hash
  unsigned lcore = 0;                    // reported in snapshots
  // TCP segmentation offload, by interface (FlowKey::port_id): the most
  // payload one TSO segment may carry on it (docs/tcp.md, "TSO"); absent or
  // 0: the port has no TSO and every segment is at most one MSS.
  std::vector<uint32_t> tso_max;
};

struct ConnRow {
  flow::FlowKey key;
  State state;
  uint32_t recv_q, send_q;  // unread bytes, unacknowledged + unsent bytes
  unsigned lcore;
};

class Engine {
 public:
  Engine(const EngineConfig& cfg, flow::FlowTable& flows, stats::Counters& ctr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A burst of parsed, checksum-verified segments: one bulk flow lookup,
  // then each segment in order.
  void input_burst(const Seg* segs, unsigned n, uint64_t now);
  void input(const Seg& s, uint64_t now) { input_burst(&s, 1, now); }
  // Segments another core received and handed here (its miss hook): taken
  // as if received, except that they are not counted in tcp_in_segs again
  // and a miss goes to the listeners without asking the miss hook (no
  // segment travels twice).
  void input_handed(const Seg* segs, unsigned n, uint64_t now);
  // Fires due timers and sends what is waiting for output space.
  void poll(uint64_t now);
  // ICMP fragmentation needed (RFC 1191) quoting a segment of connection k
  // with sequence number seq: next-hop MTU mtu (0: unknown), the quoted
  // packet quoted_len bytes long.
  void frag_needed(const flow::FlowKey& k, uint32_t seq, uint16_t mtu, uint16_t quoted_len,
                   uint64_t now);

  std::span<const OutSeg> output() const { return {out_.data(), nout_}; }
  // The output has been copied out: forget it, and give drained connections'
  // buffers back (not earlier: a queued segment may point into them).
  void clear_output() {
    nout_ = 0;
    if (!release_q_.empty()) release_drained();
    if (env_.now_us >= next_pressure_) pressure_pass();
  }

  // Active open (RFC 9293 3.10.1): a connection from k.local to k.remote
  // running the client service (lib/gen/client.cpp) for the run of
  // set_client(); the SYN is in output().
  // Returns the pool index, or -EADDRINUSE (the 4-tuple is in use and not a
  // reusable TIME_WAIT), -ENOSPC (pool or flow table full), -ENOBUFS.
  // group: the client group whose link (set_client) the connection runs.
  int connect(const flow::FlowKey& k, uint64_t now, uint8_t group = 0);
  // The generator's run: what client connections do (lib/gen's
  // ClientConfig, which begins with a ClientLink) and the client service's
  // context (lib/gen: its ClientStats), both handed to it with each event
  // (Stream::client()). Both outlive every client connection
  // (abort_clients() before changing).
  // One pair per client group (group < kMaxClientGroups; a plain run is group 0).
  void set_client(ClientLink* cfg, void* ctx) { set_client(0, cfg, ctx); }
  void set_client(uint8_t group, ClientLink* cfg, void* ctx) {
    env_.client[group] = cfg, env_.client_ctx[group] = ctx;
  }
  // Resets every client connection not yet in TIME_WAIT (gen stop, a new
  // run, a stalled one); `why` is what their service counts.
  // Only those of `group` unless it is kAnyGroup.
  void abort_clients(CloseReason why, uint8_t group = kAnyGroup);
  // A draining run: client connections between requests (and those that
  // only hold their 4-tuple, reqs 0) finish and close with FIN now; FINs
  // the output queue has no room for go out at the following poll()s.
  // Each established client connection gets an Idle event: its service
  // decides (lib/gen/client.cpp).
  void close_idle_clients(uint8_t group = kAnyGroup);
  // Called for a received segment that matched no connection, before the
  // listener lookup; true means the hook took it (handed it to the core
  // that owns its 4-tuple, or dropped it and counted why) and the engine
  // does nothing more with it. A plain function pointer, called only on
  // that miss (SYNs, and segments that reached the wrong core): no
  // indirect call on the established path. The worker sets it when it has
  // siblings (docs/architecture.md, "Which core owns a connection").
  using MissHook = bool (*)(void* ctx, const Seg& s);
  void set_miss_hook(MissHook f, void* ctx) { miss_ = f, miss_ctx_ = ctx; }
  // A segment for no connection and no listener: the hook may take it (up
  // to the kernel port, docs/architecture.md "The kernel exception path");
  // true: taken, portmux neither answers (no RST) nor drops it.
  using KernelHook = bool (*)(void* ctx, const Seg& s);
  void set_kernel_hook(KernelHook f, void* ctx) { kernel_ = f, kernel_ctx_ = ctx; }

  // Control (called on the owning core, between bursts).
  int listen(const ListenSpec& s);  // index or -EEXIST/-ENOSPC
  int unlisten(const net::IpAddr& ip, uint16_t port);
  const ListenerTable& listeners() const { return listeners_; }
  size_t snapshot(ConnRow* rows, size_t cap) const;
  // Aborts every connection (RST) and frees it: shutdown and tests.
  void abort_all();

  // Accounting, for tests and `show flowtable`.
  // Pool index idx holds a connection in SYN_SENT (false for any bad idx).
  bool connecting(uint32_t idx) const {
    return idx < cfg_.max_flows && conns_[idx].state == State::SynSent;
  }
  uint32_t conns_in_use() const { return cfg_.max_flows - static_cast<uint32_t>(free_.size()); }
  uint32_t bufs_in_use() const { return bufs_.total() - bufs_.available(); }
  uint32_t bufs_total() const { return bufs_.total(); }
  const flow::FlowTable& flows() const { return flows_; }
  uint64_t flow_insert_failures() const { return insert_failures_; }
  const Conn* find(const flow::FlowKey& k) const;
  const EngineConfig& config() const { return cfg_; }

 private:
  friend struct EngineAccess;  // unit tests

  // engine.cpp: demultiplexing, LISTEN and CLOSED states, the pool
  void input_segs(const Seg* segs, unsigned n, uint64_t now);
  void dispatch(const Seg& s, uint32_t idx, uint64_t now);
  void no_connection(const Seg& s, uint64_t now);
  void listen_input(uint16_t li, const Seg& s, uint64_t now);
  // cookie.cpp
  bool cookie_wanted(const Listener& l) const;
  void send_cookie(const Seg& s, uint64_t now);
  bool cookie_ack(uint16_t li, const Seg& s, uint64_t now);
  void closed_input(const Seg& s);
  void syn_sent_input(Conn& c, const Seg& s, uint64_t now);
  void take_syn_options(Conn& c, const Seg& s);
  void init_cc(Conn& c);
  void send_reset_for(const Seg& s);
  Conn* alloc_conn(const flow::FlowKey& k);
  // Who may free a connection (docs/tcp.md "Who may free a connection"):
  // only the engine, and only through free_conn(), reached from
  //  - abort(): a RST received or sent, a timeout (RTO, persist, keepalive,
  //    SYN or SYN-ACK retries), pool pressure, unlisten(), abort_all(),
  //    abort_clients(), a service's Stream::abort() (carried out by
  //    dispatch() after the service returns, never inside it);
  //  - abandon(): a service's Stream::abandon(), from dispatch() or, when
  //    it waited for an output slot, from output();
  //  - the ACK of our FIN in LAST_ACK (ack_input), the TIME_WAIT and
  //    FIN_WAIT_2 expiries (rtx_fired), a TIME_WAIT taken over by a new
  //    SYN (dispatch) or by connect().
  // (The release queue gives back buffers, never a connection.) Hence any
  // call that reaches a service (dispatch, service_open/run/timeout,
  // established, new_ack through its Data event), output(), abort() or a
  // timer handler may have freed c when it returns: the caller checks
  // c.state == State::Closed before it touches c again (output() and arm()
  // check it themselves). A freed slot stays in conns_, but alloc_conn()
  // may hand it out again (within the same call: a SYN that took over a
  // TIME_WAIT), so nothing is written to a freed connection.
  // Tells the service (Closed, `why`), then frees c.
  void free_conn(Conn& c, CloseReason why = CloseReason::Normal);
  // Buffer memory follows use: a connection's rings are attached without
  // memory and get it from the pool when bytes are first stored (received
  // text, or a client's first request). False when the pool cannot give
  // both rings theirs; then nothing is taken.
  bool ensure_mem(Conn& c);
  void release_bufs(Conn& c);
  void queue_release(Conn& c);
  void release_drained();
  void pressure_pass();
  void service_deadline(Conn& c);
  void service_timeout(Conn& c, uint64_t now);
  uint32_t make_isn(const flow::FlowKey& k, uint64_t now) const;
  // The MSS we announce: the MTU less the IP and TCP headers (40 bytes over
  // IPv4, 60 over IPv6: RFC 9293 3.7.1, RFC 8200 8.3).
  uint16_t our_mss(const flow::FlowKey& k) const {
    return static_cast<uint16_t>(cfg_.mtu - (k.is_v6() ? 60 : 40));
  }
  // The send MSS when a SYN carries no MSS option (RFC 9293 3.7.1: 536 for
  // IPv4, 1220 for IPv6).
  static uint16_t default_mss(const flow::FlowKey& k) { return k.is_v6() ? 1220 : 536; }
  bool timewait_reuse(Conn& c, const Seg& s) const;

  // input.cpp: RFC 9293 3.10.7.4 for the synchronized states and SYN_RECV
  void conn_input(Conn& c, const Seg& s, uint64_t now);
  bool check_paws(Conn& c, const Seg& s, uint64_t now);
  bool acceptable(const Conn& c, const Seg& s) const;
  bool rst_input(Conn& c, const Seg& s, uint64_t now);
  bool ack_input(Conn& c, const Seg& s, uint64_t now);
  void new_ack(Conn& c, const Seg& s, Seq ack, uint64_t now);
  void dup_ack(Conn& c, uint64_t now);
  void update_window(Conn& c, const Seg& s);
  void data_input(Conn& c, Seq seq, const uint8_t* data, uint32_t len, uint64_t now);
  static bool lendable(const Conn& c, Seq seq, bool fin);
  void lend_input(Conn& c, const uint8_t* data, uint32_t len, uint64_t now);
  void settle_lent(Conn& c, bool alive);
  void ack_policy(Conn& c, uint64_t now);
  void fin_input(Conn& c, uint64_t now);
  void established(Conn& c, uint64_t now);
  void enter_time_wait(Conn& c, uint64_t now);
  void challenge_ack(Conn& c, uint64_t now);
  void reject_ack(Conn& c, const Seg& s, uint64_t now);
  bool answer_allowed(Conn& c, uint64_t now, stats::Ctr limited);
  void rtt_sample(Conn& c, uint32_t rtt_us);
  bool update_sacked(Conn& c, const Seg& s);

  // output.cpp: sending, retransmission, timers
  void output(Conn& c, uint64_t now);
  bool send_segment(Conn& c, Seq seq, uint32_t len, uint8_t flags, uint64_t now);
  void send_ack(Conn& c, uint64_t now);
  void send_synack(Conn& c, uint64_t now);
  void send_syn(Conn& c, uint64_t now);
  void send_rst(Conn& c);
  bool retransmit_hole(Conn& c, uint64_t now, bool below_sacked_only);
  void on_timer(uint32_t idx, uint64_t now);
  void rtx_fired(Conn& c, uint64_t now);  // t_rtx passed: acts by c.rtx_timer; may free c
  void syn_retry(Conn& c, uint64_t now);  // active.cpp
  void synack_retry(Conn& c, uint64_t now);
  void rto_expired(Conn& c, uint64_t now);
  void persist_expired(Conn& c, uint64_t now);
  void tail_loss_probe(Conn& c, uint64_t now);
  void keepalive_expired(Conn& c, uint64_t now);
  void arm(Conn& c);
  // t_rtx and what it is for are set together, here and nowhere else
  // (RtxTimer, conn.hpp); the wheel is scheduled by arm().
  static void arm_rtx(Conn& c, RtxTimer kind, uint64_t at) {
    c.t_rtx = at;
    c.rtx_timer = kind;
  }
  static void stop_rtx(Conn& c) { arm_rtx(c, RtxTimer::Off, 0); }
  // Arms the retransmission timer, or first the tail loss probe.
  void set_rtx(Conn& c, uint64_t now);
  uint64_t probe_timeout(const Conn& c) const;
  void set_state(Conn& c, State s);
  void abort(Conn& c, bool send_reset, CloseReason why = CloseReason::Local);
  void abandon(Conn& c, uint64_t now);
  void mark_pending(Conn& c);
  void fill_header(const Conn& c, OutSeg& o, uint64_t now) const;
  uint16_t window_field(Conn& c) const;
  OutSeg* next_out();
  uint32_t flight(const Conn& c) const { return seq_dist(c.snd_una, c.snd_nxt); }
  uint32_t send_room(const Conn& c) const;
  uint32_t ts_now(uint64_t now) const { return static_cast<uint32_t>(now / 1000); }

  // service.cpp: every service (stream.hpp), on the owning core
  // Hands one event to the connection's service, then carries out an
  // abort() it asked for (never inside the call: the connection must
  // outlive it). Returns false if the connection was aborted. Inline: it
  // runs for every segment that brings the service something.
  bool dispatch(Conn& c, StreamEvent e) {
    Stream s(c, env_);
    service_event(s, e);
    return !c.svc_abort || service_aborted(c);
  }
  bool service_aborted(Conn& c);  // always false
  void service_open(Conn& c);
  void service_run(Conn& c);  // new data, space or peer FIN: let the service act
  // The window we may offer grew by enough since we last advertised it
  // (reading opened it, or the SYN-ACK's unscaled field could not say it
  // all): an ACK tells the peer once it grew by min(buffer / 2, 2 MSS)
  // (RFC 9293 3.8.6.2.2 moves the edge by no less than min(buffer / 2, MSS);
  // the 2 MSS step is Linux's).
  void window_news(Conn& c) {
    const Seq edge = c.rcv_nxt + c.rcv.space();
    if (edge >= c.rcv_adv + std::min<uint32_t>(c.rcv.capacity() / 2, 2u * c.mss)) c.ack_now = true;
  }
  // After a segment: readable bytes, the peer's FIN just now, a service
  // waiting for space, or a closing/bufferless connection to tidy up.
  static bool service_news(const Conn& c, bool had_fin) {
    return c.rcv.size() || c.want_writable || c.peer_fin != had_fin || c.close_requested ||
           !c.rcv.attached();
  }
  void service_close(Conn& c, CloseReason why);

  EngineConfig cfg_;
  // The configuration's durations in microseconds, the engine's clock,
  // converted once here (no ms * 1000 anywhere else).
  struct Micros {
    uint64_t two_msl, delack, rto_min, rto_max, rto_init, connect_timeout, keepalive_idle,
        keepalive_intvl;
    explicit Micros(const EngineConfig& c)
        : two_msl(2ull * c.msl_ms * 1000),
          delack(uint64_t{c.delack_ms} * 1000),
          rto_min(uint64_t{c.rto_min_ms} * 1000),
          rto_max(uint64_t{c.rto_max_ms} * 1000),
          rto_init(uint64_t{c.rto_init_ms} * 1000),
          connect_timeout(uint64_t{c.connect_timeout_ms} * 1000),
          keepalive_idle(uint64_t{c.keepalive_idle_ms} * 1000),
          keepalive_intvl(uint64_t{c.keepalive_intvl_ms} * 1000) {}
  };
  Micros us_;
  // The retransmission timeout after c.backoff expirations (RFC 6298 5.5),
  // capped at rto_max.
  uint64_t backed_off_rto(const Conn& c) const {
    return std::min<uint64_t>(uint64_t{c.rto} << c.backoff, us_.rto_max);
  }
  // SYN_SENT's limit: c's group's (ClientLink::connect_timeout_ms) or ours.
  uint64_t connect_timeout_us(const Conn& c) const {
    const ClientLink* l = env_.client[c.group];
    return l && l->connect_timeout_ms ? uint64_t{l->connect_timeout_ms} * 1000
                                      : us_.connect_timeout;
  }
  // A client connection sent a segment again: its group counts it.
  void count_client_rtx(const Conn& c) {
    if (c.svc == ServiceKind::Client && env_.client[c.group])
      env_.client[c.group]->add_retransmit();
  }
  flow::FlowTable& flows_;
  stats::Counters& ctr_;
  ListenerTable listeners_;
  std::vector<Conn> conns_;
  std::vector<uint32_t> free_;
  BufPool bufs_;
  TimerWheel wheel_;
  std::vector<uint32_t> pending_;  // connections with output waiting for queue space
  size_t pending_head_ = 0;        // pending_[0, pending_head_) are done
  std::vector<uint8_t> queued_;    // per pool index: in pending_
  std::vector<OutSeg> out_;
  size_t nout_ = 0;
  std::vector<uint32_t> release_q_;  // connections whose buffers may have drained
  std::vector<uint32_t> victims_;    // pressure_pass()'s scratch (reserved)
  uint64_t next_pressure_ = 0;       // us: the buffer pool's next check (pressure_pass)
  uint64_t insert_failures_ = 0;
  uint32_t curr_estab_ = 0;
  uint64_t last_cookie_ = 0;  // us: the last cookie sent (0: none yet)
  // The services' view (stream.hpp): env_.now_us is the engine's clock,
  // the now of the current call; env_.client the generator's groups.
  StreamEnv env_;
  uint32_t lent_total_ = 0;  // the lent segment's length (settle_lent)
  MissHook miss_ = nullptr;
  void* miss_ctx_ = nullptr;
  KernelHook kernel_ = nullptr;
  void* kernel_ctx_ = nullptr;
  bool handed_ = false;         // the current burst came from another core's handoff
  bool burst_changed_ = false;  // a connection was created or freed in this burst
};

}  // namespace pmx::tcp
