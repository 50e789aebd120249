#include "worker.hpp"

#include "flow/rte_flow_table.hpp"
#include "net/arp.hpp"
#include "net/ingress.hpp"
#include "net/nd_build.hpp"
#include "net/vlan.hpp"
#include "stats/log.hpp"
#include "tcp/wire.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include <cstring>
#include <stdexcept>

namespace pmx::worker {

using stats::Ctr;
using Kind = net::Outcome::Kind;

namespace {
constexpr unsigned kInboxSize = 1024;
constexpr unsigned kAnnouncements = 2;  // RFC 5227 ANNOUNCE_NUM

rte_ether_addr mac_from(uint64_t v) {
  rte_ether_addr m;
  for (int i = 0; i < RTE_ETHER_ADDR_LEN; ++i) m.addr_bytes[i] = static_cast<uint8_t>(v >> (8 * i));
  return m;
}
Tsc tsc_now() { return Tsc{rte_rdtsc()}; }

uint64_t mac_to(const rte_ether_addr& m) {
  uint64_t v = 0;
  for (int i = 0; i < RTE_ETHER_ADDR_LEN; ++i) v |= uint64_t{m.addr_bytes[i]} << (8 * i);
  return v;
}
}  // namespace

Worker::Worker(const Shared& shared, unsigned index, unsigned lcore, uint16_t queue,
               unsigned nworkers)
    : sh_(shared),
      index_(index),
      lcore_(lcore),
      queue_(queue),
      nworkers_(nworkers),
      ho_out_(nworkers, nullptr),
      ho_in_(nworkers, nullptr),
      neigh_(shared.neigh_capacity, shared.neigh_times),
      tx_(std::make_unique<std::array<TxBuf, kMaxPorts>>()),
      segs_(std::make_unique<std::array<tcp::Seg, kMaxBurst>>()),
      held_(std::make_unique<std::array<rte_mbuf*, kMaxBurst>>()) {
  char name[RTE_RING_NAMESIZE];
  std::snprintf(name, sizeof name, "pmx_inbox_%u", index);
  inbox_ = rte_ring_create_elem(name, sizeof(Msg), kInboxSize, rte_lcore_to_socket_id(lcore),
                                RING_F_SC_DEQ);
  if (!inbox_) throw std::runtime_error(std::string("cannot create ") + name);
  flows_ = std::make_unique<flow::RteFlowTable>(sh_.tcp.max_flows,
                                                static_cast<int>(rte_lcore_to_socket_id(lcore)));
  tcp::EngineConfig cfg = sh_.tcp;
  cfg.lcore = lcore;
  tcp_ = std::make_unique<tcp::Engine>(cfg, *flows_, ctr_);
  gen_ = std::make_unique<gen::Generator>(*tcp_, ctr_, index, nworkers);
  if (nworkers > 1) tcp_->set_miss_hook(&Worker::on_miss, this);
  if (sh_.kernel_any) tcp_->set_kernel_hook(&Worker::on_kernel_tcp, this);
  for (const tcp::ListenSpec& l : sh_.listen)
    if (tcp_->listen(l) < 0) throw std::runtime_error("cannot add a listener");
  tsc_base_ = tsc_now();
  us_mult_ = static_cast<uint64_t>(
      ((static_cast<unsigned __int128>(1000000) << kUsShift) + sh_.hz / 2) / sh_.hz);
  for (size_t p = 0; p < sh_.ports.size(); ++p) {
    active_[p] = true;
    announce_left_[p] = index_ == 0 ? kAnnouncements : 0;
  }
}

Worker::~Worker() { rte_ring_free(inbox_); }

bool Worker::post(const Msg& m) {
  // rte_ring's API takes a non-const pointer but only reads the element.
  return rte_ring_mp_enqueue_elem(inbox_, const_cast<Msg*>(&m), sizeof m) == 0;
}

int Worker::run() {
  running_.store(true, std::memory_order_release);
  PMX_LOG(INFO, "worker %u on lcore %u: queue %u on %zu port(s)", index_, lcore_, queue_,
          sh_.ports.size());
  const uint16_t nports = static_cast<uint16_t>(sh_.ports.size());
  uint64_t busy = 0, total = 0;
  for (;;) {
    const Tsc t0 = tsc_now();
    const uint64_t rx_before = ctr_.get(Ctr::rx_frames);
    for (uint16_t p = 0; p < nports; ++p)
      if (active_[p]) poll_port(p, t0);
    if (ho_any_) drain_handoffs(t0);
    if (sh_.kernel_any && t0 >= next_kernel_) poll_kernel(t0);
    gen_->tick(usec(t0));
    tcp_->poll(usec(t0));
    tcp_output(t0);
    flush_all();
    if (!drain_inbox(t0)) break;
    if (t0 >= next_age_) housekeeping(t0);
    const uint64_t dt = tsc_now() - t0;
    total += dt;
    if (ctr_.get(Ctr::rx_frames) != rx_before) busy += dt;
    // Published for the control plane; single writer, so plain stores (on
    // x86 a release store is a plain store too). Order: loop_cycles().
    total_.store(total, std::memory_order_relaxed);
    busy_.store(busy, std::memory_order_release);
  }
  tcp_->abort_all();
  tcp_output(tsc_now());
  neigh_.flush([this](rte_mbuf* m) { drop(m, Ctr::neigh_unresolved); });
  flush_all();
  for (uint16_t p = 0; p < sh_.ports.size(); ++p) discard_tx(p, Ctr::tx_full);
  running_.store(false, std::memory_order_release);
  return 0;
}

void Worker::poll_port(uint16_t port, Tsc now) {
  rte_mbuf* pkts[kMaxBurst];
  const uint16_t n = rte_eth_rx_burst(port, queue_, pkts, sh_.ports[port].burst);
  if (n == 0) return;
  ctr_.inc(Ctr::rx_frames, n);
  // TCP segments of the burst go to the engine together (one bulk flow
  // lookup); their mbufs live until it is done with them.
  tcp::Seg* segs = segs_->data();  // a member: constructing 512 Segs per burst costs
  rte_mbuf** held = held_->data();
  unsigned nseg = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    if (handle(port, pkts[i], now, segs[nseg])) held[nseg++] = pkts[i];
  }
  if (nseg == 0) return;
  nheld_ = nseg;  // hand_off() may take some (held[i] = null)
  tcp_->input_burst(segs, nseg, usec(now));
  nheld_ = 0;
  tcp_output(now);
  rte_pktmbuf_free_bulk(held, nseg);
}

