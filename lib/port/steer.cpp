#include "steer.hpp"

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>

namespace pmx::port {

namespace {

// rte_softrss() reads the key as 32-bit words, word j and j+1 for each input
// word j: 4 input words (at most) need 16 key bytes. Copying into an aligned
// buffer avoids a misaligned read and a key shorter than that.
struct Key16 {
  alignas(4) uint8_t b[(RTE_THASH_V4_L4_LEN + 1) * 4] = {};
  explicit Key16(const std::vector<uint8_t>& key) {
    std::memcpy(b, key.data(), std::min(key.size(), sizeof b));
  }
};

// The tuple of a received reply: source = server, destination = local.
// rte_ipv4_tuple wants host order; its third word is (sport << 16) | dport,
// i.e. SourcePort then DestinationPort in wire order, as Microsoft specifies.
rte_ipv4_tuple reply_tuple(uint32_t server_ip, uint16_t server_port, uint32_t local_ip,
                           uint16_t local_port) {
  rte_ipv4_tuple t{};
  t.src_addr = server_ip;
  t.dst_addr = local_ip;
  t.sport = server_port;
  t.dport = local_port;
  return t;
}

// The same for IPv6: RTE_THASH_V6_L4_LEN (9) input words read key words
// 0..9, 40 bytes.
struct Key40 {
  alignas(4) uint8_t b[(RTE_THASH_V6_L4_LEN + 1) * 4] = {};
  explicit Key40(const std::vector<uint8_t>& key) {
    std::memcpy(b, key.data(), std::min(key.size(), sizeof b));
  }
};
static_assert(RTE_THASH_V6_L4_LEN == 9 && RTE_THASH_V6_L3_LEN == 8);

// An address as rte_softrss() wants it: 32-bit words in host order (what
// rte_thash_load_v6_addrs() does to a received header).
void load_v6(uint8_t (&dst)[16], const net::Ipv6Addr& a) {
  for (size_t i = 0; i < 16; i += 4) {
    uint32_t w;
    std::memcpy(&w, &a.b[i], 4);
    w = rte_be_to_cpu_32(w);
    std::memcpy(&dst[i], &w, 4);
  }
}

rte_ipv6_tuple reply_tuple6(const net::Ipv6Addr& server_ip, uint16_t server_port,
                            const net::Ipv6Addr& local_ip, uint16_t local_port) {
  rte_ipv6_tuple t{};
  load_v6(t.src_addr, server_ip);
  load_v6(t.dst_addr, local_ip);
  t.sport = server_port;
  t.dport = local_port;
  return t;
}

bool reta_usable(const RssInfo& info) {
  return info.key.size() >= 16 && !info.reta.empty() && std::has_single_bit(info.reta.size());
}

// IPv6 replies are steered only when the port hashes IPv6/TCP and the key
// covers the 36-byte tuple.
bool reta_usable6(const RssInfo& info) {
  return reta_usable(info) && info.v6_tcp && info.key.size() >= 40;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

uint32_t reply_hash(const std::vector<uint8_t>& key, uint32_t server_ip, uint16_t server_port,
                    uint32_t local_ip, uint16_t local_port) {
  const Key16 k(key);
  rte_ipv4_tuple t = reply_tuple(server_ip, server_port, local_ip, local_port);
  return rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L4_LEN, k.b);
}

uint32_t reply_hash_l3(const std::vector<uint8_t>& key, uint32_t server_ip, uint32_t local_ip) {
  const Key16 k(key);
  rte_ipv4_tuple t = reply_tuple(server_ip, 0, local_ip, 0);
  return rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L3_LEN, k.b);
}

uint32_t reply_hash6(const std::vector<uint8_t>& key, const net::Ipv6Addr& server_ip,
                     uint16_t server_port, const net::Ipv6Addr& local_ip, uint16_t local_port) {
  const Key40 k(key);
  rte_ipv6_tuple t = reply_tuple6(server_ip, server_port, local_ip, local_port);
  return rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V6_L4_LEN, k.b);
}

uint32_t reply_hash6_l3(const std::vector<uint8_t>& key, const net::Ipv6Addr& server_ip,
                        const net::Ipv6Addr& local_ip) {
  const Key40 k(key);
  rte_ipv6_tuple t = reply_tuple6(server_ip, 0, local_ip, 0);
  return rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V6_L3_LEN, k.b);
}

