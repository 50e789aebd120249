#include "stats/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace pmx::stats {
namespace {

using H = LatencyHistogram;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// Values spread log-uniformly over the whole 64-bit range, plus every power of
// two and its neighbours: the edges of the power-of-two ranges.
std::vector<uint64_t> sample_values() {
  std::vector<uint64_t> vs;
  std::mt19937_64 rng(0x5eed'cafe'f00dULL);
  for (int i = 0; i < 200000; ++i) vs.push_back(rng() >> (rng() % 64));
  for (unsigned k = 0; k < 64; ++k) {
    const uint64_t p = uint64_t{1} << k;
    vs.push_back(p - 1);
    vs.push_back(p);
    vs.push_back(p + 1);
  }
  vs.push_back(kMax);
  vs.push_back(kMax - 1);
  vs.push_back(uint64_t{1} << 40);
  return vs;
}

// Nearest-rank percentile of a sorted vector, the definition percentile() uses.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<size_t>(std::ceil(p * n / 100.0));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

TEST(Histogram, Geometry) {
  EXPECT_EQ(H::kSubBits, 5u);
  EXPECT_EQ(H::kNumBuckets, 1920u);
  EXPECT_EQ(sizeof(H), 15424u);
}

TEST(Histogram, ExactSmallValues) {
  // Below 2^kSubBits (indeed below 2^(kSubBits+1)) every value has its own bucket.
  for (uint64_t v = 0; v < 2 * H::kSub; ++v) {
    EXPECT_EQ(H::bucket_of(v), v);
    EXPECT_EQ(H::bucket_lower(v), v);
    EXPECT_EQ(H::bucket_upper(v), v);
  }
  auto h = std::make_unique<H>();
  for (uint64_t v = 0; v < H::kSub; ++v) h->record(v);
  for (uint64_t v = 0; v < H::kSub; ++v) EXPECT_EQ(h->bucket_count(v), 1u) << v;
  // Exact buckets: the percentiles are the exact order statistics.
  EXPECT_EQ(h->percentile(50), 15u);  // rank 16 of 0..31
  EXPECT_EQ(h->percentile(0), 0u);
  EXPECT_EQ(h->percentile(100), 31u);
}

// Nearest rank: the ceil(p/100 * n)-th smallest value (rank >= 1). Exact
// buckets make the answer the exact order statistic.
TEST(Histogram, NearestRankOnExactBuckets) {
  std::vector<uint64_t> vs;
  for (uint64_t v = 0; v < 10; ++v) vs.push_back(v * 3 % 10 + 20);  // 20..29, unsorted
  auto h = std::make_unique<H>();
  for (const uint64_t v : vs) h->record(v);
  std::sort(vs.begin(), vs.end());
  for (double p = 0; p <= 100; p += 2.5) EXPECT_EQ(h->percentile(p), exact_percentile(vs, p)) << p;
  EXPECT_EQ(h->percentile(15), 21u);  // rank ceil(1.5) = 2
  EXPECT_EQ(h->percentile(10), 20u);  // rank 1
  EXPECT_EQ(h->percentile(10.01), 21u);
}

TEST(Histogram, BoundsMonotoneAndContiguous) {
  EXPECT_EQ(H::bucket_lower(0), 0u);
  EXPECT_EQ(H::bucket_upper(H::kNumBuckets - 1), kMax);
  for (size_t i = 0; i < H::kNumBuckets; ++i) {
    const uint64_t lo = H::bucket_lower(i), hi = H::bucket_upper(i);
    ASSERT_LE(lo, hi) << i;
    ASSERT_EQ(H::bucket_of(lo), i) << i;
    ASSERT_EQ(H::bucket_of(hi), i) << i;
    if (i + 1 < H::kNumBuckets) {
      ASSERT_EQ(H::bucket_lower(i + 1), hi + 1) << i;  // no gap, no overlap
    }
  }
}

TEST(Histogram, EveryValueInItsBucketWithinRelativeError) {
  for (const uint64_t v : sample_values()) {
    const size_t i = H::bucket_of(v);
    ASSERT_LT(i, H::kNumBuckets) << v;
    const uint64_t lo = H::bucket_lower(i), hi = H::bucket_upper(i);
    ASSERT_LE(lo, v) << v;
    ASSERT_LE(v, hi) << v;
    const uint64_t width = hi - lo + 1;  // no overflow: hi - lo < 2^58
    // width / lower <= 2^-kSubBits, unless the bucket is exact.
    if (width != 1) {
      ASSERT_LE(width << H::kSubBits, lo) << v;
    }
    // Reporting the upper bound overstates v by < 2^-kSubBits (3.125%).
    ASSERT_LE(static_cast<long double>(hi - v), static_cast<long double>(v) / H::kSub) << v;
  }
}

TEST(Histogram, EmptyIsAllZero) {
  auto h = std::make_unique<H>();
  EXPECT_EQ(h->count(), 0u);
  EXPECT_EQ(h->sum(), 0u);
  EXPECT_EQ(h->min(), 0u);
  EXPECT_EQ(h->max(), 0u);
  EXPECT_EQ(h->percentile(50), 0u);
  EXPECT_EQ(h->percentile(100), 0u);
  int calls = 0;
  h->for_each_bucket([&](uint64_t, uint64_t, uint64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(Histogram, CountSumMinMax) {
  auto h = std::make_unique<H>();
  h->record(700);
  h->record(3);
  h->record(123456789);
  h->record(40);
  EXPECT_EQ(h->count(), 4u);
  EXPECT_EQ(h->sum(), 700u + 3u + 123456789u + 40u);
  EXPECT_EQ(h->min(), 3u);
  EXPECT_EQ(h->max(), 123456789u);
}

TEST(Histogram, UniformPercentiles) {
  auto h = std::make_unique<H>();
  for (uint64_t v = 1; v <= 1000; ++v) h->record(v);
  EXPECT_EQ(h->count(), 1000u);
  EXPECT_EQ(h->sum(), 500500u);
  EXPECT_EQ(h->min(), 1u);
  EXPECT_EQ(h->max(), 1000u);

  const auto p50 = static_cast<double>(h->percentile(50));
  const auto p99 = static_cast<double>(h->percentile(99));
  EXPECT_NEAR(p50, 500.0, 500.0 * 0.032);
  EXPECT_NEAR(p99, 990.0, 990.0 * 0.032);
  EXPECT_GE(p50, 500.0);  // the upper bound never understates
  EXPECT_GE(p99, 990.0);
  EXPECT_EQ(h->percentile(100), 1000u);
  EXPECT_EQ(h->percentile(100), h->max());
  EXPECT_EQ(h->percentile(0), 1u);
  // Out-of-range p is clamped.
  EXPECT_EQ(h->percentile(250), 1000u);
  EXPECT_EQ(h->percentile(-5), 1u);
  // Monotone in p.
  uint64_t prev = 0;
  for (double p = 0; p <= 100; p += 0.5) {
    const uint64_t q = h->percentile(p);
    EXPECT_GE(q, prev) << p;
    prev = q;
  }
}

TEST(Histogram, PercentilesMatchNearestRankOnRandomData) {
  std::vector<uint64_t> vs;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 50000; ++i) vs.push_back(rng() >> (24 + rng() % 40));  // < 2^40
  auto h = std::make_unique<H>();
  for (const uint64_t v : vs) h->record(v);
  std::sort(vs.begin(), vs.end());
  for (const double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const uint64_t exact = exact_percentile(vs, p);
    const uint64_t got = h->percentile(p);
    const size_t b = H::bucket_of(exact);
    EXPECT_EQ(got, std::min(H::bucket_upper(b), vs.back())) << p;
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / H::kSub) << p;
  }
}

TEST(Histogram, ForEachBucketAscendingAndCumulative) {
  auto h = std::make_unique<H>();
  const auto vs = sample_values();
  for (const uint64_t v : vs) h->record(v);
  uint64_t cum = 0, prev_hi = 0;
  bool first = true;
  h->for_each_bucket([&](uint64_t lo, uint64_t hi, uint64_t c) {
    EXPECT_LE(lo, hi);
    if (!first) {
      EXPECT_GT(lo, prev_hi);
    }
    EXPECT_GT(c, 0u);
    EXPECT_EQ(h->bucket_count(H::bucket_of(lo)), c);
    first = false;
    prev_hi = hi;
    cum += c;
  });
  EXPECT_EQ(cum, vs.size());
  EXPECT_EQ(cum, h->count());
  EXPECT_EQ(prev_hi, kMax);  // sample includes UINT64_MAX
}

TEST(Histogram, MergeEqualsRecordingBoth) {
  std::mt19937_64 rng(7);
  auto a = std::make_unique<H>(), b = std::make_unique<H>(), both = std::make_unique<H>();
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng() >> (20 + rng() % 44);
    a->record(v);
    both->record(v);
  }
  for (int i = 0; i < 7000; ++i) {
    const uint64_t v = 5 + (rng() >> (30 + rng() % 34));
    b->record(v);
    both->record(v);
  }
  auto m = std::make_unique<H>();
  m->merge_from(*a);
  m->merge_from(*b);
  m->merge_from(H{});  // merging an empty histogram changes nothing
  EXPECT_EQ(m->count(), both->count());
  EXPECT_EQ(m->sum(), both->sum());
  EXPECT_EQ(m->min(), both->min());
  EXPECT_EQ(m->max(), both->max());
  for (size_t i = 0; i < H::kNumBuckets; ++i) {
    ASSERT_EQ(m->bucket_count(i), both->bucket_count(i)) << i;
  }
  for (const double p : {0.0, 50.0, 99.0, 100.0}) EXPECT_EQ(m->percentile(p), both->percentile(p));
  // Sources are untouched.
  EXPECT_EQ(a->count(), 10000u);
  EXPECT_EQ(b->count(), 7000u);
}

TEST(Histogram, MergeIntoEmptyKeepsMinOfSource) {
  auto src = std::make_unique<H>();
  src->record(77);
  auto m = std::make_unique<H>();
  m->merge_from(*src);
  EXPECT_EQ(m->min(), 77u);
  EXPECT_EQ(m->max(), 77u);
  EXPECT_EQ(m->count(), 1u);
}

TEST(Histogram, Reset) {
  auto h = std::make_unique<H>();
  for (uint64_t v : {1ULL, 1000ULL, 1ULL << 40}) h->record(v);
  h->reset();
  EXPECT_EQ(h->count(), 0u);
  EXPECT_EQ(h->sum(), 0u);
  EXPECT_EQ(h->min(), 0u);
  EXPECT_EQ(h->max(), 0u);
  EXPECT_EQ(h->percentile(50), 0u);
  for (size_t i = 0; i < H::kNumBuckets; ++i) ASSERT_EQ(h->bucket_count(i), 0u) << i;
  // min/max restart from the new values, not the old ones.
  h->record(500);
  EXPECT_EQ(h->min(), 500u);
  EXPECT_EQ(h->max(), 500u);
  EXPECT_EQ(h->count(), 1u);
}

TEST(Histogram, ExtremeValues) {
  auto h = std::make_unique<H>();
  h->record(0);
  h->record(kMax);
  EXPECT_EQ(h->count(), 2u);
  EXPECT_EQ(h->bucket_count(0), 1u);
  EXPECT_EQ(h->bucket_count(H::kNumBuckets - 1), 1u);
  EXPECT_EQ(h->min(), 0u);
  EXPECT_EQ(h->max(), kMax);
  EXPECT_EQ(h->sum(), kMax);  // wraps modulo 2^64 beyond this
  EXPECT_EQ(h->percentile(0), 0u);
  EXPECT_EQ(h->percentile(100), kMax);
  h->record(kMax);
  EXPECT_EQ(h->sum(), kMax - 1);  // documented wrap
  EXPECT_EQ(h->count(), 3u);
}

// One writer, one reader snapshotting with merge_from() while it records: each
// snapshot is self-consistent and counts never go backwards.
TEST(Histogram, ConcurrentReaderSnapshots) {
  auto h = std::make_unique<H>();
  constexpr uint64_t kN = 300000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t i = 0; i < kN; ++i) h->record(i % 5000);
    done.store(true, std::memory_order_release);
  });
  uint64_t prev = 0;
  int snaps = 0;
  while (!done.load(std::memory_order_acquire) || snaps == 0) {
    auto snap = std::make_unique<H>();
    snap->merge_from(*h);
    uint64_t n = 0;
    snap->for_each_bucket([&](uint64_t, uint64_t, uint64_t c) { n += c; });
    ASSERT_EQ(n, snap->count());
    ASSERT_GE(n, prev);
    ASSERT_LE(n, kN);
    prev = n;
    ++snaps;
  }
  writer.join();
  auto fin = std::make_unique<H>();
  fin->merge_from(*h);
  EXPECT_EQ(fin->count(), kN);
  EXPECT_EQ(fin->max(), 4999u);
  EXPECT_EQ(fin->min(), 0u);
}

