// A worker lcore: owns one RX and one TX queue on every port, its neighbour
// table, its counters, its inbox. Run to completion: burst RX, classify and
// answer, batched TX, then housekeeping. Nothing here locks, allocates from
// the heap or calls virtually per packet.
#pragma once

#include "clock.hpp"
#include "gen/generator.hpp"
#include "mailbox.hpp"
#include "net/addr.hpp"
#include "net/neigh.hpp"
#include "port/steer.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"
#include "tcp/wire.hpp"

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pmx::worker {

inline constexpr uint16_t kMaxPorts = 32;
inline constexpr uint16_t kMaxBurst = 512;
// Interfaces (docs/architecture.md, "Interfaces and VLANs"): one untagged
// per port, whose index is the port's id, and one per configured (port,
// VLAN) after them. The flow key and the neighbour table carry the index.
inline constexpr uint16_t kMaxIfaces = 64;
inline constexpr uint16_t kNoIface = UINT16_MAX;

// What every worker reads and nobody writes once workers run.
struct PortConfig {
  // The interface a frame received on this port belongs to, by its VLAN id
  // (0: untagged); kNoIface: none (vlan_unknown, or vlan_untagged on a port
  // whose interfaces are all VLANs). 8 KiB per port, one load per frame.
  std::array<uint16_t, 4096> iface_of_vlan;
  PortConfig() { iface_of_vlan.fill(kNoIface); }
  bool vlan_insert = false;  // the port tags in hardware (TX offload VLAN_INSERT)
  uint16_t burst = 32;
  bool rx_ip_cksum = false;   // the NIC verifies IPv4 header checksums
  bool rx_tcp_cksum = false;  // the NIC verifies TCP checksums
  // --kernel-port: the TAP port (ethdev id) what this port does not
  // consume goes up to; kNoPort: none. One RX and one TX queue per worker.
  static constexpr uint16_t kNoPort = UINT16_MAX;
  uint16_t kernel_port = kNoPort;
  tcp::TxCsum tx_csum;  // checksums the NIC computes on the way out
  bool tso = false;     // the NIC cuts TSO segments (tcp::EngineConfig::tso_max)
  port::RssInfo steer;  // how the port spreads received frames (passive_owner())
};

// A segment handed from the core that received it to the core that owns its
// 4-tuple (docs/architecture.md, "Which core owns a connection"): the parsed
// segment, whose pointers point into m's data, and m, which the owner frees
// once its engine has taken the segment.
struct Handoff {
  tcp::Seg seg;
  rte_mbuf* m;
};
static_assert(sizeof(Handoff) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

class Worker;

// The rings between workers: one single-producer single-consumer rte_ring
// per ordered pair (i -> j), made by the control plane before the workers
// run and freed after they stopped. Empty with one worker.
class HandoffRings {
 public:
  static constexpr unsigned kSize = 1024;  // per pair; a full ring drops (tcp_handoff_ring_full)
  explicit HandoffRings(const std::vector<Worker*>& workers);
  ~HandoffRings();
  HandoffRings(const HandoffRings&) = delete;
  HandoffRings& operator=(const HandoffRings&) = delete;

 private:
  std::vector<rte_ring*> rings_;
};

struct Shared {
  std::vector<PortConfig> ports;    // by ethdev port id
  std::vector<net::PortIp> ifaces;  // by interface index; ifaces[p] is port p's untagged one
  rte_mempool* pool = nullptr;
  uint64_t hz = 0;  // TSC ticks per second
  net::NeighTimes neigh_times{};
  size_t neigh_capacity = 1024;
  tcp::EngineConfig tcp;                // lcore and ISN key are set per worker
  std::vector<tcp::ListenSpec> listen;  // listeners at start-up
  // --kernel-tcp-ports: bit p set when an unclaimed segment to local TCP
  // port p goes up to the kernel port (all set without the option).
  std::vector<uint8_t> kernel_tcp = std::vector<uint8_t>(8192, 0xff);
  bool kernel_any = false;  // some port has a kernel port
};

// Control requests about TCP; the control plane owns them until acked.
struct TcpRequest {
  tcp::ListenSpec spec;
  int result = 0;  // written by the worker: listener index or -errno
};
struct ConnSnapshot {
  tcp::ConnRow* rows;
  size_t cap;
  size_t n;  // written by the worker
};
struct ListenerSnapshot {
  tcp::Listener* rows;
  size_t cap;
  size_t n;  // written by the worker
};
struct FlowInfo {
  uint64_t entries, capacity, insert_failures, conns, bufs_in_use, bufs_total;
};

struct NeighRow {
  unsigned lcore;
  uint16_t iface;  // interface index (Shared::ifaces)
  net::IpAddr ip;  // either family
  rte_ether_addr mac;
  net::NeighState state;
  uint64_t age_ms;  // since last confirmation
  uint8_t pending;
};

struct NeighSnapshot {
  NeighRow* rows;
  size_t cap;
  size_t n;  // written by the worker
};

class Worker {
 public:
  Worker(const Shared& shared, unsigned index, unsigned lcore, uint16_t queue, unsigned nworkers);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void set_siblings(std::vector<Worker*> all) { siblings_ = std::move(all); }
  // Before run(): the rings to and from worker `peer` (HandoffRings).
  void set_handoff(unsigned peer, rte_ring* to, rte_ring* from) {
    ho_out_.at(peer) = to;
    ho_in_.at(peer) = from;
    ho_any_ = ho_any_ || from;
  }

  // The lcore's entry point (rte_eal_remote_launch).
  int run();

  // --- Any thread.
  bool post(const Msg& m);  // false: inbox full
  uint32_t acked() const { return ack_.load(std::memory_order_acquire); }
  const stats::Counters& counters() const { return ctr_; }
  unsigned lcore() const { return lcore_; }
  unsigned index() const { return index_; }
  uint16_t queue() const { return queue_; }
  // TSC ticks spent in loop iterations that found work, and in all of them.
  // One pair, so that busy <= total holds in what a reader sees: the loop
  // stores total, then busy (release); loop_cycles() loads busy (acquire),
  // then total, which is at least as recent.
  struct LoopCycles {
    uint64_t busy, total;
  };
  LoopCycles loop_cycles() const {
    const uint64_t busy = busy_.load(std::memory_order_acquire);
    return {busy, total_.load(std::memory_order_relaxed)};
  }
  bool running() const { return running_.load(std::memory_order_acquire); }
  // The generator's published state and latency histograms (relaxed reads).
  const gen::Generator& generator() const { return *gen_; }

 private:
  struct TxBuf {
    uint16_t n = 0;
    rte_mbuf* pkts[kMaxBurst];
  };

  void poll_port(uint16_t port, Tsc now);
  // true: m carries the TCP segment now in seg (freed after the burst)
  bool handle(uint16_t port, rte_mbuf* m, Tsc now, tcp::Seg& seg);
  void tcp_output(Tsc now);
  // The engine's miss hook: hands s to the worker owning its 4-tuple.
  static bool on_miss(void* self, const tcp::Seg& s);
  bool hand_off(const tcp::Seg& s);
  uint16_t owner_of(const flow::FlowKey& k) const;
  void drain_handoffs(Tsc now);
  // The engine's clock, microseconds since start-up: a multiply and a shift (the loop calls it
  // twice a turn; a 128-bit division cost ~70 instructions each).
  // us_mult_ = 2^kUsShift * 10^6 / hz: relative error < 2^-28, and the
  // product fits 128 bits for centuries of TSC ticks.
  static constexpr unsigned kUsShift = 40;
  uint64_t usec(Tsc tsc) const {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(tsc - tsc_base_) * us_mult_) >>
                                 kUsShift);
  }
  // Sends m (a whole IPv4 or IPv6 frame) towards dst: the Ethernet
  // destination is dst's next hop's MAC, resolved by ARP or ND first.
  // iface: an interface index (Shared::ifaces), here and below where named so.
  // The kernel exception path (kernel_path.cpp).
  bool to_kernel(uint16_t port, rte_mbuf* m);
  void copy_to_kernel(uint16_t port, rte_mbuf* m);
  static bool on_kernel_tcp(void* self, const tcp::Seg& s);
  void poll_kernel(Tsc now);
  rte_mbuf* frame_of(const tcp::OutSeg& s, const net::PortIp& ip);
  bool append_payload(rte_mbuf* head, uint32_t hlen, const tcp::OutSeg& s);
  void route(uint16_t iface, rte_mbuf* m, net::IpAddr dst, Tsc now);
  void learn(uint16_t iface, const net::IpAddr& ip, const rte_ether_addr& mac, Tsc now, bool create,
             bool share);
  // Sends m out of iface: tagged with its VLAN (in software, or by the NIC
  // with VLAN_INSERT), then send() on its port.
  void send_if(uint16_t iface, rte_mbuf* m);
  void send(uint16_t port, rte_mbuf* m);
  void flush(uint16_t port);
  void flush_all();
  void discard_tx(uint16_t port, stats::Ctr why);
  void drop(rte_mbuf* m, stats::Ctr c);
  void send_arp_request(uint16_t iface, net::Ipv4Addr target);
  // RFC 4861 7.2.2: to target's solicited-node group, or (unicast, a
  // PROBE-state entry, 7.3.3) to `to`.
  void send_ns(uint16_t iface, const net::Ipv6Addr& target, const rte_ether_addr* to);
  void send_solicit(uint16_t iface, const net::IpAddr& target, const rte_ether_addr* to);
  // Every interface of port.
  void announce(uint16_t port);
  void announce_iface(uint16_t iface);
  void announce6(uint16_t iface, const net::Ipv6Addr& a);
  void housekeeping(Tsc now);
  bool drain_inbox(Tsc now);  // false: Stop received
  void snapshot(NeighSnapshot& s, Tsc now) const;

  const Shared& sh_;
  const unsigned index_;
  const unsigned lcore_;
  const uint16_t queue_;
  const unsigned nworkers_;
  rte_ring* inbox_ = nullptr;
  std::vector<rte_ring*> ho_out_, ho_in_;  // per worker index; null for itself
  bool ho_any_ = false;                    // some ho_in_ is set
  std::vector<Worker*> siblings_;
  net::NeighTable<rte_mbuf*> neigh_;
  std::array<bool, kMaxPorts> active_{};
  std::array<uint8_t, kMaxPorts> announce_left_{};
  Tsc next_announce_;
  Tsc next_age_;
  Tsc next_kernel_;  // the kernel ports' next poll (every 100 us)
  uint64_t kernel_tokens_ =
      0;  // frames that may still go up (poll_kernel() adds 5 per 100 us, to 500)
  std::unique_ptr<std::array<TxBuf, kMaxPorts>> tx_;
  std::unique_ptr<std::array<tcp::Seg, kMaxBurst>> segs_;   // the burst's parsed segments
  std::unique_ptr<std::array<rte_mbuf*, kMaxBurst>> held_;  // their mbufs (null: handed off)
  unsigned nheld_ = 0;                                      // segs_/held_ in the engine now
  std::unique_ptr<flow::FlowTable> flows_;
  std::unique_ptr<tcp::Engine> tcp_;
  std::unique_ptr<gen::Generator> gen_;
  Tsc tsc_base_;
  uint64_t us_mult_ = 0;
  uint16_t ip_id_ = 0;

  stats::Counters ctr_;
  alignas(64) std::atomic<uint32_t> ack_{0};
  std::atomic<uint64_t> busy_{0};
  std::atomic<uint64_t> total_{0};
  std::atomic<bool> running_{false};
};

}  // namespace pmx::worker