uint16_t reply_queue(const RssInfo& info, uint32_t server_ip, uint16_t server_port,
                     uint32_t local_ip, uint16_t local_port) {
  switch (info.mode) {
    case RssInfo::Mode::Single:
      return 0;
    case RssInfo::Mode::QueuePair:
      return info.nb_queues ? local_port % info.nb_queues : kNoQueue;
    case RssInfo::Mode::Toeplitz: {
      if (!reta_usable(info)) return kNoQueue;
      uint32_t h = reply_hash(info.key, server_ip, server_port, local_ip, local_port);
      return info.reta[h & (info.reta.size() - 1)];
    }
    case RssInfo::Mode::Unpredictable:
      break;
  }
  return kNoQueue;
}

uint16_t reply_queue6(const RssInfo& info, const net::Ipv6Addr& server_ip, uint16_t server_port,
                      const net::Ipv6Addr& local_ip, uint16_t local_port) {
  switch (info.mode) {
    case RssInfo::Mode::Single:
      return 0;
    case RssInfo::Mode::QueuePair:
      return info.nb_queues ? local_port % info.nb_queues : kNoQueue;
    case RssInfo::Mode::Toeplitz: {
      if (!reta_usable6(info)) return kNoQueue;
      uint32_t h = reply_hash6(info.key, server_ip, server_port, local_ip, local_port);
      return info.reta[h & (info.reta.size() - 1)];
    }
    case RssInfo::Mode::Unpredictable:
      break;
  }
  return kNoQueue;
}

uint32_t sym_tuple_hash(uint32_t ip_a, uint16_t port_a, uint32_t ip_b, uint16_t port_b) {
  const uint64_t x = (uint64_t{ip_a ^ ip_b} << 16) | static_cast<uint16_t>(port_a ^ port_b);
  return static_cast<uint32_t>((x * 0x9e3779b97f4a7c15ull) >> 32);  // 2^64 / golden ratio
}

uint32_t sym_tuple_hash6(const net::Ipv6Addr& ip_a, uint16_t port_a, const net::Ipv6Addr& ip_b,
                         uint16_t port_b) {
  uint64_t hi = 0, lo = 0;  // (a ^ b) as two 64-bit halves
  for (size_t i = 0; i < 8; ++i) {
    hi = (hi << 8) | static_cast<uint8_t>(ip_a.b[i] ^ ip_b.b[i]);
    lo = (lo << 8) | static_cast<uint8_t>(ip_a.b[i + 8] ^ ip_b.b[i + 8]);
  }
  // splitmix64's finalizer over the fold: a bijection of x, so two tuples
  // that differ in the fold differ in the hash.
  uint64_t x = hi * 0x9e3779b97f4a7c15ull ^ lo ^ static_cast<uint16_t>(port_a ^ port_b);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<uint32_t>(x >> 32);
}

uint16_t passive_owner(const RssInfo& info, uint32_t local_ip, uint16_t local_port,
                       uint32_t remote_ip, uint16_t remote_port, uint16_t workers) {
  if (workers <= 1) return 0;
  uint16_t q = kNoQueue;
  switch (info.mode) {
    case RssInfo::Mode::Single:
      return 0;
    case RssInfo::Mode::QueuePair:
      return remote_port % workers;
    case RssInfo::Mode::Toeplitz:
      q = reply_queue(info, remote_ip, remote_port, local_ip, local_port);
      break;
    case RssInfo::Mode::Unpredictable:
      break;
  }
  if (q < workers) return q;
  const uint32_t h = sym_tuple_hash(local_ip, local_port, remote_ip, remote_port);
  return static_cast<uint16_t>((uint64_t{h} * workers) >> 32);  // [0, workers) without a division
}

uint16_t passive_owner6(const RssInfo& info, const net::Ipv6Addr& local_ip, uint16_t local_port,
                        const net::Ipv6Addr& remote_ip, uint16_t remote_port, uint16_t workers) {
  if (workers <= 1) return 0;
  uint16_t q = kNoQueue;
  switch (info.mode) {
    case RssInfo::Mode::Single:
      return 0;
    case RssInfo::Mode::QueuePair:
      return remote_port % workers;
    case RssInfo::Mode::Toeplitz:
      q = reply_queue6(info, remote_ip, remote_port, local_ip, local_port);
      break;
    case RssInfo::Mode::Unpredictable:
      break;
  }
  if (q < workers) return q;
  const uint32_t h = sym_tuple_hash6(local_ip, local_port, remote_ip, remote_port);
  return static_cast<uint16_t>((uint64_t{h} * workers) >> 32);
}

