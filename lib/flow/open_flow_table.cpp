#include "open_flow_table.hpp"

#include <cassert>
#include <cerrno>
#include <stdexcept>

namespace pmx::flow {
namespace {

constexpr size_t kMinSlots = 16;
constexpr size_t kMaxCapacity = size_t{1} << 40;

// The smallest power of two >= 2 x capacity: load factor <= 1/2.
size_t slot_count_for(size_t capacity) {
  if (capacity > kMaxCapacity) throw std::length_error("OpenFlowTable: capacity too large");
  size_t n = kMinSlots;
  while (n < capacity * 2) n <<= 1;
  return n;
}

}  // namespace

OpenFlowTable::OpenFlowTable(size_t capacity)
    : mask_(slot_count_for(capacity) - 1),
      capacity_(capacity),
      slots_(std::make_unique<Slot[]>(mask_ + 1)) {}  // value-initialised: all free

uint32_t OpenFlowTable::probe(const FlowKey& key, size_t i) const {
  for (;; i = next(i)) {
    const Slot& s = slots_[i];
    if (s.val == kNoFlow) return kNoFlow;  // end of the run: absent
    if (s.key == key) return s.val;
  }
}

uint32_t OpenFlowTable::lookup(const FlowKey& key) const { return probe(key, home(key)); }

void OpenFlowTable::lookup_bulk(const FlowKey* const* keys, unsigned n, uint32_t* vals) const {
  assert(n <= kMaxBulk);
  size_t idx[kMaxBulk];
  // Hash everything and prefetch the home slots first so the cache misses
  // of one burst overlap. A slot may straddle two lines.
  for (unsigned i = 0; i < n; ++i) {
    idx[i] = home(*keys[i]);
    const char* p = reinterpret_cast<const char*>(&slots_[idx[i]]);
    __builtin_prefetch(p);
    __builtin_prefetch(p + sizeof(Slot) - 1);
  }
  for (unsigned i = 0; i < n; ++i) vals[i] = probe(*keys[i], idx[i]);
}

int OpenFlowTable::insert(const FlowKey& key, uint32_t val) {
  if (val == kNoFlow) return -EINVAL;
  size_t i = home(key);
  for (; slots_[i].val != kNoFlow; i = next(i))
    if (slots_[i].key == key) return -EEXIST;
  if (size_ == capacity_) return -ENOSPC;
  slots_[i].key = key;
  slots_[i].val = val;
  ++size_;
  return 0;
}

bool OpenFlowTable::erase(const FlowKey& key) {
  for (size_t i = home(key); slots_[i].val != kNoFlow; i = next(i)) {
    if (slots_[i].key == key) {
      erase_at(i);
      return true;
    }
  }
  return false;
}

// Backward-shift deletion. `i` is the hole. Walk the run after it; an entry
// at j whose home h is such that the hole lies cyclically in [h, j) moves
// into the hole (it stays reachable from h) and its old slot becomes the
// hole. An entry whose home lies in (i, j] must stay: moving it before its
// home would make it unreachable. The run ends at the first free slot.
void OpenFlowTable::erase_at(size_t i) {
  for (size_t j = next(i); slots_[j].val != kNoFlow; j = next(j)) {
    const size_t h = home(slots_[j].key);
    if (((j - h) & mask_) >= ((j - i) & mask_)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i].val = kNoFlow;
  --size_;
}

}  // namespace pmx::flow