bool Worker::on_miss(void* self, const tcp::Seg& s) {
  return static_cast<Worker*>(self)->hand_off(s);
}

// Which worker owns k (docs/architecture.md, "Which core owns a
// connection"): the generator's pools decide for our active opens, the
// port's steering (port::passive_owner) for everything else. Every worker
// computes the same answer from the tuple alone; no table is shared.
uint16_t Worker::owner_of(const flow::FlowKey& k) const {
  const uint16_t g = gen_->owner(k);
  if (g < nworkers_) return g;
  const port::RssInfo& steer = sh_.ports[sh_.ifaces[k.port_id].port_id].steer;  // key: interface
  const auto workers = static_cast<uint16_t>(nworkers_);
  if (k.is_v6())  // the same rule over the IPv6 tuple (Toeplitz over 36 bytes, or its hash)
    return port::passive_owner6(steer, net::Ipv6Addr{k.local6}, rte_be_to_cpu_16(k.local_port),
                                net::Ipv6Addr{k.remote6}, rte_be_to_cpu_16(k.remote_port), workers);
  return port::passive_owner(steer, rte_be_to_cpu_32(k.local_ip), rte_be_to_cpu_16(k.local_port),
                             rte_be_to_cpu_32(k.remote_ip), rte_be_to_cpu_16(k.remote_port),
                             workers);
}

