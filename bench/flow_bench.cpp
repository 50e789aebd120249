// pmx-flow-bench: lookup, insert and delete rates of the flow tables
// (rte_hash directly and through RteFlowTable, OpenFlowTable, and
// std::unordered_map as the baseline), over N random distinct keys looked up
// in random order. Two rows back the flow key's layout (docs/architecture.md,
// "One key type, one table per family"): the same IPv4 keys in one rte_hash
// of 48-byte keys (the single-table design: every key as long as an IPv6
// one), and N IPv6 keys through RteFlowTable's IPv6 table. Every measurement runs `rounds` times,
// interleaved with the others (A B C A B C ...), and the table reports the median and the min-max
// of the rounds. --machine prints `RESULT <key> <value>` lines (the median over the rounds, keys
// named after N: flow_1m_rte_bulk_cycles) instead of the table; --results FILE writes them to FILE
// as well. A microbenchmark, not a test.
//
//   pmx-flow-bench [EAL options] -- [--flows N] [--rounds R] [--round-ms MS]
//                                   [--machine] [--results FILE]
#include "flow/open_flow_table.hpp"
#include "flow/rte_flow_table.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using pmx::flow::FlowKey;
using pmx::flow::FlowTable;
using pmx::flow::kNoFlow;

constexpr unsigned kBurst = 32;         // a typical RX burst
constexpr unsigned kChunk = 1024;       // lookups between two clock reads
constexpr unsigned kChurnBatch = 4096;  // keys deleted, then re-inserted, per step

struct Options {
  size_t flows = 1'000'000;
  unsigned rounds = 5;
  unsigned round_ms = 400;
  bool machine = false;  // RESULT lines instead of the table
  std::string results;   // also write the RESULT lines here
};

[[noreturn]] void usage_exit(int rc) {
  std::fputs(
      "usage: pmx-flow-bench [EAL options] -- [--flows N] [--rounds R] [--round-ms MS]\n"
      "                                       [--machine] [--results FILE]\n"
      "  --flows N      keys in every table (default 1000000)\n"
      "  --rounds R     interleaved rounds per measurement (default 5)\n"
      "  --round-ms MS  duration of one lookup round (default 400; churn rounds\n"
      "                 take half of it)\n"
      "  --machine      print `RESULT <key> <value>` lines (medians) and `#`\n"
      "                 comments instead of the table\n"
      "  --results F    write the RESULT lines to file F too\n",
      rc == 0 ? stdout : stderr);
  std::exit(rc);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") usage_exit(0);
    if (a == "--machine") {
      o.machine = true;
      continue;
    }
    if (i + 1 >= argc) usage_exit(2);
    if (a == "--results") {
      o.results = argv[++i];
      if (o.results.empty()) usage_exit(2);
      continue;
    }
    const unsigned long long v = std::strtoull(argv[++i], nullptr, 10);
    if (a == "--flows" && v > 0 && v < (1ULL << 30))
      o.flows = v;
    else if (a == "--rounds" && v > 0)
      o.rounds = static_cast<unsigned>(v);
    else if (a == "--round-ms" && v > 0)
      o.round_ms = static_cast<unsigned>(v);
    else
      usage_exit(2);
  }
  return o;
}

// The N in the RESULT keys: 1m, 8m, 100k, or the number.
std::string flows_label(size_t n) {
  if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "m";
  if (n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
  return std::to_string(n);
}

// Distinct keys: remote_ip is a bijection of the index (an odd multiplier
// and xor-shifts are invertible mod 2^32); the other fields are random from
// small sets, as on a server: a few local addresses and ports, two ports.
std::vector<FlowKey> make_keys(size_t n, std::mt19937_64& rng) {
  std::vector<FlowKey> keys(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t x = static_cast<uint32_t>(i) * 0x9e3779b1u;
    x ^= x >> 16;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    const uint64_t r = rng();
    keys[i].local_ip = 0x010012c6u + static_cast<uint32_t>((r & 3) << 24);
    keys[i].remote_ip = x;
    keys[i].local_port = static_cast<uint16_t>(0x5000 + ((r >> 2) & 7));
    keys[i].remote_port = static_cast<uint16_t>(r >> 8);
    keys[i].port_id = static_cast<uint16_t>((r >> 24) & 1);
  }
  return keys;
}

// Distinct IPv6 keys: the same construction, the addresses in 2001:2::/48
// (RFC 5180) with the bijection in the remote address's last word.
std::vector<FlowKey> make_keys6(size_t n, std::mt19937_64& rng) {
  std::vector<FlowKey> keys = make_keys(n, rng);
  for (FlowKey& k : keys) {
    const uint8_t prefix[6] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00};
    std::memcpy(k.local6.data(), prefix, sizeof prefix);
    std::memcpy(k.remote6.data(), prefix, sizeof prefix);
    k.local6[15] = static_cast<uint8_t>(k.local_ip >> 24);
    std::memcpy(&k.remote6[12], &k.remote_ip, 4);
    k.local_ip = k.remote_ip = 0;
    k.v6 = 1;
  }
  return keys;
}

