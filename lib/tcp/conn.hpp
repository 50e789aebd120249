// A connection's state (RFC 9293 3.3.1 TCB). Pre-allocated in a per-core
// pool; the fields the established path touches first come first.
#pragma once

#include "buffers.hpp"
#include "cc.hpp"
#include "flow/flow_key.hpp"
#include "seq.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pmx::tcp {

enum class State : uint8_t {
  Closed,
  Listen,
  SynSent,
  SynReceived,
  Established,
  FinWait1,
  FinWait2,
  CloseWait,
  Closing,
  LastAck,
  TimeWait,
};

// As netstat spells them.
constexpr std::string_view state_name(State s) {
  constexpr std::string_view names[] = {"CLOSE",       "LISTEN",    "SYN_SENT",  "SYN_RECV",
                                        "ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT",
                                        "CLOSING",     "LAST_ACK",  "TIME_WAIT"};
  return names[static_cast<uint8_t>(s)];
}

// Named state sets (RFC 9293 3.3.2), so that no list of states is spelled
// out where a rule needs one.
// Synchronized: the handshake is done (ESTABLISHED and every later state).
constexpr bool synchronized(State s) { return s >= State::Established; }
// We may still send data (no FIN of ours yet): ESTABLISHED, CLOSE_WAIT.
// Also tcpCurrEstab's set (RFC 4022) and the states a service runs in.
constexpr bool can_send(State s) { return s == State::Established || s == State::CloseWait; }
// The peer may still send data (no FIN of its yet): ESTABLISHED, FIN_WAIT_1/2.
constexpr bool can_receive(State s) {
  return s == State::Established || s == State::FinWait1 || s == State::FinWait2;
}
// Our data or FIN may be in flight, to send or resend: synchronized, and
// our FIN not yet acknowledged (not FIN_WAIT_2, not TIME_WAIT).
constexpr bool can_transmit(State s) {
  return can_send(s) || s == State::FinWait1 || s == State::Closing || s == State::LastAck;
}

// Which service runs on a connection: an id the transport carries without
// knowing it. The services that serve passive opens, their ids and names
// are lib/service's table (service/services.def, ids in its order from 0:
// ServiceKind{} is its first line). The transport names only the one it
// treats itself: the traffic generator's side of an active open
// (lib/gen/client.cpp). All are reached through the stream API (stream.hpp).
enum class ServiceKind : uint8_t { Client = 0xff };

// Bytes of per-connection state a service may keep (Stream::state<T>()):
// the largest is the generator's client (lib/gen/client.cpp: a response
// parser, stream offsets and counts) at 72 bytes; 80 leaves some room.
inline constexpr size_t kServiceStateBytes = 80;

struct ServiceConfig {
  ServiceKind kind{};
  // The service's own option, Stream::arg() (its table line's key: size=
  // for http, the body bytes of GET /; rate= for chargen, bytes per second).
  uint32_t arg = 0;
  // Seconds, 0 = off (the default here; --listen and the CLI's listen take
  // the table's defaults: 10 s and 75 s for http, 300 s idle for the others).
  // The service's own deadline, Stream::timeout_s() (its table line's key:
  // header_timeout= for http, a begun request head must end within this).
  uint16_t timeout_s = 0;
  uint16_t idle_timeout_s = 0;  // nothing to do for this long: close
};

// What Conn::t_rtx is armed for. The connection's protocol deadline has one
// purpose at a time, set together with the deadline (Engine::arm_rtx), and
// Engine::on_timer acts by this kind alone (docs/tcp.md "Timers").
// Invariant: t_rtx == 0 exactly when the kind is Off.
enum class RtxTimer : uint8_t {
  Off,
  Retransmit,     // RFC 6298 retransmission timeout: go back to SND.UNA
  TailLossProbe,  // RFC 8985 7: resend the last segment before the RTO
  Persist,        // RFC 9293 3.8.6.1: zero-window probe (or the SWS override)
  SynRetry,       // SYN_SENT: the SYN again (RFC 9293 3.8.1, RFC 6298 5.5)
  SynAckRetry,    // SYN_RECV: the SYN-ACK again
  TimeWait,       // TIME_WAIT's 2 MSL (RFC 9293 3.6): then the connection goes
  FinWait2,       // FIN_WAIT_2's 2 MSL (Linux's tcp_fin_timeout; deviation)
};

// Why a connection ended early; the generator counts its errors by it.
enum class CloseReason : uint8_t {
  Normal,
  Refused,
  Reset,
  Timeout,
  BadResponse,
  Local,
  NoResources
};