// A segment of this burst found no connection here. If another worker owns
// its 4-tuple it goes there through our ring to it, mbuf and all; true: it
// was taken (handed, or dropped because that ring is full).
bool Worker::hand_off(const tcp::Seg& s) {
  const uint16_t owner = owner_of(s.key);
  if (owner == index_ || owner >= nworkers_ || !ho_out_[owner]) return false;
  const size_t i = static_cast<size_t>(&s - segs_->data());
  if (i >= nheld_) return false;  // not one of this burst's segments
  Handoff h{s, (*held_)[i]};
  if (rte_ring_sp_enqueue_elem(ho_out_[owner], &h, sizeof h) != 0) {
    ctr_.inc(Ctr::tcp_handoff_ring_full);  // the mbuf is freed with the burst
    return true;
  }
  (*held_)[i] = nullptr;  // the owner frees it now
  ctr_.inc(Ctr::tcp_handoffs);
  return true;
}

// Segments siblings handed to us, taken as if received here (a miss goes to
// our listeners, never back: Engine::input_handed).
void Worker::drain_handoffs(Tsc now) {
  constexpr unsigned kBurst = 32;
  for (unsigned j = 0; j < nworkers_; ++j) {
    rte_ring* r = ho_in_[j];
    if (!r || rte_ring_empty(r)) continue;
    Handoff h[kBurst];
    const unsigned n = rte_ring_sc_dequeue_burst_elem(r, h, sizeof(Handoff), kBurst, nullptr);
    tcp::Seg* segs = segs_->data();
    rte_mbuf** held = held_->data();
    for (unsigned i = 0; i < n; ++i) {
      segs[i] = h[i].seg;
      held[i] = h[i].m;
    }
    ctr_.inc(Ctr::tcp_handoffs_received, n);
    nheld_ = n;  // on_kernel_tcp() finds a segment's mbuf by its index
    tcp_->input_handed(segs, n, usec(now));
    nheld_ = 0;
    tcp_output(now);
    rte_pktmbuf_free_bulk(held, n);
  }
}