// The workload. `order` holds the keys in random order, contiguous, and
// `ptrs` points at them (padded by one burst that wraps around): the key
// and pointer arrays are read sequentially, like packet headers already in
// cache, while the table accesses are random over all N flows.
struct Workload {
  std::vector<FlowKey> order;
  std::vector<const FlowKey*> ptrs;
  size_t n = 0;
};

Workload make_workload(const std::vector<FlowKey>& keys, std::mt19937_64& rng) {
  Workload w;
  w.n = keys.size();
  w.order = keys;
  std::shuffle(w.order.begin(), w.order.end(), rng);
  w.ptrs.resize(w.n + FlowTable::kMaxBulk);
  for (size_t i = 0; i < w.ptrs.size(); ++i) w.ptrs[i] = &w.order[i % w.n];
  return w;
}

struct Sample {
  double mops;
  double cycles;      // per operation
  double on_cpu = 1;  // share of the round's wall time this thread ran
};

double clock_s(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Measures the share of f()'s wall time the thread spent on a CPU: on a
// shared VM, time spent descheduled still counts in TSC cycles.
template <typename F>
double on_cpu(F&& f) {
  const double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
  f();
  const double w = clock_s(CLOCK_MONOTONIC) - w0, c = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
  return w > 0 ? std::min(1.0, c / w) : 1.0;
}

// Runs chunk() (which returns the operations it did) until `budget` TSC
// cycles have passed.
Sample run_for(uint64_t budget, const std::function<uint64_t()>& chunk) {
  uint64_t ops = 0;
  uint64_t t0 = 0, t = 0;
  const double cpu = on_cpu([&] {
    t0 = t = rte_rdtsc();
    while (t - t0 < budget) {
      ops += chunk();
      t = rte_rdtsc();
    }
  });
  const double cyc = static_cast<double>(t - t0);
  return {ops / (cyc / static_cast<double>(rte_get_tsc_hz())) / 1e6, cyc / ops, cpu};
}

uint64_t g_misses = 0;  // lookups of present keys that missed: must stay 0
uint64_t g_sink = 0;    // keeps the looked-up values alive

// A lookup measurement: its own cursor over the workload, continued from
// round to round, so no round re-reads a warm stretch of the table.
struct Lookup {
  const char* name;
  const char* key;  // in the RESULT keys
  // Looks up kBurst keys.
  std::function<void(const FlowKey* const* keys, uint32_t* vals)> burst;
  bool v6 = false;  // over the IPv6 workload
};

uint64_t lookup_chunk(const Lookup& l, const Workload& w, size_t& pos) {
  uint32_t vals[kBurst];
  for (unsigned b = 0; b < kChunk / kBurst; ++b) {
    l.burst(&w.ptrs[pos], vals);
    for (unsigned i = 0; i < kBurst; ++i) {
      g_misses += vals[i] == kNoFlow;
      g_sink += vals[i];
    }
    pos += kBurst;
    if (pos >= w.n) pos -= w.n;
  }
  return kChunk;
}

// A churn measurement: delete a batch of present keys, then insert them
// back, so the table stays between N - kChurnBatch and N entries.
struct Churn {
  const char* erase_name;
  const char* insert_name;
  const char* key;                            // in the RESULT keys: <key>_delete, <key>_insert
  std::function<bool(const FlowKey&)> erase;  // true: was present
  std::function<bool(const FlowKey&, uint32_t val)> insert;  // true: inserted
};

struct ChurnSample {
  Sample del;
  Sample ins;
};

uint64_t g_churn_failures = 0;  // erase of a present key or insert that failed

ChurnSample churn_round(const Churn& c, const Workload& w, size_t& pos, uint64_t budget) {
  uint64_t del_cyc = 0, ins_cyc = 0, ops = 0;
  const double cpu = on_cpu([&] {
    while (del_cyc + ins_cyc < budget) {
      const size_t start = pos;
      const uint64_t t0 = rte_rdtsc();
      for (unsigned i = 0; i < kChurnBatch; ++i)
        g_churn_failures += !c.erase(*w.ptrs[(start + i) % w.n]);
      const uint64_t t1 = rte_rdtsc();
      for (unsigned i = 0; i < kChurnBatch; ++i) {
        const size_t k = (start + i) % w.n;
        g_churn_failures += !c.insert(*w.ptrs[k], static_cast<uint32_t>(k));
      }
      const uint64_t t2 = rte_rdtsc();
      del_cyc += t1 - t0;
      ins_cyc += t2 - t1;
      ops += kChurnBatch;
      pos = (start + kChurnBatch) % w.n;
    }
  });
  const double hz = static_cast<double>(rte_get_tsc_hz());
  auto sample = [&](uint64_t cyc) {
    return Sample{ops / (cyc / hz) / 1e6, static_cast<double>(cyc) / ops, cpu};
  };
  return {sample(del_cyc), sample(ins_cyc)};
}

struct Row {
  std::string name;
  std::string key;  // RESULT keys <key>_cycles, <key>_mops, <key>_oncpu_pct
  std::vector<Sample> samples;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

struct Medians {
  double mops, cycles, worst_on_cpu;
};

Medians medians(const Row& r) {
  std::vector<double> mops, cyc;
  double cpu = 1;
  for (const Sample& s : r.samples) {
    mops.push_back(s.mops);
    cyc.push_back(s.cycles);
    cpu = std::min(cpu, s.on_cpu);
  }
  return {median(mops), median(cyc), cpu};
}

void print_row(const Row& r) {
  std::vector<double> mops, cyc;
  for (const Sample& s : r.samples) {
    mops.push_back(s.mops);
    cyc.push_back(s.cycles);
  }
  const auto [mlo, mhi] = std::minmax_element(mops.begin(), mops.end());
  const auto [clo, chi] = std::minmax_element(cyc.begin(), cyc.end());
  std::printf("| %s | %.2f | %.2f–%.2f | %.0f | %.0f–%.0f |\n", r.name.c_str(), median(mops), *mlo,
              *mhi, median(cyc), *clo, *chi);
}

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const { return pmx::flow::flow_hash(k); }
};
using StdMap = std::unordered_map<FlowKey, uint32_t, FlowKeyHash>;

// Through the interface, as the engine calls it: the compiler cannot see
// the dynamic type behind a FlowTable& that crossed this boundary.
[[gnu::noinline]] FlowTable& as_interface(FlowTable& t) { return t; }

template <class Insert>
double fill(const std::vector<FlowKey>& keys, Insert&& insert, size_t& failed) {
  const uint64_t t0 = rte_rdtsc();
  for (size_t i = 0; i < keys.size(); ++i) failed += !insert(keys[i], static_cast<uint32_t>(i));
  return static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(rte_get_tsc_hz());
}

// rte_hash_lookup_bulk_data over one burst, the values as FlowTable gives them.
void raw_bulk(rte_hash* h, const FlowKey* const* k, uint32_t* v) {
  void* data[kBurst];
  uint64_t hits = 0;
  rte_hash_lookup_bulk_data(h, reinterpret_cast<const void**>(const_cast<const FlowKey**>(k)),
                            kBurst, &hits, data);
  for (unsigned i = 0; i < kBurst; ++i)
    v[i] = (hits >> i) & 1 ? static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data[i])) : kNoFlow;
}

