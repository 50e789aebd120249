// Per-core source tuples over a source address range of up to 2^20
// addresses, without a table per tuple or per address (issue 14).
//
// build_tuple_pools() (steer.hpp) lists every tuple: 8 bytes each, so 2^20
// addresses x 16,384 ports would be 128 GiB. SrcSteer keeps only what the
// reply queue of a tuple is computed from, and workers walk the tuples in
// order, skipping those whose replies another queue gets:
//   Toeplitz is linear over XOR (one key window XORed per set input bit), so
//   hash(server, sport, local, lport) = fix ^ A(local) ^ P(lport), where fix
//   hashes the server's address and port (and, IPv6, the local address's
//   high 64 bits, equal over the range), A XORs one 256-entry table per
//   varying byte of the local address (4 for IPv4, the low 8 for IPv6) and P
//   one per byte of the local port. The queue is reta[hash & (reta - 1)].
//   That is 10 tables of 256 words: 10 KiB whatever the range.
//   Per-worker tuple counts come from two histograms over the RETA index
//   bits (addresses by A's low bits, ports by P's): one pass over the
//   addresses and the ports, then reta^2 products, never one per tuple.
// A worker's next tuple costs on average reta / (its RETA entries) looks
// (the number of workers with a round-robin RETA), a few table reads each.
// Single and QueuePair steering are arithmetic already (0, port % queues).
#pragma once

#include "port/steer.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pmx::port {

struct RangeSpec {
  bool v6 = false;
  uint32_t server_ip = 0;  // host order
  net::Ipv6Addr server6{};
  uint16_t server_port = 0;
  uint32_t src_lo = 0;      // IPv4: the first source address, host order
  net::Ipv6Addr src6_lo{};  // IPv6: the first source address
  uint32_t n_src = 0;       // source addresses, 1..2^20, from the first up
  uint16_t port_lo = 0;     // ephemeral source ports [port_lo, port_hi], port_lo >= 1
  uint16_t port_hi = 0;
  uint16_t workers = 0;  // W; worker i <-> queue i
};

class SrcSteer {
 public:
  static constexpr uint32_t kMaxSrc = 1u << 20;

  // Where a worker is in its walk: address index k (inner) and port offset
  // from port_lo (outer), so consecutive tuples alternate source addresses.
  struct Cursor {
    uint32_t k = 0;
    uint32_t port = 0;
  };

  // Control plane, once per run. "" on success, else one line: a bad spec
  // or steering, or the workers no tuple steers replies to.
  std::string build(const RssInfo& info, const RangeSpec& spec);

  // The queue (= worker) replies to (address k, local port) reach; only
  // tuples with queue() == w are worker w's.
  uint16_t queue(uint32_t k, uint16_t port) const {
    switch (mode_) {
      case RssInfo::Mode::Toeplitz: {
        uint32_t h = fix_ ^ portt_[0][port >> 8] ^ portt_[1][port & 0xff];
        const uint64_t a = lo_ + k;
        for (unsigned j = 0; j < nbytes_; ++j) h ^= ipt_[j][(a >> (8 * (nbytes_ - 1 - j))) & 0xff];
        return reta_[h & mask_];
      }
      case RssInfo::Mode::QueuePair:
        return static_cast<uint16_t>(port % nq_);
      default:
        return 0;
    }
  }
  // The cursor whose next() is worker w's first tuple in walk order.
  Cursor begin() const { return {n_src_ - 1, uint32_t{port_hi_} - port_lo_}; }
  // Moves c to worker w's next tuple (wrapping round). tuples(w) > 0.
  void next(uint16_t w, Cursor& c) const {
    do {
      if (++c.k == n_src_) {
        c.k = 0;
        c.port = c.port == uint32_t{port_hi_} - port_lo_ ? 0 : c.port + 1;
      }
    } while (queue(c.k, static_cast<uint16_t>(port_lo_ + c.port)) != w);
  }
  uint16_t port_of(const Cursor& c) const { return static_cast<uint16_t>(port_lo_ + c.port); }
  // The tuples worker w owns.
  uint64_t tuples(uint16_t w) const { return w < count_.size() ? count_[w] : 0; }
  uint32_t n_src() const { return n_src_; }
  uint32_t n_ports() const { return uint32_t{port_hi_} - port_lo_ + 1; }

 private:
  uint32_t ip_hash(uint32_t k) const;

  RssInfo::Mode mode_ = RssInfo::Mode::Single;
  uint16_t nq_ = 1;
  uint32_t n_src_ = 1;
  uint16_t port_lo_ = 0, port_hi_ = 0;
  uint64_t lo_ = 0;      // the first address (IPv4) or its low 64 bits (IPv6)
  unsigned nbytes_ = 4;  // varying bytes of the address: 4 (IPv4) or 8 (IPv6)
  uint32_t fix_ = 0;     // hash of the server's address and port (and the high 64 bits)
  uint32_t mask_ = 0;    // reta size - 1
  std::array<std::array<uint32_t, 256>, 8> ipt_{};    // per varying address byte, high first
  std::array<std::array<uint32_t, 256>, 2> portt_{};  // local port's high, low byte
  std::vector<uint16_t> reta_;
  std::vector<uint64_t> count_;  // tuples per worker
};

}  // namespace pmx::port