HandoffRings::HandoffRings(const std::vector<Worker*>& workers) {
  const unsigned n = static_cast<unsigned>(workers.size());
  if (n < 2) return;
  std::vector<rte_ring*> ring(n * n, nullptr);  // ring[i * n + j]: i -> j
  for (unsigned i = 0; i < n; ++i)
    for (unsigned j = 0; j < n; ++j) {
      if (i == j) continue;
      char name[RTE_RING_NAMESIZE];
      std::snprintf(name, sizeof name, "pmx_ho_%u_%u", i, j);
      rte_ring* r = rte_ring_create_elem(name, sizeof(Handoff), kSize,
                                         rte_lcore_to_socket_id(workers[j]->lcore()),
                                         RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (!r) throw std::runtime_error(std::string("cannot create ") + name);
      ring[i * n + j] = r;
      rings_.push_back(r);
    }
  for (unsigned i = 0; i < n; ++i)
    for (unsigned j = 0; j < n; ++j)
      if (i != j) workers[i]->set_handoff(j, ring[i * n + j], ring[j * n + i]);
}

// After the workers stopped: segments still in a ring were in flight at
// shutdown, like frames in the RX rings; their mbufs go back uncounted.
HandoffRings::~HandoffRings() {
  for (rte_ring* r : rings_) {
    Handoff h;
    while (rte_ring_sc_dequeue_elem(r, &h, sizeof h) == 0) rte_pktmbuf_free(h.m);
    rte_ring_free(r);
  }
}

bool Worker::handle(uint16_t port, rte_mbuf* m, Tsc now, tcp::Seg& seg) {
  if (m->nb_segs != 1) {
    drop(m, Ctr::rx_multiseg);
    return false;
  }
  // 802.1Q (lib/net/vlan.hpp): the tag comes off here, layer 3 sees an
  // untagged frame of the interface its VLAN id names on this port.
  net::Untagged u;
  std::optional<uint16_t> stripped;
  if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) stripped = m->vlan_tci;  // a VLAN_STRIP profile
  if (auto bad = net::untag(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m), u, stripped)) {
    drop(m, *bad);
    return false;
  }
  const PortConfig& pc = sh_.ports[port];
  const uint16_t iface = pc.iface_of_vlan[u.vlan];
  if (iface == kNoIface) {
    drop(m, u.vlan ? Ctr::vlan_unknown : Ctr::vlan_untagged);
    return false;
  }
  ctr_.inc_iface(iface, stats::Counters::kIfaceRxFrames);
  rte_pktmbuf_adj(m, u.off);
  const bool cksum_good =
      pc.rx_ip_cksum && (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  // The tailroom lets an answer outgrow its frame (a neighbour advertisement
  // to a 78-byte solicitation is 86 bytes).
  const auto room = static_cast<uint16_t>(rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m));
  net::Outcome o =
      net::ingress(p, rte_pktmbuf_data_len(m), cksum_good, sh_.ifaces[iface], ctr_, room);
  if (o.learn) learn(iface, o.learn_ip, o.learn_mac, now, o.learn_create, true);
  switch (o.kind) {
    case Kind::Drop:  // counted by ingress()
      rte_pktmbuf_free(m);
      return false;
    case Kind::Consumed:
      if (o.copy_to_kernel) copy_to_kernel(port, m);
      rte_pktmbuf_free(m);
      return false;
    case Kind::Kernel:  // counted by ingress()
      to_kernel(port, m);
      return false;
    case Kind::Send:
      m->data_len = m->pkt_len = o.len;
      send_if(iface, m);
      return false;
    case Kind::Route:
      m->data_len = m->pkt_len = o.len;
      ctr_.inc(Ctr::icmp_tx_echo_replies);
      route(iface, m, o.dst, now);
      return false;
    case Kind::FragNeeded: {
      // With several workers the connection may be another's: counted
      // there as tcp_pmtu_no_conn (docs/tcp.md).
      const flow::FlowKey k =
          tcp::make_key(o.frag.ours, o.frag.peer, o.frag.our_port, o.frag.peer_port, iface);
      tcp_->frag_needed(k, o.frag.seq, o.frag.mtu, o.frag.quoted_len, usec(now));
      rte_pktmbuf_free(m);
      return false;
    }
    case Kind::Tcp:
      break;
  }
  // GOOD, and NONE ("the checksum in the packet is not correct, the data's
  // integrity is verified", rte_mbuf_core.h: a virtio host's partial
  // checksum, which a software check would wrongly fail) are trusted;
  // UNKNOWN and BAD are verified in software, a BAD one then dropped there.
  const uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  const bool l4_good =
      pc.rx_tcp_cksum && (l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD || l4f == RTE_MBUF_F_RX_L4_CKSUM_NONE);
  ctr_.inc(l4_good ? Ctr::tcp_rx_csum_offload : Ctr::tcp_rx_csum_software);
  if (auto bad = tcp::parse_segment(p + o.l4_off, o.l4_len, o.src, o.dst, iface, l4_good, seg)) {
    ctr_.inc(Ctr::tcp_in_segs);  // tcpInSegs counts errored segments too; the engine the rest
    drop(m, *bad);
    return false;
  }
  return true;
}

// Turns the engine's output into frames (checksums in software or by the
// device, TSO segments as mbuf chains), then the neighbour table for the
// next hop.
void Worker::tcp_output(Tsc now) {
  for (const tcp::OutSeg& s : tcp_->output()) {
    const uint16_t iface = s.key.port_id;  // the key's interface
    rte_mbuf* m = frame_of(s, sh_.ifaces[iface]);
    if (!m) {
      ctr_.inc(Ctr::tcp_tx_no_mbuf);  // retransmission recovers
      continue;
    }
    route(iface, m, tcp::remote_addr(s.key), now);
  }
  tcp_->clear_output();
}

