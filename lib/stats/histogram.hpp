// Log-linear latency histogram (HdrHistogram-style) for the traffic generator.
//
// Values are unit-agnostic uint64 (the generator records microseconds); the
// whole uint64 range is covered, 0 and UINT64_MAX included.
//
// Bucketing, with kSub = 2^kSubBits (kSubBits = 5, kSub = 32):
//   - v < 2 * kSub (= 64): one bucket per value, index == v (exact).
//   - otherwise let shift = bit_width(v) - (kSubBits + 1) >= 1; the top
//     kSubBits + 1 bits of v, m = v >> shift, lie in [kSub, 2 * kSub), and
//     index = shift * kSub + m. So each power-of-two range [2^e, 2^(e+1)) with
//     e > kSubBits is split into kSub linear sub-buckets of width 2^shift.
//   One formula covers both cases: shift = bit_width(v | kSub) - (kSubBits + 1),
//   which is 0 for every v < 2 * kSub. No branch, one lzcnt.
//   Number of buckets: (64 - kSubBits + 1) * kSub = 60 * 32 = 1920; the last
//   one, 1919, holds [63 << 58, UINT64_MAX].
//
// Invariants (checked by tests/unit/test_histogram.cpp):
//   - bucket_lower(0) == 0, bucket_upper(kNumBuckets - 1) == UINT64_MAX, and
//     bucket_lower(i + 1) == bucket_upper(i) + 1: the buckets tile the range.
//   - bucket_of(v) == i  <=>  bucket_lower(i) <= v <= bucket_upper(i).
//   - Bucket bounds are both INCLUSIVE: [lower, upper]. (An exclusive upper
//     bound of the last bucket would be 2^64, which does not fit.) This is
//     what a Prometheus `le` label wants: le="upper".
//   - Width w = upper - lower + 1 is 1 for i < 2 * kSub, else 2^shift with
//     lower = m << shift, m >= kSub, so w / lower = 1 / m <= 2^-kSubBits.
//     Relative error bound: a value reported as its bucket's upper bound r
//     satisfies v <= r < v * (1 + 2^-kSubBits), i.e. < 3.125% high.
//
// Size: 1920 buckets * 8 B = 15360 B, plus one 64 B cache line for count, sum,
// min and max: sizeof(LatencyHistogram) == 15424 B (static_assert below). No
// heap allocation, ever.
//
// Concurrency: the same model as counters.hpp. Exactly one writer, the owning
// worker lcore, updates every field with a relaxed atomic_ref load + store
// (never a locked RMW, no locks). Any thread may read with relaxed loads.
// Each 64-bit field read is single-copy atomic, but the fields are not mutually
// consistent while the owner records: a reader may see count() one ahead of the
// buckets, etc. The control plane takes a snapshot by merge_from() into a local
// histogram, whose count is the sum of the bucket counts it read, and then
// queries the local copy.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace pmx::stats {

