// Reply steering for locally opened (client) connections.
//
// Worker i owns RX/TX queue i on every port. When worker i opens a TCP
// connection, the server's replies must arrive on RX queue i, so worker i has
// to pick a source (IP, port) whose *reply* the NIC steers to queue i. This
// file models that steering and precomputes, per worker, the source tuples
// that satisfy it.
//
// The model (Toeplitz RSS), per Microsoft's "RSS hashing functions" and
// "Verifying the RSS hash calculation" (learn.microsoft.com/windows-hardware/
// drivers/network/) and DPDK's rte_thash.h / app/test/test_thash.c:
//   hash  = Toeplitz(key, SourceAddress | DestinationAddress | SourcePort |
//                         DestinationPort)            (bytes as on the wire)
//   queue = reta[hash & (reta_size - 1)]              (the low bits index the
//                                                      RETA; reta_size is a
//                                                      power of two)
// computed over the *received* packet, i.e. the reply: source = server,
// destination = us. NICs hash IPv4/TCP this way when the port's rss_hf
// includes RTE_ETH_RSS_NONFRAG_IPV4_TCP (ipv4-tcp in drivers_cfg/), and
// IPv6/TCP the same way over the 16-byte addresses (36 input bytes, so 40
// key bytes: Microsoft's "IPv6 with TCP" hash type) when it includes
// RTE_ETH_RSS_NONFRAG_IPV6_TCP (ipv6-tcp).
//
// Not modelled (query_rss() answers Unpredictable or the port is simply not
// checked): rte_flow RSS actions or a non-Toeplitz hash function set by
// other means, *_SRC_ONLY/*_DST_ONLY field selection, tunnels (inner hash).
// A caller that wants certainty can compare the mbuf's RSS hash
// (RTE_MBUF_F_RX_RSS_HASH) of the first replies with reply_hash().
//
// The pools are built once at generator start (control plane) and are
// read-only afterwards. reply_queue() and passive_owner() also run on a
// worker, for segments that missed its flow table (handoff): they neither
// allocate nor lock.
#pragma once

#include "net/addr.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pmx::port {

// How replies are spread over a port's RX queues.
struct RssInfo {
  enum class Mode : uint8_t {
    // One queue: every reply lands on queue 0 (worker 0).
    Single,
    // Toeplitz RSS with `key` and `reta` as read back from the port.
    Toeplitz,
    // The peer pairs queues (net_memif, net_ring): a reply comes back on the
    // queue its request left on, so any tuple works for any worker. Tuples
    // are still split into disjoint slices so two workers never pick the same
    // one: slice of a tuple = local port % nb_queues.
    QueuePair,
    // The queue a reply reaches cannot be predicted (e.g. net_af_packet with
    // qpairs>1: the kernel's PACKET_FANOUT_HASH uses a random per-boot seed).
    // `why` says why in one line; the generator must not start with >1 worker.
    Unpredictable,
  };
  Mode mode = Mode::Unpredictable;
  std::vector<uint8_t> key;    // Toeplitz: the port's key, wire byte order
  std::vector<uint16_t> reta;  // Toeplitz: queue per RETA entry; size 2^k
  // Toeplitz: rss_hf also hashes IPv6/TCP on addresses and ports (ipv6-tcp),
  // so IPv6 replies are steered by reply_queue6(). False: where an IPv6
  // segment lands is not modelled (pools refuse, passive_owner6() falls back
  // to sym_tuple_hash6()).
  bool v6_tcp = false;
  uint16_t nb_queues = 0;  // RX queues configured on the port
  std::string why;         // one-line description (or reason), for logs
};

// The queue reply_queue() returns when it cannot tell (Unpredictable).
inline constexpr uint16_t kNoQueue = 0xffff;

// A source for an outgoing connection, host byte order. ip is the IPv4
// address; in an IPv6 pool (PoolSpec::v6) it is the index of the address in
// PoolSpec::src_ips6, so that a tuple stays 8 bytes in either family.
struct SrcTuple {
  uint32_t ip;
  uint16_t port;
  friend bool operator==(const SrcTuple&, const SrcTuple&) = default;
};

