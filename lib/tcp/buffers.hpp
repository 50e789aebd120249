// Per-connection byte buffers, carved from a per-core pool (BufPool)
// allocated once.
//
// A connection has two ByteRings. Conn::snd holds the bytes from SND.UNA on:
// sent-but-unacknowledged, then queued-but-unsent. Conn::rcv holds in-order
// bytes the service has not read, followed by room for the receive window,
// into which out-of-order segments are copied at their offset (RFC 9293
// 3.10.7.4 "segment text"). Reassembly is bounded: Conn::ooo (an OooSet)
// tracks at most 16 disjoint ranges, more than the 4 blocks one SACK option
// can report (RFC 2018 3); the sender's scoreboard of the peer's SACK
// blocks is a RangeSet of 4.
#pragma once

#include "segment.hpp"
#include "seq.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace pmx::tcp {

// Fixed-size blocks from one arena; a free list of indices. Not thread-safe:
// one per core.
class BufPool {
 public:
  BufPool(uint32_t block_size, uint32_t nblocks)
      : size_(block_size), mem_(size_t{block_size} * nblocks) {
    free_.reserve(nblocks);
    for (uint32_t i = nblocks; i-- > 0;) free_.push_back(i);
  }
  uint8_t* get() {
    if (free_.empty()) return nullptr;
    const uint32_t i = free_.back();
    free_.pop_back();
    return mem_.data() + size_t{i} * size_;
  }
  void put(uint8_t* p) { free_.push_back(static_cast<uint32_t>((p - mem_.data()) / size_)); }
  uint32_t block_size() const { return size_; }
  uint32_t available() const { return static_cast<uint32_t>(free_.size()); }
  uint32_t total() const { return static_cast<uint32_t>(mem_.size() / size_); }

 private:
  uint32_t size_;
  std::vector<uint8_t> mem_;
  std::vector<uint32_t> free_;  // never grows past its reserve
};

// A ring of cap bytes; [head, head+len) is occupied (mod cap).
//
// A ring is attached with its capacity, with or without memory: the engine
// attaches a connection's rings empty when it is created (the capacity is
// what the receive window is computed from) and gives them memory from the
// pool only when bytes first have to be stored (give_mem), so an idle
// connection holds no buffer. Invariant: size() > 0 implies has_mem().
class ByteRing {
 public:
  void attach(uint8_t* mem, uint32_t cap) {
    mem_ = mem;
    cap_ = cap;
    head_ = len_ = 0;
  }
  // Memory for an attached ring that has none (size() is 0 then).
  void give_mem(uint8_t* mem) { mem_ = mem; }
  // Detaches the ring; returns its memory (nullptr if it never had any).
  uint8_t* detach() {
    uint8_t* m = mem_;
    mem_ = nullptr;
    cap_ = head_ = len_ = 0;
    return m;
  }
  // Returns the memory of an attached, empty ring and keeps it attached
  // (its capacity still sizes the receive window): the drained connection
  // holds no buffer until give_mem(). Precondition: size() == 0.
  uint8_t* take_mem() {
    uint8_t* m = mem_;
    mem_ = nullptr;
    head_ = 0;
    return m;
  }
  bool attached() const { return cap_ != 0; }
  bool has_mem() const { return mem_ != nullptr; }
  uint32_t size() const { return len_; }
  uint32_t capacity() const { return cap_; }
  uint32_t space() const { return cap_ - len_; }