class alignas(64) LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 5;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr size_t kNumBuckets = (64 - kSubBits + 1) * kSub;

  LatencyHistogram() = default;
  // A plain copy would read the owner's fields non-atomically; snapshot with
  // merge_from() into a default-constructed histogram instead.
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // ---- Bucket geometry (pure, constexpr) ----

  static constexpr size_t bucket_of(uint64_t v) {
    const unsigned shift = static_cast<unsigned>(std::bit_width(v | kSub)) - (kSubBits + 1);
    return (static_cast<size_t>(shift) << kSubBits) + static_cast<size_t>(v >> shift);
  }
  // Smallest value in bucket i (inclusive). Precondition: i < kNumBuckets.
  static constexpr uint64_t bucket_lower(size_t i) {
    if (i < 2 * kSub) return i;
    const unsigned shift = static_cast<unsigned>(i >> kSubBits) - 1;
    return ((i & (kSub - 1)) | kSub) << shift;
  }
  // Largest value in bucket i (INCLUSIVE). Precondition: i < kNumBuckets.
  static constexpr uint64_t bucket_upper(size_t i) {
    if (i < 2 * kSub) return i;
    const unsigned shift = static_cast<unsigned>(i >> kSubBits) - 1;
    return bucket_lower(i) + ((uint64_t{1} << shift) - 1);
  }

  // ---- Owner (writer) side ----

  // Hot path: five relaxed load/store pairs, no branches beyond the min/max
  // selects (cmov). sum() wraps modulo 2^64.
  void record(uint64_t v) {
    bump(buckets_[bucket_of(v)], 1);
    bump(count_, 1);
    bump(sum_, v);
    store(min_, std::min(load(min_), v));
    store(max_, std::max(load(max_), v));
  }

  // Owner only. Readers may observe a partially reset histogram.
  void reset() {
    for (auto& b : buckets_) store(b, 0);
    store(count_, 0);
    store(sum_, 0);
    store(min_, kEmptyMin);
    store(max_, 0);
  }

  // Accumulate `other` (owned by another thread, read with relaxed loads) into
  // *this, which must be owned by the caller (a control-plane local). count is
  // advanced by the sum of the bucket counts read from `other`, so *this stays
  // self-consistent (count() == sum of buckets) even if `other` is being
  // written concurrently.
  void merge_from(const LatencyHistogram& other) {
    uint64_t n = 0;
    for (size_t i = 0; i < kNumBuckets; ++i) {
      const uint64_t c = load(other.buckets_[i]);
      if (c != 0) {
        bump(buckets_[i], c);
        n += c;
      }
    }
    bump(count_, n);
    bump(sum_, load(other.sum_));
    store(min_, std::min(load(min_), load(other.min_)));  // empty other: kEmptyMin
    store(max_, std::max(load(max_), load(other.max_)));  // empty other: 0
  }

  // *this (owned by the caller) = the samples recorded between two
  // snapshots of one histogram (merge_from copies; `before` taken first):
  // bucket-wise now - before, so its percentiles are those of the interval's
  // samples alone (a scenario's per-interval latency without a second
  // record() per sample). max/min: the bounds of the highest/lowest
  // non-empty bucket of the difference, clamped to now's max/min. A bucket
  // that shrank (snapshots of different histograms) counts 0.
  void set_difference(const LatencyHistogram& now, const LatencyHistogram& before) {
    uint64_t n = 0;
    size_t lo = kNumBuckets, hi = 0;
    for (size_t i = 0; i < kNumBuckets; ++i) {
      const uint64_t a = load(now.buckets_[i]), b = load(before.buckets_[i]);
      const uint64_t c = a > b ? a - b : 0;
      store(buckets_[i], c);
      if (c == 0) continue;
      n += c;
      lo = std::min(lo, i);
      hi = i;
    }
    store(count_, n);
    store(sum_, n ? load(now.sum_) - load(before.sum_) : 0);
    store(max_, n ? std::min(bucket_upper(hi), load(now.max_)) : 0);
    store(min_, n ? std::max(bucket_lower(lo), load(now.min_)) : kEmptyMin);
  }

  // ---- Reader side (any thread) ----

  uint64_t count() const { return load(count_); }
  uint64_t sum() const { return load(sum_); }  // modulo 2^64
  uint64_t max() const { return load(max_); }  // 0 when empty
  uint64_t min() const { return count() == 0 ? 0 : load(min_); }
  uint64_t bucket_count(size_t i) const { return load(buckets_[i]); }

  // The value at percentile p (p in [0, 100]; clamped, NaN counts as 0): the
  // INCLUSIVE upper bound of the bucket holding the ceil(p/100 * n)-th smallest
  // value (rank at least 1), clamped to max() when max() lies in that bucket.
  // Hence bucket_lower <= result <= bucket_upper, result >= the true value and
  // < true * (1 + 2^-kSubBits); percentile(100) == max() exactly. Returns 0 when
  // empty. n is the sum of the buckets (not count()), so it is consistent on a
  // merge_from() snapshot; on a live histogram the answer is approximate.
  uint64_t percentile(double p) const {
    uint64_t n = 0;
    for (const auto& b : buckets_) n += load(b);
    if (n == 0) return 0;
    if (!(p > 0.0)) p = 0.0;
    if (p > 100.0) p = 100.0;
    const double x = std::ceil(p * static_cast<double>(n) / 100.0);
    uint64_t rank = x >= static_cast<double>(n) ? n : static_cast<uint64_t>(x);
    if (rank == 0) rank = 1;

    const uint64_t mx = max();
    uint64_t cum = 0;
    size_t last = 0;  // last non-empty bucket seen (fallback if writes race)
    for (size_t i = 0; i < kNumBuckets; ++i) {
      const uint64_t c = load(buckets_[i]);
      if (c == 0) continue;
      last = i;
      cum += c;
      if (cum >= rank) break;
    }
    const uint64_t lo = bucket_lower(last), hi = bucket_upper(last);
    return (mx >= lo && mx < hi) ? mx : hi;
  }

  // Calls f(lower, upper, count) for every non-empty bucket in ascending
  // order; [lower, upper] is INCLUSIVE on both ends. For Prometheus, emit
  // _bucket{le="upper"} with the running sum of count.
  template <class F>
  void for_each_bucket(F f) const {
    for (size_t i = 0; i < kNumBuckets; ++i) {
      const uint64_t c = load(buckets_[i]);
      if (c != 0) f(bucket_lower(i), bucket_upper(i), c);
    }
  }

 private:
  static constexpr uint64_t kEmptyMin = std::numeric_limits<uint64_t>::max();

  static uint64_t load(const uint64_t& w) {
    return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(w)).load(std::memory_order_relaxed);
  }
  static void store(uint64_t& w, uint64_t v) {
    std::atomic_ref<uint64_t>(w).store(v, std::memory_order_relaxed);
  }
  // Owner only: relaxed load + store, not a locked RMW (nobody else writes w).
  static void bump(uint64_t& w, uint64_t by) { store(w, load(w) + by); }

  // Header line: written on every record(), together in one cache line.
  alignas(64) uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = kEmptyMin;  // kEmptyMin while empty; min() reports 0 then
  uint64_t max_ = 0;
  alignas(64) std::array<uint64_t, kNumBuckets> buckets_{};
};

static_assert(LatencyHistogram::kNumBuckets == 1920);
static_assert(LatencyHistogram::bucket_of(std::numeric_limits<uint64_t>::max()) ==
              LatencyHistogram::kNumBuckets - 1);
static_assert(LatencyHistogram::bucket_upper(LatencyHistogram::kNumBuckets - 1) ==
              std::numeric_limits<uint64_t>::max());
static_assert(sizeof(LatencyHistogram) == 64 + 1920 * 8);

}  // namespace pmx::stats