// The frame of s out of interface ip: one mbuf, or for a TSO segment a
// chain (headers and the first payload bytes, then full mbufs of payload).
// Offload metadata as rte_mbuf.h asks: l2/l3/l4 lengths, TX_IPV4/IPV6,
// TX_IP_CKSUM, TX_TCP_CKSUM, TX_TCP_SEG with tso_segsz. nullptr: pool empty.
rte_mbuf* Worker::frame_of(const tcp::OutSeg& s, const net::PortIp& ip) {
  rte_mbuf* m = rte_pktmbuf_alloc(sh_.pool);
  if (!m) return nullptr;
  const PortConfig& pc = sh_.ports[ip.port_id];
  const tcp::TxCsum tx = pc.tx_csum;
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  if (s.tso_mss) {
    if (!append_payload(m, tcp::write_headers(p, ip.mac, s, ip_id_++, tx), s)) return nullptr;
  } else {
    m->data_len = static_cast<uint16_t>(tcp::write_frame(p, ip.mac, s, ip_id_++, tx));
    m->pkt_len = m->data_len;
  }
  ctr_.inc(tx.l4 ? Ctr::tcp_tx_csum_offload : Ctr::tcp_tx_csum_software);
  const tcp::TxMeta meta = tcp::tx_meta(s, tx);
  m->ol_flags |= meta.ol_flags;
  m->l2_len = meta.l2_len;
  m->l3_len = meta.l3_len;
  m->l4_len = meta.l4_len;
  m->tso_segsz = meta.tso_segsz;
  return m;
}

// Copies s's payload after the hlen header bytes of head, chaining mbufs
// as it fills them. False (head freed): the pool ran dry.
bool Worker::append_payload(rte_mbuf* head, uint32_t hlen, const tcp::OutSeg& s) {
  head->data_len = static_cast<uint16_t>(hlen);
  head->pkt_len = hlen;
  rte_mbuf* tail = head;
  const std::pair<const uint8_t*, uint32_t> parts[] = {{s.p1, s.n1}, {s.p2, s.n2}};
  for (auto [src, n] : parts) {
    while (n) {
      if (rte_pktmbuf_tailroom(tail) == 0) {
        rte_mbuf* next = rte_pktmbuf_alloc(sh_.pool);
        if (!next) {
          rte_pktmbuf_free(head);
          return false;
        }
        tail->next = next;
        tail = next;
        ++head->nb_segs;
      }
      const uint32_t k = std::min<uint32_t>(n, rte_pktmbuf_tailroom(tail));
      std::memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t*, tail->data_len), src, k);
      tail->data_len = static_cast<uint16_t>(tail->data_len + k);
      head->pkt_len += k;
      src += k;
      n -= k;
    }
  }
  return true;
}

// Resolves dst's next hop and transmits m, or queues it behind an ARP
// request or a Neighbor Solicitation (one table for both families).
void Worker::route(uint16_t iface, rte_mbuf* m, net::IpAddr dst, Tsc now) {
  const net::PortIp& ip = sh_.ifaces[iface];
  const net::IpAddr nh = ip.next_hop(dst);
  if (nh.is_zero()) return drop(m, Ctr::no_route);
  if (const rte_ether_addr* mac = neigh_.lookup(iface, nh)) {
    rte_pktmbuf_mtod(m, rte_ether_hdr*)->dst_addr = *mac;
    return send_if(iface, m);
  }
  using Hold = net::NeighTable<rte_mbuf*>::Hold;
  switch (neigh_.hold(iface, nh, m, now.v)) {
    case Hold::SendRequest:
      return send_solicit(iface, nh, nullptr);
    case Hold::Queued:
      return;
    case Hold::QueueFull:
      return drop(m, Ctr::neigh_pending_full);
    case Hold::TableFull:
      return drop(m, Ctr::neigh_table_full);
    case Hold::BudgetFull:
      return drop(m, Ctr::neigh_held_budget);
  }
}

