// Per-worker neighbour table for both families: ARP for IPv4 (RFC 826, RFC
// 1122 2.3.2.1-2) and Neighbor Discovery for IPv6 (RFC 4861 7.3). One design:
// entries are keyed by (iface, IpAddr), so an IPv4 and an IPv6 entry never
// collide (IpAddr's family is part of the key), and both go through the same
// states (INCOMPLETE, REACHABLE, STALE, PROBE), aging, pending queue and held
// budget. Only the request differs (an ARP request or a Neighbor
// Solicitation): the caller's request callback looks at entry.ip.v6.
//
// Fixed capacity, allocated once; open addressing with linear probing and
// backward-shift deletion, so lookups touch a few adjacent slots and nothing
// is allocated on the data path. Time is in caller ticks (TSC in production,
// a manual clock in tests).
//
// Each unresolved next hop keeps at most kPending frames (RFC 1122 2.3.2.2:
// "SHOULD save at least one"); more are refused and the caller counts the
// drop. Entries age: once older than `reachable` an entry still in use is
// re-probed (at most `max_probes` requests, `retrans` apart) and removed if
// nobody answers; one not used since it went stale is removed quietly.
#pragma once

#include "addr.hpp"

#include <rte_ether.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

namespace pmx::net {

struct NeighTimes {
  uint64_t reachable;  // ticks an answer stays fresh
  uint64_t retrans;    // ticks between requests (ARP or NS) for one address
  uint8_t max_probes;  // requests before giving up
};

enum class NeighState : uint8_t { Free, Incomplete, Reachable, Stale, Probe };

const char* to_string(NeighState s);

template <class Pkt, unsigned kPending = 4>
class NeighTable {
 public:
  struct Entry {
    IpAddr ip;           // either family
    uint16_t iface = 0;  // the interface index (worker::Shared::ifaces)
    NeighState state = NeighState::Free;
    uint8_t probes = 0;  // requests sent since the last confirmation
    uint8_t npending = 0;
    bool used = false;  // used for TX since it went stale
    rte_ether_addr mac{};
    uint64_t confirmed = 0;   // tick of the last answer
    uint64_t next_probe = 0;  // tick the next request is due
    Pkt pending[kPending];
  };

  enum class Hold : uint8_t {
    SendRequest,  // queued; first frame for this hop: send a request (ARP or NS) now
    Queued,       // queued behind a request already sent
    QueueFull,    // not queued: the hop's queue is full
    TableFull,    // not queued: no slot for a new hop
    BudgetFull,   // not queued: the table already holds held_budget frames
  };

  // held_budget bounds the frames waiting for resolution over all hops: a
  // flood towards many unresolved addresses (SYN-ACKs to spoofed on-link
  // sources) must not take the mbuf pool, which the rest of the traffic
  // needs (issue 11). The per-hop queue (kPending) alone would allow
  // capacity * kPending.
  NeighTable(size_t capacity, NeighTimes t, size_t held_budget = kDefaultHeldBudget)
      : slots_(round_up(capacity)),
        shift_(64 - static_cast<unsigned>(std::countr_zero(slots_.size()))),
        t_(t),
        budget_(held_budget) {}
  static constexpr size_t kDefaultHeldBudget = 256;
  size_t held() const { return held_; }

  size_t capacity() const { return slots_.size(); }
  size_t size() const { return used_; }

  // The MAC for (iface, ip) if resolved. A stale entry is still used (RFC
  // 1122 allows it) and is marked so that the next aging pass probes it.
  const rte_ether_addr* lookup(uint16_t iface, const IpAddr& ip) {
    Entry* e = find(iface, ip);
    if (!e || e->state == NeighState::Incomplete) return nullptr;
    e->used = true;
    return &e->mac;
  }

  // Queue pkt until (iface, ip) resolves. The caller already missed lookup().
  Hold hold(uint16_t iface, const IpAddr& ip, Pkt pkt, uint64_t now) {
    if (held_ >= budget_) return Hold::BudgetFull;
    Entry* e = find(iface, ip);
    if (!e) {
      e = insert(iface, ip);
      if (!e) return Hold::TableFull;
      e->state = NeighState::Incomplete;
      e->probes = 1;
      e->next_probe = now + t_.retrans;
      e->pending[e->npending++] = pkt;
      ++held_;
      return Hold::SendRequest;
    }
    if (e->npending == kPending) return Hold::QueueFull;
    e->pending[e->npending++] = pkt;
    ++held_;
    return Hold::Queued;
  }

  enum class Learn : uint8_t { Ignored, Refreshed, Changed };

  // An ARP packet or a Neighbor Solicitation/Advertisement told us ip is at
  // mac. RFC 826 "merge" (RFC 4861 7.2.5 for an NA): an existing entry is
  // always updated; a new one is made only when `create` (we were the target,
  // or a sibling worker learned it). Frames waiting for it go to release(pkt,
  // mac). Changed: the entry is new, was unresolved, or moved to another MAC.
  template <class Release>
  Learn learn(uint16_t iface, const IpAddr& ip, const rte_ether_addr& mac, uint64_t now,
              bool create, Release&& release) {
    Entry* e = find(iface, ip);
    if (!e && (!create || !(e = insert(iface, ip)))) return Learn::Ignored;
    const bool changed =
        e->state == NeighState::Incomplete || !rte_is_same_ether_addr(&e->mac, &mac);
    e->mac = mac;
    e->state = NeighState::Reachable;
    e->confirmed = now;
    e->probes = 0;
    e->used = false;
    for (uint8_t i = 0; i < e->npending; ++i) release(e->pending[i], e->mac);
    held_ -= e->npending;
    e->npending = 0;
    return changed ? Learn::Changed : Learn::Refreshed;
  }

