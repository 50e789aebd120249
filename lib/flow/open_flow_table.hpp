// OpenFlowTable: the flow table in plain C++ (no EAL), for the TCP engine's
// unit tests and fuzzers.
//
// Open addressing with linear probing over a power-of-two slot array of at
// least 2 x capacity slots, so the load factor never exceeds 1/2 and probe
// runs stay short. Deletion shifts the following entries back (no
// tombstones), so a lookup stops at the first free slot and the table never
// degrades under churn. All memory is allocated (and touched) by the
// constructor; nothing allocates afterwards.
#pragma once

#include "flow_table.hpp"

#include <bit>
#include <cstring>
#include <memory>

namespace pmx::flow {

// 64-bit hash of the key (IPv6 addresses folded into its first 16 bytes): XXH3's construction for
// 9-16 byte inputs (a 64x64->128 multiply of the two halves folded to 64 bits, then an
// xor-shift-multiply avalanche). Every output bit depends on every key bit, so the low bits used as
// the slot index are well mixed even for keys that differ in one port number. Not keyed: this table
// is for tests, not for facing remote peers. Preferred to rte_hash_crc: CRC32 is linear, so how
// evenly keys spread over slots depends on which bits of them vary, and rte_hash_crc.h brings a
// per-file CPU-dispatch constructor into every user; this is plain C++ with a 64-bit result.
inline uint64_t flow_hash(const FlowKey& k) {
  uint64_t lo;
  uint64_t hi;
  std::memcpy(&lo, &k, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const unsigned char*>(&k) + sizeof lo, sizeof hi);
  if (k.is_v6()) {  // fold the IPv6 addresses into the two halves first
    uint64_t w[4];
    std::memcpy(w, k.local6.data(), 16);
    std::memcpy(w + 2, k.remote6.data(), 16);
    lo ^= w[0] ^ std::rotl(w[2], 23);
    hi ^= w[1] ^ std::rotl(w[3], 41);
  }
  lo ^= 0xbe4ba423396cfeb8ULL;  // the first 16 bytes of XXH3's default secret: keys with
  hi ^= 0x1cad21f72c81017cULL;  // a zero half do not zero the product
  const unsigned __int128 m = static_cast<unsigned __int128>(lo) * hi;
  uint64_t acc = sizeof k + __builtin_bswap64(lo) + hi +
                 (static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64));
  acc ^= acc >> 37;
  acc *= 0x165667919e3779f9ULL;
  return acc ^ (acc >> 32);
}

class OpenFlowTable final : public FlowTable {
 public:
  // Holds up to `capacity` flows. Throws std::length_error if absurdly large.
  explicit OpenFlowTable(size_t capacity);

  void lookup_bulk(const FlowKey* const* keys, unsigned n, uint32_t* vals) const override;
  uint32_t lookup(const FlowKey& key) const override;
  // Also -EINVAL for val == kNoFlow (it marks free slots and means "absent").
  int insert(const FlowKey& key, uint32_t val) override;
  bool erase(const FlowKey& key) override;
  size_t size() const override { return size_; }
  size_t capacity() const override { return capacity_; }

  size_t slot_count() const { return mask_ + 1; }  // for tests that build collisions

 private:
  struct Slot {
    FlowKey key;
    uint32_t val = kNoFlow;  // kNoFlow: free
  };

  size_t home(const FlowKey& key) const { return flow_hash(key) & mask_; }
  size_t next(size_t i) const { return (i + 1) & mask_; }
  uint32_t probe(const FlowKey& key, size_t i) const;
  void erase_at(size_t i);

  // Invariants: size_ <= capacity_ <= slot_count() / 2, so at least one
  // slot is always free and every probe loop terminates. No free slot lies
  // between an entry's home slot and the entry (cyclically), so a probe
  // from the home slot finds it before the first free slot.
  size_t mask_;  // slot_count() - 1, slot_count() a power of two
  size_t capacity_;
  size_t size_ = 0;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace pmx::flow