void Worker::learn(uint16_t iface, const net::IpAddr& ip, const rte_ether_addr& mac, Tsc now,
                   bool create, bool share) {
  using Learn = net::NeighTable<rte_mbuf*>::Learn;
  const Learn r =
      neigh_.learn(iface, ip, mac, now.v, create, [&](rte_mbuf* m, const rte_ether_addr& a) {
        rte_pktmbuf_mtod(m, rte_ether_hdr*)->dst_addr = a;
        send_if(iface, m);
      });
  if (r == Learn::Ignored) return;
  ctr_.inc(Ctr::neigh_learned);
  // Replies to our requests may arrive on any queue: siblings learn it too.
  if (!share || r != Learn::Changed) return;
  const Msg msg = make_msg<MsgType::NeighUpdate>(NeighAddr{ip, mac_to(mac)}, iface);
  for (Worker* w : siblings_)
    // Best effort: a sibling that misses it resolves the address itself.
    if (w != this && !w->post(msg)) ctr_.inc(Ctr::neigh_share_lost);
}

// 802.1Q on the way out: the NIC inserts the tag when the port's profile
// has VLAN_INSERT, else net::tag() does in the headroom (every mbuf of the
// pool has RTE_PKTMBUF_HEADROOM; a received one has its own tag's 4 bytes
// back after untagging).
void Worker::send_if(uint16_t iface, rte_mbuf* m) {
  const net::PortIp& ip = sh_.ifaces[iface];
  if (ip.vlan) {
    if (sh_.ports[ip.port_id].vlan_insert) {
      m->ol_flags |= RTE_MBUF_F_TX_VLAN;
      m->vlan_tci = ip.vlan;
    } else {
      auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, net::kVlanTagLen));
      if (!p) return drop(m, Ctr::vlan_tx_no_headroom);
      net::tag(p, ip.vlan);
      if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK)
        m->l2_len += net::kVlanTagLen;  // frame_of()'s l2_len
    }
  }
  ctr_.inc_iface(iface, stats::Counters::kIfaceTxFrames);
  send(ip.port_id, m);
}

void Worker::send(uint16_t port, rte_mbuf* m) {
  if (!active_[port]) return drop(m, Ctr::tx_port_stopped);
  TxBuf& b = (*tx_)[port];
  if (b.n == kMaxBurst) return drop(m, Ctr::tx_full);  // the queue took nothing for a while
  b.pkts[b.n++] = m;
  if (b.n >= sh_.ports[port].burst) flush(port);
}

// Hands the buffer to the TX queue. What the queue does not take (a ring
// that is momentarily full, e.g. a slow memif peer) stays, in order, for the
// next flush instead of being dropped: a full ring is back-pressure, not
// loss. Only a buffer that fills up drops (send()).
void Worker::flush(uint16_t port) {
  TxBuf& b = (*tx_)[port];
  if (b.n == 0) return;
  const uint16_t sent = rte_eth_tx_burst(port, queue_, b.pkts, b.n);
  ctr_.inc(Ctr::tx_frames, sent);
  if (sent && sent < b.n) std::memmove(b.pkts, b.pkts + sent, (b.n - sent) * sizeof(rte_mbuf*));
  b.n = static_cast<uint16_t>(b.n - sent);
}

// Frees what is still buffered for port: it cannot leave (port paused, or
// the worker is stopping).
void Worker::discard_tx(uint16_t port, Ctr why) {
  TxBuf& b = (*tx_)[port];
  for (uint16_t i = 0; i < b.n; ++i) drop(b.pkts[i], why);
  b.n = 0;
}

void Worker::flush_all() {
  for (uint16_t p = 0; p < sh_.ports.size(); ++p) flush(p);
}

void Worker::drop(rte_mbuf* m, Ctr c) {
  ctr_.inc(c);
  rte_pktmbuf_free(m);
}