  // Aging and retransmission; call every few milliseconds.
  //   request(entry): send an ARP request or an NS for entry.ip on entry.iface
  //     (entry.state Probe: the entry's MAC is known, RFC 4861 7.3.3 wants
  //     the NS sent to it unicast)
  //   drop(pkt): a queued frame whose hop never answered
  //   expired(entry): an entry is about to be removed
  template <class Request, class Drop, class Expired>
  void age(uint64_t now, Request&& request, Drop&& drop, Expired&& expired) {
    for (size_t i = 0; i < slots_.size();) {
      Entry& e = slots_[i];
      if (e.state == NeighState::Free || !step(e, now, request)) {
        ++i;
        continue;
      }
      for (uint8_t k = 0; k < e.npending; ++k) drop(e.pending[k]);
      held_ -= e.npending;
      e.npending = 0;
      expired(e);
      erase_at(i);  // slot i now holds a shifted entry (or is free): revisit it
    }
  }

  // Drops every queued frame (shutdown).
  template <class Drop>
  void flush(Drop&& drop) {
    for (Entry& e : slots_) {
      for (uint8_t k = 0; k < e.npending; ++k) drop(e.pending[k]);
      e.npending = 0;
    }
    held_ = 0;
  }

  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : slots_)
      if (e.state != NeighState::Free) f(e);
  }

 private:
  static size_t round_up(size_t n) {
    size_t c = 16;
    while (c < n * 2) c <<= 1;  // load factor <= 1/2 keeps probe runs short
    return c;
  }
  // Fibonacci hashing (Knuth 6.4) of both halves of the address, the family
  // and the iface: the top bits of the product depend on every input bit. An
  // IPv4 address has only its last four bytes set (IpAddr's layout), which
  // the rotation brings to the low half.
  size_t home(uint16_t iface, const IpAddr& ip) const {
    uint64_t hi, lo;
    std::memcpy(&hi, ip.b.data(), 8);
    std::memcpy(&lo, ip.b.data() + 8, 8);
    const uint64_t x = hi ^ (lo >> 32 | lo << 32) ^ (uint64_t{iface} << 48) ^ ip.v6;
    return static_cast<size_t>((x * 0x9e3779b97f4a7c15ull) >> shift_);
  }
  Entry* find(uint16_t iface, const IpAddr& ip) {
    for (size_t i = home(iface, ip);; i = (i + 1) & (slots_.size() - 1)) {
      Entry& e = slots_[i];
      if (e.state == NeighState::Free) return nullptr;
      if (e.ip == ip && e.iface == iface) return &e;
    }
  }
  Entry* insert(uint16_t iface, const IpAddr& ip) {
    if (used_ * 2 >= slots_.size()) return nullptr;
    size_t i = home(iface, ip);
    while (slots_[i].state != NeighState::Free) i = (i + 1) & (slots_.size() - 1);
    Entry& e = slots_[i];
    e = Entry{};
    e.ip = ip;
    e.iface = iface;
    e.state = NeighState::Incomplete;
    ++used_;
    return &e;
  }
  // Backward-shift deletion: keeps every entry reachable from its home slot
  // without tombstones.
  void erase_at(size_t i) {
    const size_t mask = slots_.size() - 1;
    size_t j = i;
    for (;;) {
      j = (j + 1) & mask;
      Entry& ej = slots_[j];
      if (ej.state == NeighState::Free) break;
      size_t h = home(ej.iface, ej.ip);
      // ej may move to i only if i lies cyclically in [h, j).
      bool movable = ((j - h) & mask) >= ((j - i) & mask);
      if (movable) {
        slots_[i] = ej;
        i = j;
      }
    }
    slots_[i] = Entry{};
    --used_;
  }
  // Advances one entry's state; true when it must be removed.
  template <class Request>
  bool step(Entry& e, uint64_t now, Request& request) {
    switch (e.state) {
      case NeighState::Reachable:
        if (now - e.confirmed < t_.reachable) return false;
        e.state = NeighState::Stale;
        e.used = false;
        return false;
      case NeighState::Stale:
        if (!e.used) return now - e.confirmed >= 2 * t_.reachable;
        e.state = NeighState::Probe;
        e.probes = 1;
        e.next_probe = now + t_.retrans;
        request(e);
        return false;
      case NeighState::Incomplete:
      case NeighState::Probe:
        if (now < e.next_probe) return false;
        if (e.probes >= t_.max_probes) return true;
        ++e.probes;
        e.next_probe = now + t_.retrans;
        request(e);
        return false;
      case NeighState::Free:
        return false;
    }
    return false;
  }

  std::vector<Entry> slots_;
  unsigned shift_;  // 64 - log2(slots): home() keeps the product's top bits
  size_t used_ = 0;
  NeighTimes t_;
  size_t budget_;
  size_t held_ = 0;  // frames in every entry's pending queue
};

}  // namespace pmx::net