// Toeplitz hash of an IPv4/TCP reply from server_ip:server_port to
// local_ip:local_port (all host order), as a NIC computes it with `key` (wire
// byte order, e.g. what rte_eth_dev_rss_hash_conf_get() returns; at least 16
// bytes are used, a shorter key is zero-padded). Uses DPDK's rte_softrss()
// over an rte_ipv4_tuple {src = server, dst = local}.
uint32_t reply_hash(const std::vector<uint8_t>& key, uint32_t server_ip, uint16_t server_port,
                    uint32_t local_ip, uint16_t local_port);

// The same for the IPv4-only (2-tuple) hash type; used by the self-test.
uint32_t reply_hash_l3(const std::vector<uint8_t>& key, uint32_t server_ip, uint32_t local_ip);

// The IPv6/TCP hash: rte_softrss() over an rte_ipv6_tuple {src = server,
// dst = local} (RTE_THASH_V6_L4_LEN words: SourceAddress, DestinationAddress,
// SourcePort, DestinationPort as on the wire). Uses 40 key bytes (a shorter
// key is zero-padded). Ports host order.
uint32_t reply_hash6(const std::vector<uint8_t>& key, const net::Ipv6Addr& server_ip,
                     uint16_t server_port, const net::Ipv6Addr& local_ip, uint16_t local_port);
// The IPv6-only (2-tuple, RTE_THASH_V6_L3_LEN) hash type; used by the self-test.
uint32_t reply_hash6_l3(const std::vector<uint8_t>& key, const net::Ipv6Addr& server_ip,
                        const net::Ipv6Addr& local_ip);

// The RX queue a reply from server to local reaches:
//   Single: 0; Toeplitz: reta[reply_hash(...) & (reta.size() - 1)];
//   QueuePair: local_port % nb_queues (the slice owner; any queue would do);
//   Unpredictable, or a Toeplitz info without a usable key/power-of-two
//   RETA: kNoQueue.
uint16_t reply_queue(const RssInfo& info, uint32_t server_ip, uint16_t server_port,
                     uint32_t local_ip, uint16_t local_port);
// The same for an IPv6 reply: Toeplitz needs info.v6_tcp and a key of at
// least 40 bytes (else kNoQueue); Single and QueuePair as for IPv4.
uint16_t reply_queue6(const RssInfo& info, const net::Ipv6Addr& server_ip, uint16_t server_port,
                      const net::Ipv6Addr& local_ip, uint16_t local_port);

// Which worker owns a passively opened connection (we received the SYN):
// every worker computes it from the 4-tuple alone, so a segment of the
// connection that reaches any worker is handed to this one, and a SYN that
// reaches the wrong worker is handed over too, so that the connection is
// created where its later segments will be sent. The rule follows the
// port's steering so that, where steering is predictable, segments arrive
// at their owner and nothing is handed off:
//   Single:        0
//   Toeplitz:      the queue the NIC picks for the received segment
//                  (reply_queue() with remote as the "server")
//   QueuePair:     remote_port % workers (a portmux peer sends from queue
//                  local_port % n, which arrives on our queue of that index)
//   Unpredictable: sym_tuple_hash() reduced to [0, workers) (net_af_packet:
//                  the kernel's fanout hash is seeded at random and moves a
//                  flow when the Linux peer re-hashes it, so every rule
//                  hands some segments off; this one at least is fixed)
// Always < workers (workers >= 1). Host byte order.
uint16_t passive_owner(const RssInfo& info, uint32_t local_ip, uint16_t local_port,
                       uint32_t remote_ip, uint16_t remote_port, uint16_t workers);
// The same rule for an IPv6 4-tuple, with reply_queue6() for Toeplitz and
// sym_tuple_hash6() where that cannot tell (Unpredictable, or a port whose
// RSS does not hash IPv6/TCP: info.v6_tcp false).
uint16_t passive_owner6(const RssInfo& info, const net::Ipv6Addr& local_ip, uint16_t local_port,
                        const net::Ipv6Addr& remote_ip, uint16_t remote_port, uint16_t workers);