void Worker::send_arp_request(uint16_t iface, net::Ipv4Addr target) {
  rte_mbuf* m = rte_pktmbuf_alloc(sh_.pool);
  if (!m) return ctr_.inc(Ctr::arp_tx_no_mbuf);  // the next retransmission tries again
  const net::PortIp& ip = sh_.ifaces[iface];
  m->data_len = m->pkt_len =
      net::write_arp_request(rte_pktmbuf_mtod(m, uint8_t*), ip.mac, ip.source_for(target), target);
  ctr_.inc(Ctr::arp_tx_requests);
  send_if(iface, m);
}

void Worker::send_ns(uint16_t iface, const net::Ipv6Addr& target, const rte_ether_addr* to) {
  rte_mbuf* m = rte_pktmbuf_alloc(sh_.pool);
  if (!m) return ctr_.inc(Ctr::nd_tx_no_mbuf);  // the next retransmission tries again
  const net::PortIp& ip = sh_.ifaces[iface];
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  const net::Ipv6Addr src = ip.source_for6(target);
  m->data_len = m->pkt_len = to ? net::write_ns(p, *to, ip.mac, src, target, target)
                                : net::write_ns_multicast(p, ip.mac, src, target);
  ctr_.inc(to ? Ctr::nd_tx_probes : Ctr::nd_tx_solicits);
  send_if(iface, m);
}

// An ARP request or an NS for target; to: the cached MAC of a PROBE-state
// IPv6 entry (RFC 4861 7.3.3 probes unicast; ARP keeps broadcasting, RFC
// 1122 2.3.2.1 leaves it open).
void Worker::send_solicit(uint16_t iface, const net::IpAddr& target, const rte_ether_addr* to) {
  if (target.v6) return send_ns(iface, target.v6addr(), to);
  send_arp_request(iface, target.v4());
}

// Gratuitous ARPs for the IPv4 addresses (RFC 5227 3) and unsolicited NAs
// for the link-local and every IPv6 address that passed DAD (RFC 4861
// 7.2.6); of a large range, its first and last only (Ifaddr::announced()).
void Worker::announce(uint16_t port) {
  const PortConfig& pc = sh_.ports[port];
  for (uint16_t i = 0; i < sh_.ifaces.size(); ++i) {
    const net::PortIp& ip = sh_.ifaces[i];
    if (ip.port_id == port && pc.iface_of_vlan[ip.vlan] == i) announce_iface(i);
  }
}

void Worker::announce_iface(uint16_t iface) {
  const net::PortIp& ip = sh_.ifaces[iface];
  for (uint8_t i = 0; i < ip.naddrs; ++i) {
    for (uint32_t k = 0; k < ip.addrs[i].announced(); ++k) {
      rte_mbuf* m = rte_pktmbuf_alloc(sh_.pool);
      if (!m) return ctr_.inc(Ctr::arp_tx_no_mbuf);
      m->data_len = m->pkt_len = net::write_gratuitous_arp(rte_pktmbuf_mtod(m, uint8_t*), ip.mac,
                                                           ip.addrs[i].announced(k));
      ctr_.inc(Ctr::arp_tx_gratuitous);
      send_if(iface, m);
    }
  }
  announce6(iface, ip.link_local);
  for (uint8_t i = 0; i < ip.naddrs6; ++i)
    for (uint32_t k = 0; k < ip.addrs6[i].announced(); ++k)
      announce6(iface, ip.addrs6[i].announced(k));
}

void Worker::announce6(uint16_t iface, const net::Ipv6Addr& a) {
  rte_mbuf* m = rte_pktmbuf_alloc(sh_.pool);
  if (!m) return ctr_.inc(Ctr::nd_tx_no_mbuf);
  m->data_len = m->pkt_len =
      net::write_unsolicited_na(rte_pktmbuf_mtod(m, uint8_t*), sh_.ifaces[iface].mac, a);
  ctr_.inc(Ctr::nd_tx_unsolicited_na);
  send_if(iface, m);
}