// The single-table alternative to RteFlowTable's two: one rte_hash whose
// keys are all sizeof(FlowKey) bytes, IPv4 keys zero-padded.
rte_hash* create_rte48(size_t n) {
  rte_hash_parameters p{};
  p.name = "pmx_bench_flow48";
  p.entries = static_cast<uint32_t>(n < 8 ? 8 : n);
  p.key_len = sizeof(FlowKey);
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  rte_hash* h = rte_hash_create(&p);
  if (!h)
    throw std::runtime_error(std::string("rte_hash_create(48-byte keys): ") +
                             rte_strerror(rte_errno));
  return h;
}

std::vector<Lookup> lookups(rte_hash* h, rte_hash* h48, FlowTable& rte, FlowTable& rte6,
                            FlowTable& open, const StdMap& map) {
  return {
      {"rte_hash_lookup_bulk_data, bursts of 32", "rte_bulk",
       [h](const FlowKey* const* k, uint32_t* v) { raw_bulk(h, k, v); }},
      {"rte_hash_lookup_bulk_data, 48-byte keys (IPv4 keys padded), bursts of 32", "rte48_bulk",
       [h48](const FlowKey* const* k, uint32_t* v) { raw_bulk(h48, k, v); }},
      {"RteFlowTable::lookup_bulk (FlowTable&), IPv6 keys, bursts of 32", "rtetable6_bulk",
       [&rte6](const FlowKey* const* k, uint32_t* v) { rte6.lookup_bulk(k, kBurst, v); }, true},
      {"RteFlowTable::lookup_bulk (FlowTable&), bursts of 32", "rtetable_bulk",
       [&rte](const FlowKey* const* k, uint32_t* v) { rte.lookup_bulk(k, kBurst, v); }},
      {"rte_hash_lookup_data, single", "rte_single",
       [h](const FlowKey* const* k, uint32_t* v) {
         for (unsigned i = 0; i < kBurst; ++i) {
           void* d;
           v[i] = rte_hash_lookup_data(h, k[i], &d) >= 0
                      ? static_cast<uint32_t>(reinterpret_cast<uintptr_t>(d))
                      : kNoFlow;
         }
       }},
      {"RteFlowTable::lookup (FlowTable&), single", "rtetable_single",
       [&rte](const FlowKey* const* k, uint32_t* v) {
         for (unsigned i = 0; i < kBurst; ++i) v[i] = rte.lookup(*k[i]);
       }},
      {"std::unordered_map::find, single", "umap_find",
       [&map](const FlowKey* const* k, uint32_t* v) {
         for (unsigned i = 0; i < kBurst; ++i) {
           auto it = map.find(*k[i]);
           v[i] = it == map.end() ? kNoFlow : it->second;
         }
       }},
      {"OpenFlowTable::lookup (FlowTable&), single", "open_single",
       [&open](const FlowKey* const* k, uint32_t* v) {
         for (unsigned i = 0; i < kBurst; ++i) v[i] = open.lookup(*k[i]);
       }},
      {"OpenFlowTable::lookup_bulk (FlowTable&), bursts of 32", "open_bulk",
       [&open](const FlowKey* const* k, uint32_t* v) { open.lookup_bulk(k, kBurst, v); }},
  };
}