// A hash of the 4-tuple that is the same in both directions (swapping local
// and remote): XOR of the addresses and of the ports, then a multiplicative
// mix so that the high bits depend on every input bit.
uint32_t sym_tuple_hash(uint32_t ip_a, uint16_t port_a, uint32_t ip_b, uint16_t port_b);
// The same over IPv6 addresses: the XOR of the addresses folded to 64 bits,
// the ports' XOR added, then a 64-bit finalizer (every output bit depends on
// every input bit).
uint32_t sym_tuple_hash6(const net::Ipv6Addr& ip_a, uint16_t port_a, const net::Ipv6Addr& ip_b,
                         uint16_t port_b);

// Checks rte_softrss() (as wrapped by reply_hash/reply_hash_l3) against the
// five IPv4 rows of Microsoft's RSS verification suite (also DPDK's
// test_thash.c v4_tbl, from the 82599 datasheet 7.1.2.8.3), both the 4-tuple
// and the 2-tuple hash, and that the symmetric 0x6d5a key hashes both
// directions alike; then reply_hash6/reply_hash6_l3 against the suite's three
// IPv6 rows (also test_thash.c v6_tbl) and the symmetric key over them. False
// means the software hash cannot be trusted and the generator must not start.
// Needs no EAL.
bool softrss_selftest();

// Reads how port_id spreads received packets over its first nb_queues RX
// queues. Needs EAL. Call it after start_port(): a PMD may program its
// default (round-robin) RETA only when the port starts, and net_null leaves
// it all zeros until rte_eth_dev_rss_reta_update() (build_tuple_pools() then
// reports the workers left without tuples).
//   nb_queues <= 1                               -> Single
//   RSS on (mq_mode RSS, rss_hf has ipv4-tcp and no *_ONLY field selection,
//   key and a power-of-two RETA read back)       -> Toeplitz (v6_tcp: rss_hf
//                                                   has ipv6-tcp too)
//   else driver net_memif or net_ring            -> QueuePair
//   else                                         -> Unpredictable
RssInfo query_rss(uint16_t port_id, uint16_t nb_queues);

// What to build pools for: IPv4 (server_ip, src_ips) or, with v6 set, IPv6
// (server6, src_ips6; the tuples' ip is then an index into src_ips6).
struct PoolSpec {
  uint32_t server_ip = 0;  // host order
  uint16_t server_port = 0;
  std::vector<uint32_t> src_ips;  // our source addresses, host order, no duplicates
  bool v6 = false;
  net::Ipv6Addr server6{};
  std::vector<net::Ipv6Addr> src_ips6;  // v6: our source addresses, no duplicates
  uint16_t port_lo = 0;                 // ephemeral source ports [port_lo, port_hi], port_lo >= 1
  uint16_t port_hi = 0;
  uint16_t workers = 0;  // W; worker i <-> queue i
};

struct TuplePools {
  // per_worker[i]: the tuples worker i may use. Invariants when ok():
  //  - reply_queue(info, server, t) == i for every t in per_worker[i]
  //    (Single: i == 0; QueuePair: t.port % nb_queues == i); for IPv6,
  //    reply_queue6(info, server6, src_ips6[t.ip], t.port) == i;
  //  - the lists are pairwise disjoint, and together hold every (ip, port) of
  //    the spec whose reply queue is < workers, each exactly once;
  //  - no list is empty;
  //  - order: ports ascending, and for each port the source IPs in spec order,
  //    so consecutive picks alternate source IPs and a tuple comes round
  //    again only after the whole list (longest TIME_WAIT distance).
  std::vector<std::vector<SrcTuple>> per_worker;
  // Empty on success. Otherwise one line: a bad spec or info (per_worker is
  // then empty), or the workers left without tuples (per_worker is filled).
  std::string error;
  bool ok() const { return error.empty(); }
};

// Builds the per-worker pools (allocates; control plane, once). Cost: one
// hash per source IP and per port, then one XOR and a RETA lookup per tuple
// (Toeplitz is linear over GF(2)). Memory: 8 bytes per tuple.
TuplePools build_tuple_pools(const RssInfo& info, const PoolSpec& spec);

}  // namespace pmx::port
