// Messages into a worker. Each worker has one inbox: an rte_ring of 32-byte
// elements, multi-producer (the control plane and sibling workers post to it),
// single-consumer (its worker). Nothing on it is per packet: control requests
// and neighbour updates only. The worker acknowledges a request by storing its
// sequence number in its ack word once it is done with it.
//
// Each message type names its payload type once, in PayloadOf below; a
// message is built only by make_msg<T>() and read only by payload<T>(), the
// one place where a pointer becomes the 64-bit word and back. Passing the
// wrong payload type for T does not compile (tests/unit/test_mailbox.cpp).
#pragma once

#include "net/addr.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace pmx::gen {
struct RunSet;
}

namespace pmx::worker {

// The request buffers (worker.hpp). The control plane owns them until the
// worker's ack; the worker writes its answer into them before acking.
struct TcpRequest;
struct ConnSnapshot;
struct ListenerSnapshot;
struct FlowInfo;
struct NeighSnapshot;

enum class MsgType : uint8_t {
  PortPause,      // stop polling/sending on port; ack when no longer touching it
  PortResume,     // poll port again (and announce our addresses if worker 0)
  NeighSnapshot,  // copy the neighbour table into the NeighSnapshot
  NeighUpdate,    // a sibling learned iface/ip is at mac (Msg::port: the interface) (not a request:
                  // no ack)
  Stop,           // leave the loop
  Listen,         // add the listener of the TcpRequest
  Unlisten,       // remove the listener of the TcpRequest
  ConnSnapshot,   // copy the connections into the ConnSnapshot
  FlowInfo,       // fill the FlowInfo
  ListenerSnapshot,  // copy the listener table into the ListenerSnapshot
  GenStart,          // run the generator's groups (the control plane keeps the set alive)
  GenStop,           // stop the generator: reset its connections
};

// NeighUpdate's payload: an address of either family and a MAC in the low
// 48 bits (byte i at bits 8i..8i+7).
struct NeighAddr {
  net::IpAddr ip;
  uint64_t mac48;
};

// 32 bytes: an IPv6 address and a MAC do not fit in 16 (issue 13). Two
// messages per cache line; nothing on the inbox is per packet.
struct alignas(16) Msg {
  MsgType type;
  uint8_t v6 = 0;  // NeighUpdate: addr is IPv6
  uint16_t port = 0;
  uint32_t word = 0;      // request: sequence number (the poster stamps it)
  uint64_t arg = 0;       // the payload pointer, or NeighUpdate's MAC
  uint8_t addr[16] = {};  // NeighUpdate: the address (IpAddr's byte layout)
};
static_assert(sizeof(Msg) == 32);
static_assert(std::is_trivially_copyable_v<Msg>, "copied by rte_ring");

// What a message of type T carries: void (nothing beyond Msg::port), a
// pointer to a request buffer, or a NeighAddr. No default: a new MsgType
// does not compile until it is listed here.
template <MsgType T>
struct PayloadOf;
template <MsgType T>
using Payload = typename PayloadOf<T>::type;

// clang-format off
template <> struct PayloadOf<MsgType::PortPause> { using type = void; };
template <> struct PayloadOf<MsgType::PortResume> { using type = void; };
template <> struct PayloadOf<MsgType::NeighSnapshot> { using type = NeighSnapshot*; };
template <> struct PayloadOf<MsgType::NeighUpdate> { using type = NeighAddr; };
template <> struct PayloadOf<MsgType::Stop> { using type = void; };
template <> struct PayloadOf<MsgType::Listen> { using type = TcpRequest*; };
template <> struct PayloadOf<MsgType::Unlisten> { using type = TcpRequest*; };
template <> struct PayloadOf<MsgType::ConnSnapshot> { using type = ConnSnapshot*; };
template <> struct PayloadOf<MsgType::FlowInfo> { using type = FlowInfo*; };
template <> struct PayloadOf<MsgType::ListenerSnapshot> { using type = ListenerSnapshot*; };
template <> struct PayloadOf<MsgType::GenStart> { using type = const gen::RunSet*; };
template <> struct PayloadOf<MsgType::GenStop> { using type = void; };
// clang-format on

// A message of type T without payload, about `port` where T names one.
template <MsgType T>
requires std::is_void_v<Payload<T>>
constexpr Msg make_msg(uint16_t port = 0) { return Msg{T, 0, port, 0, 0, {}}; }

// A message of type T carrying p.
template <MsgType T>
requires(!std::is_void_v<Payload<T>>) Msg make_msg(Payload<T> p, uint16_t port = 0) {
  if constexpr (std::is_pointer_v<Payload<T>>) {
    return Msg{T, 0, port, 0, reinterpret_cast<uint64_t>(p), {}};
  } else {
    Msg m{T, p.ip.v6, port, 0, p.mac48, {}};
    std::memcpy(m.addr, p.ip.b.data(), sizeof m.addr);
    return m;
  }
}

// The payload of m, which must be of type T (the caller switched on m.type).
template <MsgType T>
requires(!std::is_void_v<Payload<T>>) Payload<T> payload(const Msg& m) {
  if constexpr (std::is_pointer_v<Payload<T>>) {
    return reinterpret_cast<Payload<T>>(m.arg);
  } else {
    NeighAddr a{{}, m.arg};
    std::memcpy(a.ip.b.data(), m.addr, sizeof m.addr);
    a.ip.v6 = m.v6 != 0;
    return a;
  }
}

}  // namespace pmx::worker