std::vector<Churn> churns(rte_hash* h, rte_hash* h48, FlowTable& rte, FlowTable& open,
                          StdMap& map) {
  return {
      {"rte_hash_del_key", "rte_hash_add_key_data", "rte",
       [h](const FlowKey& k) { return rte_hash_del_key(h, &k) >= 0; },
       [h](const FlowKey& k, uint32_t v) {
         return rte_hash_add_key_data(h, &k, reinterpret_cast<void*>(uintptr_t{v})) == 0;
       }},
      {"rte_hash_del_key, 48-byte keys", "rte_hash_add_key_data, 48-byte keys", "rte48",
       [h48](const FlowKey& k) { return rte_hash_del_key(h48, &k) >= 0; },
       [h48](const FlowKey& k, uint32_t v) {
         return rte_hash_add_key_data(h48, &k, reinterpret_cast<void*>(uintptr_t{v})) == 0;
       }},
      {"RteFlowTable::erase (FlowTable&)", "RteFlowTable::insert (FlowTable&), lookup first",
       "rtetable", [&rte](const FlowKey& k) { return rte.erase(k); },
       [&rte](const FlowKey& k, uint32_t v) { return rte.insert(k, v) == 0; }},
      {"std::unordered_map::erase", "std::unordered_map::emplace", "umap",
       [&map](const FlowKey& k) { return map.erase(k) == 1; },
       [&map](const FlowKey& k, uint32_t v) { return map.emplace(k, v).second; }},
      {"OpenFlowTable::erase (FlowTable&)", "OpenFlowTable::insert (FlowTable&)", "open",
       [&open](const FlowKey& k) { return open.erase(k); },
       [&open](const FlowKey& k, uint32_t v) { return open.insert(k, v) == 0; }},
  };
}

