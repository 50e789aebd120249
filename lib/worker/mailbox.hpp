// Messages into a worker. Each worker has one inbox: an rte_ring of 16-byte
// elements, multi-producer (the control plane and sibling workers post to it),
// single-consumer (its worker). Nothing on it is per packet: control requests
// and neighbour updates only. The worker acknowledges a request by storing its
// sequence number in its ack word once it is done with it.
#pragma once

#include <cstdint>

namespace pmx::worker {

enum class MsgType : uint8_t {
  PortPause,         // stop polling/sending on port; ack when no longer touching it
  PortResume,        // poll port again (and announce our addresses if worker 0)
  NeighSnapshot,     // copy the neighbour table into *(NeighSnapshot*)arg
  NeighUpdate,       // a sibling learned port/ip is at mac (arg: MAC in low 48 bits)
  Stop,              // leave the loop
  Listen,            // add the listener *(TcpRequest*)arg
  Unlisten,          // remove the listener *(TcpRequest*)arg
  ConnSnapshot,      // copy the connections into *(ConnSnapshot*)arg
  FlowInfo,          // fill *(FlowInfo*)arg
  ListenerSnapshot,  // copy the listener table into *(ListenerSnapshot*)arg
  GenStart,          // run the generator plan *(const gen::RunPlan*)arg
  GenStop,           // stop the generator: reset its connections
};

struct alignas(16) Msg {
  MsgType type;
  uint8_t reserved = 0;
  uint16_t port = 0;
  uint32_t word = 0;  // request: sequence number; NeighUpdate: IPv4 (network order)
  uint64_t arg = 0;   // request payload pointer, or a MAC
};
static_assert(sizeof(Msg) == 16);

}  // namespace pmx::worker
