// The stream API: what a service (lib/service) sees of one connection.
//
// The engine calls service_event() with a Stream for the connection and an
// event; the service reads what arrived, writes what it wants to send, and
// returns. Everything here is inline over the connection's own fields, so
// lib/service needs no symbol of lib/tcp (it is linked after it) and a call
// costs what the old built-in services cost. docs/services.md is the
// contract; this header states it per call.
//
// Rules (the engine keeps them, a service may rely on them):
// - A Stream is valid only during the call it is passed to; never keep it.
// - No call frees the connection: shutdown() and abort() take effect after
//   the service returns (abort() then frees it: the service must not expect
//   another event after Closed). The engine's side of this rule: engine.hpp
//   at free_conn(), docs/tcp.md "Who may free a connection".
// - Events come on the connection's own core, one at a time, never nested.
#pragma once

#include "conn.hpp"
#include "stats/counters.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>

namespace pmx::tcp {

enum class StreamEvent : uint8_t {
  Connecting,  // active open only: the SYN is about to go; set up the state
               // (Closed may follow without Opened: refused, timed out)
  Opened,      // ESTABLISHED: a passive open sets up its state here (its slot
               // is raw bytes); t_open() is when the SYN went (active opens)
  Data,        // bytes readable, send space freed, or the peer's FIN: act on all
  Timer,       // the deadline set with set_timer() has passed (buffers attached)
  Idle,        // nothing happened for the listener's idle_timeout
  Closed,      // the connection is gone (reason()); release nothing, send nothing
};

// What the engine reads of the generator's run (Engine::set_client), at
// each connect(): lib/gen's ClientConfig begins with it. The rest of the
// run is the client service's own (Stream::client(), client_ctx()).
struct ClientLink {
  CcKind cc = CcKind::NewReno;  // congestion control of the run's connections
  bool hystart = true;          // HyStart++ (RFC 9406) in their initial slow start
  // requests per connection; 0: only held open, so connect() needs no free
  // buffers (else two, or -ENOBUFS)
  uint32_t reqs = 1;
  // SYN_SENT gives up after this long (and after EngineConfig::syn_retries
  // retransmissions); 0: EngineConfig::connect_timeout_ms.
  uint32_t connect_timeout_ms = 0;
  // Segments the group's connections sent again (data, FIN or SYN): written
  // by the owning core's engine only (relaxed load + store, as
  // stats/counters.hpp), read by the control plane through retransmits_now().
  alignas(8) uint64_t retransmits = 0;
  void add_retransmit() {
    std::atomic_ref<uint64_t>(retransmits).store(retransmits + 1, std::memory_order_relaxed);
  }
  uint64_t retransmits_now() const {
    return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(retransmits))
        .load(std::memory_order_relaxed);
  }
};

// Client groups one engine runs at once (a scenario's traffic groups; a
// plain generator run is group 0). A client connection carries its group's
// index (Conn::group) and its service reaches that group's link and context.
constexpr uint8_t kMaxClientGroups = 8;
constexpr uint8_t kAnyGroup = 0xff;  // abort_clients / close_idle_clients: every group

// What every Stream of one engine shares; the engine owns it (it outlives
// every Stream), so a Stream is two references and a reason to build.
struct StreamEnv {
  stats::Counters& ctr;
  BufPool* bufs = nullptr;  // the engine's buffer pool (Stream::take_buffers)
  uint64_t now_us = 0;      // the engine's clock in the current call
  std::array<ClientLink*, kMaxClientGroups> client{};  // Engine::set_client, per group
  std::array<void*, kMaxClientGroups> client_ctx{};
  // Consume in place: an in-order segment that reaches connection lent_to
  // while its receive buffer is empty is read where it lies (lent_len bytes
  // at lent, for one Data event); the engine keeps what the service leaves
  // (Engine::lend_input, settle_lent). The buffer is empty meanwhile.
  const Conn* lent_to = nullptr;
  const uint8_t* lent = nullptr;
  uint32_t lent_len = 0;
};

class Stream {
 public:
  Stream(Conn& c, StreamEnv& env, CloseReason why = CloseReason::Normal)
      : c_(c), env_(env), why_(why) {}

  ServiceKind kind() const { return c_.svc; }
  uint64_t now_us() const { return env_.now_us; }
  // The listener's service options, copied at the SYN (the listener may go
  // away first): size= for http, rate= for chargen; header_timeout=.
  uint32_t arg() const { return c_.svc_arg; }
  uint16_t timeout_s() const { return c_.svc_timeout_s; }
  CloseReason reason() const { return why_; }  // Closed only
  // Active opens: when the first SYN went (us; the engine's, it times the
  // connect with it). 0 for passive opens.
  uint64_t t_open() const { return c_.t_open; }
  // The generator's run (Engine::set_client; null when none is set) and
  // the client service's own context: for the client only (a server
  // service has no use for them).
  ClientLink* client() const { return env_.client[c_.group]; }
  void* client_ctx() const { return env_.client_ctx[c_.group]; }