  // Appends up to n bytes; returns how many fit.
  uint32_t append(const uint8_t* p, uint32_t n) {
    n = n < space() ? n : space();
    write_at(len_, p, n);
    len_ += n;
    return n;
  }
  // Grows the occupied part by n bytes already written with write_at().
  void commit(uint32_t n) { len_ += n; }
  // Copies n bytes to offset off from head (off + n <= cap).
  void write_at(uint32_t off, const uint8_t* p, uint32_t n) {
    if (n == 0) return;
    uint32_t pos = wrap(head_ + off);
    const uint32_t first = n < cap_ - pos ? n : cap_ - pos;
    std::memcpy(mem_ + pos, p, first);
    std::memcpy(mem_, p + first, n - first);
  }
  // The n bytes at offset off from head as at most two spans.
  std::array<std::span<const uint8_t>, 2> peek(uint32_t off, uint32_t n) const {
    const uint32_t pos = wrap(head_ + off);
    const uint32_t first = n < cap_ - pos ? n : cap_ - pos;
    return {std::span<const uint8_t>(mem_ + pos, first), std::span<const uint8_t>(mem_, n - first)};
  }
  // The n free bytes after the occupied part, to fill and then commit(n).
  std::array<std::span<uint8_t>, 2> reserve(uint32_t n) {
    const uint32_t pos = wrap(head_ + len_);
    const uint32_t first = n < cap_ - pos ? n : cap_ - pos;
    return {std::span<uint8_t>(mem_ + pos, first), std::span<uint8_t>(mem_, n - first)};
  }
  // Drops n bytes from the front. The head is never rewound when the ring
  // empties: the receive buffer keeps out-of-order bytes beyond the occupied
  // part (write_at), at offsets relative to the head, and rewinding would
  // move them (RFC 9293 3.10.7.4: queued out-of-order text must be kept).
  void consume(uint32_t n) {
    head_ = wrap(head_ + n);
    len_ -= n;
  }
  // Rewinds an empty ring to the start of its memory, so small writes reuse
  // the same cache lines instead of walking the whole buffer (measured: 288
  // -> 130 cycles per 64-byte segment, docs/performance.md). Only when the
  // caller knows nothing lives beyond the occupied part (no out-of-order
  // data in a receive buffer).
  void rewind_if_empty() {
    if (len_ == 0) head_ = 0;
  }

 private:
  uint32_t wrap(uint32_t x) const { return x >= cap_ ? x - cap_ : x; }

  uint8_t* mem_ = nullptr;
  uint32_t cap_ = 0, head_ = 0, len_ = 0;
};

struct SeqRange {
  Seq l, r;
};

// Up to N sequence ranges [l, r), sorted, disjoint and non-adjacent.
// The receiver's out-of-order data (OooSet) and the sender's SACK
// scoreboard (RangeSet) are both kept in one.
template <uint8_t N>
class BasicRangeSet {
 public:
  static constexpr uint8_t kMax = N;
  using Range = SeqRange;

  uint8_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Range& operator[](uint8_t i) const { return r_[i]; }
  void clear() { n_ = 0; }

  // Adds [l, r), merging with overlapping or adjacent ranges. Returns false
  // (and changes nothing) when that would need more than kMax ranges.
  bool add(Seq l, Seq r) {
    if (!(l < r)) return true;
    uint8_t i = 0;
    while (i < n_ && r_[i].r < l) ++i;  // ranges wholly before l (not touching)
    uint8_t j = i;
    while (j < n_ && r_[j].l <= r) ++j;  // ranges [i, j) overlap or touch
    if (i == j) {
      if (n_ == kMax) return false;
      for (uint8_t k = n_; k > i; --k) r_[k] = r_[k - 1];
      r_[i] = Range{l, r};
      ++n_;
      return true;
    }
    Range m{seq_min(l, r_[i].l), seq_max(r, r_[j - 1].r)};
    r_[i] = m;
    const uint8_t gone = static_cast<uint8_t>(j - i - 1);
    for (uint8_t k = i + 1; k + gone < n_; ++k) r_[k] = r_[k + gone];
    n_ = static_cast<uint8_t>(n_ - gone);
    return true;
  }
  // Forgets everything below s (trimming a range that straddles it).
  void drop_below(Seq s) {
    uint8_t k = 0;
    while (k < n_ && r_[k].r <= s) ++k;
    for (uint8_t i = k; i < n_; ++i) r_[i - k] = r_[i];
    n_ = static_cast<uint8_t>(n_ - k);
    if (n_ && r_[0].l < s) r_[0].l = s;
  }
  // The range containing s, or nullptr.
  const Range* find(Seq s) const {
    for (uint8_t i = 0; i < n_; ++i)
      if (r_[i].l <= s && s < r_[i].r) return &r_[i];
    return nullptr;
  }
  bool contains(Seq l, Seq r) const {
    const Range* x = find(l);
    return x && r <= x->r;
  }

 private:
  std::array<Range, kMax> r_{};
  uint8_t n_ = 0;
};

// The SACK scoreboard: as many blocks as one ACK can carry.
using RangeSet = BasicRangeSet<4>;
// Out-of-order data: more holes than SACK can report at once. On a lossy,
// reordering path a 64 KiB window often has more than four (test_gen_hostile
// saw 2.7% of segments dropped for want of a fifth range); each costs 8 bytes.
using OooSet = BasicRangeSet<16>;

}  // namespace pmx::tcp