// Every few milliseconds: neighbour aging and retransmitted requests, and the
// RFC 5227 announcements (ANNOUNCE_INTERVAL 2 s apart).
void Worker::housekeeping(Tsc now) {
  next_age_ = now + sh_.hz / 100;
  neigh_.age(
      now.v,
      [this](const auto& e) {
        send_solicit(e.iface, e.ip, e.state == net::NeighState::Probe ? &e.mac : nullptr);
      },
      [this](rte_mbuf* m) { drop(m, Ctr::neigh_unresolved); },
      [this](const auto&) { ctr_.inc(Ctr::neigh_expired); });
  if (now < next_announce_) return;
  next_announce_ = now + 2 * sh_.hz;
  for (uint16_t p = 0; p < sh_.ports.size(); ++p) {
    if (!announce_left_[p] || !active_[p]) continue;
    --announce_left_[p];
    announce(p);
  }
  flush_all();
}

bool Worker::drain_inbox(Tsc now) {
  // Nearly every turn finds it empty: skip the dequeue and the array.
  if (rte_ring_empty(inbox_)) return true;
  Msg msgs[16];
  const unsigned n = rte_ring_sc_dequeue_burst_elem(inbox_, msgs, sizeof(Msg), 16, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    const Msg& m = msgs[i];
    switch (m.type) {
      case MsgType::NeighUpdate: {
        const NeighAddr a = payload<MsgType::NeighUpdate>(m);
        learn(m.port, a.ip, mac_from(a.mac48), now, true, false);  // port: the interface
        continue;                                                  // not a request: no ack
      }
      case MsgType::PortPause:
        flush(m.port);
        discard_tx(m.port, Ctr::tx_port_stopped);
        active_[m.port] = false;
        break;
      case MsgType::PortResume:
        active_[m.port] = true;
        if (index_ == 0) {
          announce_left_[m.port] = kAnnouncements;
          next_announce_ = now;
        }
        break;
      case MsgType::NeighSnapshot:
        snapshot(*payload<MsgType::NeighSnapshot>(m), now);
        break;
      case MsgType::Listen: {
        TcpRequest* r = payload<MsgType::Listen>(m);
        r->result = tcp_->listen(r->spec);
        break;
      }
      case MsgType::Unlisten: {
        TcpRequest* r = payload<MsgType::Unlisten>(m);
        r->result = tcp_->unlisten(r->spec.ip, r->spec.port);
        tcp_output(tsc_now());
        break;
      }
      case MsgType::ConnSnapshot: {
        ConnSnapshot* r = payload<MsgType::ConnSnapshot>(m);
        r->n = tcp_->snapshot(r->rows, r->cap);
        break;
      }
      case MsgType::ListenerSnapshot: {
        ListenerSnapshot* r = payload<MsgType::ListenerSnapshot>(m);
        r->n = 0;
        tcp_->listeners().for_each([&](uint16_t, const tcp::Listener& l) {
          if (r->n < r->cap) r->rows[r->n++] = l;
        });
        break;
      }
      case MsgType::FlowInfo: {
        FlowInfo* r = payload<MsgType::FlowInfo>(m);
        *r = FlowInfo{tcp_->flows().size(), tcp_->flows().capacity(), tcp_->flow_insert_failures(),
                      tcp_->conns_in_use(), tcp_->bufs_in_use(),      tcp_->bufs_total()};
        break;
      }
      case MsgType::GenStart:
        gen_->start(payload<MsgType::GenStart>(m), usec(tsc_now()));
        tcp_output(tsc_now());
        break;
      case MsgType::GenStop:
        gen_->stop();
        tcp_output(tsc_now());
        break;
      case MsgType::Stop:
        ack_.store(m.word, std::memory_order_release);
        return false;
    }
    ack_.store(m.word, std::memory_order_release);
  }
  return true;
}

void Worker::snapshot(NeighSnapshot& s, Tsc now) const {
  s.n = 0;
  neigh_.for_each([&](const auto& e) {
    if (s.n == s.cap) return;
    s.rows[s.n++] = NeighRow{
        lcore_, e.iface, e.ip, e.mac, e.state, (now.v - e.confirmed) * 1000 / sh_.hz, e.npending};
  });
}

}  // namespace pmx::worker