  // --- receiving
  // Bytes received in order and not yet consumed.
  uint32_t readable() const { return lent() ? env_.lent_len : c_.rcv.size(); }
  // The first n readable bytes, in at most two pieces (a ring).
  std::array<std::span<const uint8_t>, 2> peek(uint32_t n) const {
    if (lent()) return {std::span<const uint8_t>(env_.lent, n), std::span<const uint8_t>()};
    return c_.rcv.peek(0, n);
  }
  // Drops the first n readable bytes; the window reopens as they go.
  void consume(uint32_t n) {
    if (!lent()) return c_.rcv.consume(n);
    env_.lent += n;
    env_.lent_len -= n;
  }
  // The peer sent its FIN: nothing follows what is readable now.
  bool peer_closed() const { return c_.peer_fin; }

  // --- sending
  // Bytes that append() takes now (0 until the connection has buffers:
  // ask with want_writable()).
  uint32_t space() const { return c_.snd.has_mem() ? c_.snd.space() : 0; }
  // Queues min(n, space()) bytes; returns how many.
  uint32_t append(const void* p, uint32_t n) {
    if (!c_.snd.has_mem()) return 0;
    return c_.snd.append(static_cast<const uint8_t*>(p), n);
  }
  // n <= space() bytes to fill in place, then commit(n).
  std::array<std::span<uint8_t>, 2> reserve(uint32_t n) { return c_.snd.reserve(n); }
  void commit(uint32_t n) { c_.snd.commit(n); }
  // The service has more to send than space(): a Data event comes when
  // space frees (and buffers are taken for it if it has none yet). It lasts
  // until the next Data event: say it again there if still short.
  void want_writable() { c_.want_writable = true; }
  // The connection has its buffers (space() may still be 0: all queued).
  bool buffered() const { return c_.snd.has_mem(); }
  // Takes the connection's buffers now if it has none; false: the pool is
  // dry (try again on a later event, or give up). For a service about to
  // answer text it read in place (a Data event may come without buffers:
  // readable text need not be stored), instead of want_writable()'s round
  // trip.
  bool take_buffers() { return attach_buffers(c_, *env_.bufs, env_.now_us); }
  // Unsent bytes still queued (they go as the peer's window allows).
  uint32_t unsent() const { return c_.snd.size(); }

  // --- ending
  // FIN once everything queued is sent (RFC 9293 CLOSE): no event but
  // Closed follows.
  void shutdown() {
    c_.close_requested = true;
    c_.want_writable = false;
    c_.t_app = 0;
  }
  // RST instead, now (RFC 9293 ABORT); the connection is freed after the
  // call returns.
  void abort() { c_.svc_abort = true; }
  // Neither FIN nor RST: ACK everything received, then forget the
  // connection (the generator's `close abandon`: a peer that vanished, as
  // the other end sees it). After the call, as abort(); counted as
  // gen_abandoned.
  void abandon() { c_.svc_abort = c_.svc_abandon = true; }

  // --- time
  // One deadline per connection (absolute, microseconds): a Timer event
  // then. set_timer(0) clears it. The idle timeout is the engine's.
  void set_timer(uint64_t at_us) { c_.t_app = at_us; }
  uint64_t timer() const { return c_.t_app; }

  // --- counters (every drop or refusal has its own)
  void count(stats::Ctr k, uint64_t by = 1) { env_.ctr.inc(k, by); }

  // --- the service's own state: kServiceStateBytes in the connection,
  // raw until Opened constructs it. T must be trivially destructible
  // (nothing runs at Closed but the service's own code).
  template <class T>
  T& state() {
    static_assert(sizeof(T) <= kServiceStateBytes, "service state too large for Conn::svc_state");
    static_assert(alignof(T) <= 8, "Conn::svc_state is aligned to 8");
    static_assert(std::is_trivially_destructible_v<T>);
    return *std::launder(reinterpret_cast<T*>(c_.svc_state));
  }
  template <class T>
  T& make_state() {
    (void)state<T>();  // the size checks
    return *new (c_.svc_state) T{};
  }

 private:
  bool lent() const { return env_.lent_to == &c_; }

  Conn& c_;
  StreamEnv& env_;
  CloseReason why_;
};

// Defined by lib/service/registry.cpp: a switch over ServiceKind (a closed
// set chosen at build time; no virtual call, no allocation).
void service_event(Stream& s, StreamEvent e);

// ServiceKind::Client, the generator's side of an active open: defined by
// lib/gen/client.cpp, reached through service_event() (so every program
// that links lib/tcp links lib/gen too).
void client_event(Stream& s, StreamEvent e);

}  // namespace pmx::tcp