int run(const Options& o) {
  std::mt19937_64 rng(20240611);
  const std::vector<FlowKey> keys = make_keys(o.flows, rng);
  const Workload w = make_workload(keys, rng);
  const std::vector<FlowKey> keys6 = make_keys6(o.flows, rng);
  const Workload w6 = make_workload(keys6, rng);

  pmx::flow::RteFlowTable rte_table(o.flows);
  pmx::flow::RteFlowTable rte6_table(o.flows);
  const std::unique_ptr<rte_hash, decltype(&rte_hash_free)> h48_owner(create_rte48(o.flows),
                                                                      rte_hash_free);
  rte_hash* const h48 = h48_owner.get();
  pmx::flow::OpenFlowTable open_table(o.flows);
  StdMap map;
  map.reserve(o.flows);
  FlowTable& rte = as_interface(rte_table);
  FlowTable& rte6 = as_interface(rte6_table);
  FlowTable& open = as_interface(open_table);

  size_t rte_failed = 0, open_failed = 0, map_failed = 0;
  const double rte_s = fill(
      keys, [&](auto& k, uint32_t v) { return rte.insert(k, v) == 0; }, rte_failed);
  const double rte6_s = fill(
      keys6, [&](auto& k, uint32_t v) { return rte6.insert(k, v) == 0; }, rte_failed);
  const double rte48_s = fill(
      keys,
      [&](auto& k, uint32_t v) {
        return rte_hash_add_key_data(h48, &k, reinterpret_cast<void*>(uintptr_t{v})) == 0;
      },
      rte_failed);
  const double open_s = fill(
      keys, [&](auto& k, uint32_t v) { return open.insert(k, v) == 0; }, open_failed);
  const double map_s = fill(
      keys, [&](auto& k, uint32_t v) { return map.emplace(k, v).second; }, map_failed);
  const char* comment = o.machine ? "# " : "";
  std::printf("%sflows %zu, %u rounds, lookup rounds of %u ms, TSC %.3f GHz, %s\n", comment,
              o.flows, o.rounds, o.round_ms, rte_get_tsc_hz() / 1e9,
              rte_eal_has_hugepages() ? "DPDK memory on hugepages" : "DPDK memory --no-huge");
  std::printf(
      "%sfill: rte_hash %.2f s (%zu refused, capacity %zu), OpenFlowTable %.2f s (%zu slots),"
      " unordered_map %.2f s\n",
      comment, rte_s, rte_failed, rte_table.capacity(), open_s, open_table.slot_count(), map_s);
  std::printf("%sfill: rte_hash of 48-byte keys %.2f s, RteFlowTable with IPv6 keys %.2f s\n",
              comment, rte48_s, rte6_s);
  std::fflush(stdout);
  if (rte_failed + open_failed + map_failed) {
    std::fprintf(stderr, "fill failed: rte %zu open %zu map %zu\n", rte_failed, open_failed,
                 map_failed);
    return 1;
  }

  const std::vector<Lookup> ls = lookups(rte_table.raw(), h48, rte, rte6, open, map);
  const std::vector<Churn> cs = churns(rte_table.raw(), h48, rte, open, map);
  std::vector<Row> lrows(ls.size()), drows(cs.size()), irows(cs.size());
  std::vector<size_t> lpos(ls.size()), cpos(cs.size());
  for (size_t i = 0; i < cs.size(); ++i) cpos[i] = i * (w.n / cs.size());
  const uint64_t budget = rte_get_tsc_hz() / 1000 * o.round_ms;
  for (unsigned r = 0; r < o.rounds; ++r) {
    for (size_t i = 0; i < ls.size(); ++i)
      lrows[i].samples.push_back(
          run_for(budget, [&] { return lookup_chunk(ls[i], ls[i].v6 ? w6 : w, lpos[i]); }));
    for (size_t i = 0; i < cs.size(); ++i) {
      const ChurnSample s = churn_round(cs[i], w, cpos[i], budget / 2);
      drows[i].samples.push_back(s.del);
      irows[i].samples.push_back(s.ins);
    }
  }

  for (size_t i = 0; i < ls.size(); ++i) {
    lrows[i].name = std::string("lookup: ") + ls[i].name;
    lrows[i].key = ls[i].key;
  }
  for (size_t i = 0; i < cs.size(); ++i) {
    drows[i].name = std::string("delete: ") + cs[i].erase_name;
    drows[i].key = std::string(cs[i].key) + "_delete";
    irows[i].name = std::string("insert: ") + cs[i].insert_name;
    irows[i].key = std::string(cs[i].key) + "_insert";
  }
  std::vector<const Row*> rows;
  for (const Row& r : lrows) rows.push_back(&r);
  for (const Row& r : drows) rows.push_back(&r);
  for (const Row& r : irows) rows.push_back(&r);

  const std::string prefix = "flow_" + flows_label(o.flows) + "_";
  std::vector<std::pair<std::string, double>> results;
  double worst = 1;
  for (const Row* r : rows) {
    const Medians m = medians(*r);
    results.emplace_back(prefix + r->key + "_cycles", m.cycles);
    results.emplace_back(prefix + r->key + "_mops", m.mops);
    results.emplace_back(prefix + r->key + "_oncpu_pct", m.worst_on_cpu * 100);
    worst = std::min(worst, m.worst_on_cpu);
  }
  // The target, per run: rte_hash bulk lookups over
  // std::unordered_map finds (lookup rate ratio).
  auto mops_of = [&](const char* key) {
    for (const Row* r : rows)
      if (r->key == key) return medians(*r).mops;
    return 0.0;
  };
  results.emplace_back(prefix + "bulk_speedup_vs_umap", mops_of("rte_bulk") / mops_of("umap_find"));
  // The flow key's layout: 16-byte IPv4 keys over the same keys padded to 48.
  results.emplace_back(prefix + "bulk16_speedup_vs_48",
                       mops_of("rte_bulk") / mops_of("rte48_bulk"));
  results.emplace_back(prefix + "rte_fill_s", rte_s);
  results.emplace_back(prefix + "rte48_fill_s", rte48_s);
  results.emplace_back(prefix + "rte6_fill_s", rte6_s);
  results.emplace_back(prefix + "open_fill_s", open_s);
  results.emplace_back(prefix + "umap_fill_s", map_s);
  results.emplace_back(prefix + "oncpu_min_pct", worst * 100);

  if (!o.machine) {
    std::printf(
        "\n| operation | Mops/s (median) | Mops/s (min–max) | cycles/op (median) |"
        " cycles/op (min–max) |\n| --- | ---: | ---: | ---: | ---: |\n");
    for (const Row* r : rows) print_row(*r);
    std::printf("\non CPU: %.0f%% of the wall time in the worst round\n", worst * 100);
    std::printf("lookup misses %llu (must be 0), churn failures %llu, checksum %llu\n",
                static_cast<unsigned long long>(g_misses),
                static_cast<unsigned long long>(g_churn_failures),
                static_cast<unsigned long long>(g_sink));
  } else {
    for (const auto& [k, v] : results) std::printf("RESULT %s %.3f\n", k.c_str(), v);
  }
  if (!o.results.empty()) {
    std::ofstream f(o.results);
    for (const auto& [k, v] : results) {
      char line[160];
      std::snprintf(line, sizeof line, "RESULT %s %.3f\n", k.c_str(), v);
      f << line;
    }
    if (!f.good()) {
      std::fprintf(stderr, "pmx-flow-bench: cannot write %s\n", o.results.c_str());
      return 1;
    }
  }
  if (g_misses || g_churn_failures)
    std::fprintf(stderr, "pmx-flow-bench: %llu lookup misses, %llu churn failures\n",
                 static_cast<unsigned long long>(g_misses),
                 static_cast<unsigned long long>(g_churn_failures));
  return g_misses == 0 && g_churn_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int consumed = rte_eal_init(argc, argv);
  if (consumed < 0) {
    std::fprintf(stderr, "pmx-flow-bench: EAL initialisation failed: %s\n",
                 rte_strerror(rte_errno));
    return 1;
  }
  // rte_eal_init consumed the EAL options and the "--"; argv[consumed] is
  // the program name again.
  const Options o = parse(argc - consumed - 1, argv + consumed + 1);
  int rc = 1;
  try {
    rc = run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pmx-flow-bench: %s\n", e.what());
  }
  rte_eal_cleanup();
  return rc;
}