struct Conn {
  // --- identity and state
  flow::FlowKey key;
  State state = State::Closed;
  ServiceKind svc{};
  CcKind cc_kind = CcKind::NewReno;
  bool cc_hystart = true;  // HyStart++ (RFC 9406) for the initial slow start
  uint8_t snd_wscale = 0;  // peer's shift (applied to windows it sends)
  uint8_t rcv_wscale = 0;  // our shift
  bool ts_ok = false, sack_ok = false, ws_ok = false;
  bool close_requested = false;  // service asked to close after queued data
  bool fin_sent = false;
  bool peer_fin = false;       // FIN received (in order)
  bool ooo_fin = false;        // FIN seen beyond a hole at ooo_fin_seq
  bool ack_now = false;        // send an ACK at the next output
  bool want_writable = false;  // service waits for send space
  uint16_t mss = 536;          // effective send MSS (payload bytes)
  uint16_t listener = 0;
  uint32_t svc_arg = 0;  // the listener's ServiceConfig::arg (it may go away first)
  uint32_t idx = 0;      // own index in the pool

  // --- send sequence space (RFC 9293 3.3.1)
  Seq iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
  uint32_t snd_wnd = 0, max_snd_wnd = 0;
  // --- receive sequence space
  Seq irs, rcv_nxt, rcv_adv;  // rcv_adv: right edge last advertised
  Seq rcv_high;               // the peer's highest SND.NXT seen (input.cpp, acceptable())
  Seq last_ack_sent;
  uint32_t ts_recent = 0;
  Seq ooo_fin_seq;
  uint16_t unacked_segs = 0;  // full segments received since our last ACK

  // --- RTT (RFC 6298), microseconds
  uint32_t srtt = 0, rttvar = 0, rto = 0;
  Seq rtt_seq;  // Karn: the segment being timed (no timestamps)
  uint64_t rtt_start = 0;
  bool rtt_timing = false;
  uint8_t backoff = 0;  // consecutive expirations of t_rtx (RTO, persist, SYN or SYN-ACK retry)
  CcState cc;
  RangeSet sacked;  // peer's SACK blocks above SND.UNA (the scoreboard)
  Seq rtx_next;     // recovery: next candidate for retransmission

  // --- timers: absolute deadlines in microseconds, 0 = off
  // t_rtx is the protocol deadline, for the purpose rtx_timer names (one at
  // a time: retransmission, tail loss probe, persist, SYN or SYN-ACK retry,
  // TIME_WAIT, FIN_WAIT_2); both are set only through Engine::arm_rtx(),
  // set_rtx() and stop_rtx().
  uint64_t t_rtx = 0;
  uint64_t t_delack = 0;
  uint64_t t_keepalive = 0;
  RtxTimer rtx_timer = RtxTimer::Off;  // what t_rtx is for
  bool tlp_sent = false;               // a probe went since SND.UNA last advanced
  uint32_t answer_ms = 0;  // ms clock of the last rate-limited answer (Engine::answer_allowed)
  // Service timer (0 = off): the service's own deadline (t_app,
  // Stream::set_timer) if it set one, else the idle deadline
  // (Engine::service_deadline; docs/tcp.md "Service timers").
  uint64_t t_svc = 0;
  uint64_t t_app = 0;
  uint64_t t_active = 0;        // us: last data received or acknowledged (pool pressure)
  uint16_t svc_timeout_s = 0;   // the listener's header_timeout (it may go away first)
  uint16_t idle_to_s = 0;       // the listener's idle_timeout
  bool svc_abort = false;       // the service asked for RST (Stream::abort)
  bool release_queued = false;  // in Engine::release_q_
  uint8_t keepalive_probes = 0;
  uint8_t probes_out = 0;  // zero-window probes sent since the peer's last acceptable ACK

  ByteRing snd, rcv;
  OooSet ooo;    // out-of-order data held in rcv beyond its in-order part
  Seq ooo_last;  // start of the newest out-of-order segment (first SACK block)
  Seq fin_seq;   // our FIN's sequence number, once sent
  // Cold, after the fields the established path reads (they keep their
  // offsets): the active open's first SYN (us; connect timeout, SYN RTT
  // sample, Stream::t_open) and a Stream::abandon() waiting for output.
  uint64_t t_open = 0;
  bool svc_abandon = false;
  uint8_t group = 0;  // active opens: the client group (< kMaxClientGroups) it belongs to
  // One past our last data byte: the FIN's sequence number once it is sent,
  // else SND.UNA + the bytes still held in the send buffer.
  Seq data_end() const { return fin_sent ? fin_seq : snd_una + snd.size(); }

  alignas(8) std::byte svc_state[kServiceStateBytes];  // the service's (Stream::state)
};

// Memory from the pool for whichever of the connection's rings has none
// (a connection takes it on first use and gives it back once drained:
// Engine::queue_release). False, and nothing taken, when the pool has too
// few blocks. Both the engine (Engine::ensure_mem) and a service
// (Stream::take_buffers) come here.
inline bool attach_buffers(Conn& c, BufPool& pool, uint64_t now_us) {
  const uint32_t need = (c.snd.has_mem() ? 0u : 1u) + (c.rcv.has_mem() ? 0u : 1u);
  if (need == 0) return true;
  if (pool.available() < need) return false;
  if (!c.snd.has_mem()) c.snd.give_mem(pool.get());
  if (!c.rcv.has_mem()) c.rcv.give_mem(pool.get());
  c.t_active = now_us;  // taking memory is progress (pressure_pass)
  return true;
}

}  // namespace pmx::tcp