bool softrss_selftest() {
  // Microsoft, "Verifying the RSS hash calculation" (IPv4 table); the same
  // rows are DPDK app/test/test_thash.c v4_tbl (82599 datasheet 7.1.2.8.3).
  // The packet goes from src to dst; in reply terms src is the "server".
  static const std::vector<uint8_t> ms_key = {
      0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
      0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
      0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  struct Row {
    uint32_t dst_ip;
    uint16_t dst_port;
    uint32_t src_ip;
    uint16_t src_port;
    uint32_t l3, l4;
  };
  static const Row rows[] = {
      {RTE_IPV4(161, 142, 100, 80), 1766, RTE_IPV4(66, 9, 149, 187), 2794, 0x323e8fc2, 0x51ccc178},
      {RTE_IPV4(65, 69, 140, 83), 4739, RTE_IPV4(199, 92, 111, 2), 14230, 0xd718262a, 0xc626b0ea},
      {RTE_IPV4(12, 22, 207, 184), 38024, RTE_IPV4(24, 19, 198, 95), 12898, 0xd2d0a5de, 0x5c2b394a},
      {RTE_IPV4(209, 142, 163, 6), 2217, RTE_IPV4(38, 27, 205, 30), 48228, 0x82989176, 0xafc7327f},
      {RTE_IPV4(202, 188, 127, 2), 1303, RTE_IPV4(153, 39, 163, 191), 44251, 0x5d1809c5,
       0x10e828a2},
  };
  for (const Row& r : rows) {
    if (reply_hash(ms_key, r.src_ip, r.src_port, r.dst_ip, r.dst_port) != r.l4) return false;
    if (reply_hash_l3(ms_key, r.src_ip, r.dst_ip) != r.l3) return false;
  }
  // 0x6d5a repeated makes Toeplitz symmetric: a -> b and b -> a hash alike.
  // Catches a tuple layout that swapped a field with its partner.
  std::vector<uint8_t> sym(40);
  for (size_t i = 0; i < sym.size(); ++i) sym[i] = (i % 2) ? 0x5a : 0x6d;
  for (const Row& r : rows) {
    if (reply_hash(sym, r.src_ip, r.src_port, r.dst_ip, r.dst_port) !=
        reply_hash(sym, r.dst_ip, r.dst_port, r.src_ip, r.src_port))
      return false;
  }
  // The same page's IPv6 table (test_thash.c v6_tbl): the 40-byte key and
  // the full 36-byte tuple, so every key byte and every tuple word is used.
  struct Row6 {
    const char* dst;
    uint16_t dst_port;
    const char* src;
    uint16_t src_port;
    uint32_t l3, l4;
  };
  static const Row6 rows6[] = {
      {"3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d},
      {"ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf},
      {"fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4b61e985,
       0x02d1feef},
  };
  for (const Row6& r : rows6) {
    const auto dst = net::parse_ipv6(r.dst), src = net::parse_ipv6(r.src);
    if (!dst || !src) return false;
    if (reply_hash6(ms_key, *src, r.src_port, *dst, r.dst_port) != r.l4) return false;
    if (reply_hash6_l3(ms_key, *src, *dst) != r.l3) return false;
    if (reply_hash6(sym, *src, r.src_port, *dst, r.dst_port) !=
        reply_hash6(sym, *dst, r.dst_port, *src, r.src_port))
      return false;
  }
  return true;
}

RssInfo query_rss(uint16_t port_id, uint16_t nb_queues) {
  RssInfo r;
  r.nb_queues = nb_queues;
  const std::string who = "port " + std::to_string(port_id);
  if (nb_queues <= 1) {
    r.mode = RssInfo::Mode::Single;
    r.why = who + ": one RX queue, every reply reaches worker 0";
    return r;
  }
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port_id, &info) != 0) {
    r.why = who + ": cannot read device info";
    return r;
  }
  const std::string driver = info.driver_name ? info.driver_name : "?";

  // Why Toeplitz does not apply; empty if it does.
  std::string no_rss;
  rte_eth_conf conf{};
  rte_eth_rss_conf rss{};
  std::vector<uint8_t> key(std::max<size_t>(info.hash_key_size, 40), 0);
  if (info.flow_type_rss_offloads == 0 || info.reta_size == 0) {
    no_rss = "the PMD has no RSS";
  } else if (rte_eth_dev_conf_get(port_id, &conf) != 0 ||
             !(conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG)) {
    no_rss = "RSS is not enabled on the port (profile rss_hf empty or not supported)";
  } else {
    rss.rss_key = key.data();
    rss.rss_key_len = static_cast<uint8_t>(std::min<size_t>(key.size(), 255));
    constexpr uint64_t only = RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L3_DST_ONLY |
                              RTE_ETH_RSS_L4_SRC_ONLY | RTE_ETH_RSS_L4_DST_ONLY;
    if (rte_eth_dev_rss_hash_conf_get(port_id, &rss) != 0) {
      no_rss = "cannot read the RSS key";
    } else if (!(rss.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP)) {
      no_rss = "RSS does not hash IPv4/TCP ports (rss_hf " + hex(rss.rss_hf) +
               "; add ipv4-tcp to the profile)";
    } else if (rss.rss_hf & only) {
      no_rss = "RSS hashes only some tuple fields (rss_hf " + hex(rss.rss_hf) + ")";
    } else if (std::all_of(key.begin(), key.end(), [](uint8_t b) { return b == 0; })) {
      no_rss = "the PMD did not report its RSS key";
    } else if (!std::has_single_bit(info.reta_size)) {
      no_rss = "RETA size " + std::to_string(info.reta_size) + " is not a power of two";
    } else {
      const uint16_t n = info.reta_size;
      std::vector<rte_eth_rss_reta_entry64> groups((n + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                                   RTE_ETH_RETA_GROUP_SIZE);
      for (size_t g = 0; g < groups.size(); ++g) {
        std::memset(&groups[g], 0, sizeof groups[g]);
        const size_t in_group = std::min<size_t>(RTE_ETH_RETA_GROUP_SIZE, n - g * 64);
        groups[g].mask = in_group == 64 ? ~uint64_t{0} : (uint64_t{1} << in_group) - 1;
      }
      if (rte_eth_dev_rss_reta_query(port_id, groups.data(), n) != 0) {
        no_rss = "cannot read the RETA";
      } else {
        r.reta.resize(n);
        for (uint16_t i = 0; i < n; ++i)
          r.reta[i] = groups[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
      }
    }
  }

  if (no_rss.empty()) {
    r.mode = RssInfo::Mode::Toeplitz;
    r.v6_tcp = (rss.rss_hf & RTE_ETH_RSS_NONFRAG_IPV6_TCP) != 0;
    // Keep what the PMD says is its key length (some leave rss_key_len as is).
    size_t len = rss.rss_key_len ? std::min<size_t>(rss.rss_key_len, key.size()) : key.size();
    if (info.hash_key_size) len = std::min<size_t>(len, info.hash_key_size);
    r.key.assign(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(len));
    r.why = who + " (" + driver + "): Toeplitz RSS, " + std::to_string(r.key.size()) +
            "-byte key, " + std::to_string(r.reta.size()) + "-entry RETA over " +
            std::to_string(nb_queues) + " queues";
    return r;
  }
  r.reta.clear();
  if (driver == "net_memif" || driver == "net_ring") {
    r.mode = RssInfo::Mode::QueuePair;
    r.why = who + " (" + driver + "): queue i pairs with the peer's queue i; source ports " +
            "split by port % " + std::to_string(nb_queues);
    return r;
  }
  r.mode = RssInfo::Mode::Unpredictable;
  r.why = who + " (" + driver + "): " + no_rss + ", so which of its " + std::to_string(nb_queues) +
          " RX queues a reply reaches cannot be predicted" +
          (driver == "net_af_packet" ? " (the kernel's fanout hash has a random seed)" : "");
  return r;
}

TuplePools build_tuple_pools(const RssInfo& info, const PoolSpec& spec) {
  TuplePools out;
  if (spec.workers == 0) {
    out.error = "tuple pools: no workers";
    return out;
  }
  if (spec.port_lo == 0 || spec.port_lo > spec.port_hi) {
    out.error = "tuple pools: bad source port range " + std::to_string(spec.port_lo) + "-" +
                std::to_string(spec.port_hi);
    return out;
  }
  const size_t n_ips = spec.v6 ? spec.src_ips6.size() : spec.src_ips.size();
  if (n_ips == 0) {
    out.error = "tuple pools: no source IPs";
    return out;
  }
  if (n_ips > UINT32_MAX) {  // an IPv6 tuple's ip is a 32-bit index
    out.error = "tuple pools: too many source IPs";
    return out;
  }
  {
    bool dup;
    if (spec.v6) {
      std::vector<std::array<uint8_t, 16>> sorted;
      for (const net::Ipv6Addr& a : spec.src_ips6) sorted.push_back(a.b);
      std::sort(sorted.begin(), sorted.end());
      dup = std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
    } else {
      std::vector<uint32_t> sorted = spec.src_ips;
      std::sort(sorted.begin(), sorted.end());
      dup = std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
    }
    if (dup) {
      out.error = "tuple pools: a source IP is listed twice";
      return out;
    }
  }
  switch (info.mode) {
    case RssInfo::Mode::Unpredictable:
      out.error = "tuple pools: " + info.why;
      return out;
    case RssInfo::Mode::QueuePair:
      if (info.nb_queues == 0) {
        out.error = "tuple pools: queue-pair port with no queues";
        return out;
      }
      break;
    case RssInfo::Mode::Toeplitz:
      if (!reta_usable(info)) {
        out.error = "tuple pools: RSS key shorter than 16 bytes or RETA size " +
                    std::to_string(info.reta.size()) + " not a power of two";
        return out;
      }
      if (spec.v6 && !info.v6_tcp) {
        out.error = "tuple pools: RSS does not hash IPv6/TCP ports (add ipv6-tcp to the profile)";
        return out;
      }
      if (spec.v6 && info.key.size() < 40) {
        out.error = "tuple pools: RSS key of " + std::to_string(info.key.size()) +
                    " bytes, IPv6/TCP needs 40";
        return out;
      }
      break;
    case RssInfo::Mode::Single:
      break;
  }

  const size_t n_ports = size_t{spec.port_hi} - spec.port_lo + 1;
  out.per_worker.resize(spec.workers);
  for (auto& v : out.per_worker) v.reserve(n_ips * n_ports / spec.workers + n_ips);

  // Toeplitz is linear over GF(2) (rte_softrss XORs one key window per set
  // input bit), so hash(server, ip, sport, port) = hash(server, ip, sport, 0)
  // ^ hash(0, 0, 0, port): one hash per IP and per port instead of per tuple.
  // The same holds for the IPv6 tuple (the local port is its last 16 bits
  // there too).
  std::vector<uint32_t> ip_part;
  uint32_t mask = 0;
  if (info.mode == RssInfo::Mode::Toeplitz) {
    ip_part.resize(n_ips);
    for (size_t k = 0; k < n_ips; ++k)
      ip_part[k] = spec.v6
                       ? reply_hash6(info.key, spec.server6, spec.server_port, spec.src_ips6[k], 0)
                       : reply_hash(info.key, spec.server_ip, spec.server_port, spec.src_ips[k], 0);
    mask = static_cast<uint32_t>(info.reta.size() - 1);
  }
  for (uint32_t p = spec.port_lo; p <= spec.port_hi; ++p) {
    const auto port = static_cast<uint16_t>(p);
    uint32_t port_part = 0;
    uint16_t pair_q = 0;
    if (info.mode == RssInfo::Mode::Toeplitz)
      port_part =
          spec.v6 ? reply_hash6(info.key, {}, 0, {}, port) : reply_hash(info.key, 0, 0, 0, port);
    else if (info.mode == RssInfo::Mode::QueuePair)
      pair_q = static_cast<uint16_t>(port % info.nb_queues);
    for (size_t k = 0; k < n_ips; ++k) {
      uint16_t q = 0;
      if (info.mode == RssInfo::Mode::Toeplitz)
        q = info.reta[(ip_part[k] ^ port_part) & mask];
      else if (info.mode == RssInfo::Mode::QueuePair)
        q = pair_q;
      const uint32_t ip = spec.v6 ? static_cast<uint32_t>(k) : spec.src_ips[k];
      if (q < spec.workers) out.per_worker[q].push_back({ip, port});
    }
  }

  std::string empty;
  for (size_t w = 0; w < out.per_worker.size(); ++w) {
    out.per_worker[w].shrink_to_fit();
    if (out.per_worker[w].empty()) empty += (empty.empty() ? "" : ", ") + std::to_string(w);
  }
  if (!empty.empty())
    out.error = "tuple pools: no source tuple steers replies to worker(s) " + empty + " (" +
                info.why + "); widen the source IP/port range or fix the RETA";
  return out;
}

}  // namespace pmx::port