// An interval's histogram is the difference of two cumulative snapshots:
// its percentiles and count equal those of a histogram fed only that
// interval's samples.
TEST(Histogram, SetDifferenceIsTheIntervalsSamples) {
  auto live = std::make_unique<H>(), before = std::make_unique<H>(), now = std::make_unique<H>(),
       diff = std::make_unique<H>(), only = std::make_unique<H>();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) live->record(rng() % 100000);  // the first interval
  before->merge_from(*live);
  for (int i = 0; i < 3000; ++i) {  // the second: other values
    const uint64_t v = 200000 + rng() % 50000;
    live->record(v);
    only->record(v);
  }
  now->merge_from(*live);
  diff->set_difference(*now, *before);
  EXPECT_EQ(diff->count(), 3000u);
  EXPECT_EQ(diff->sum(), only->sum());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9})
    EXPECT_EQ(diff->percentile(p), only->percentile(p));
  EXPECT_EQ(diff->max(), only->max());  // now's max lies in the interval
  EXPECT_GE(diff->min(), H::bucket_lower(H::bucket_of(only->min())));
  EXPECT_LE(diff->min(), only->min());
  // No new samples: empty.
  diff->set_difference(*now, *now);
  EXPECT_EQ(diff->count(), 0u);
  EXPECT_EQ(diff->percentile(99), 0u);
  EXPECT_EQ(diff->max(), 0u);
}

}  // namespace
}  // namespace pmx::stats
