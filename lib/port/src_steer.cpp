#include "port/src_steer.hpp"

#include <bit>

namespace pmx::port {

uint32_t SrcSteer::ip_hash(uint32_t k) const {
  uint32_t h = 0;
  const uint64_t a = lo_ + k;
  for (unsigned j = 0; j < nbytes_; ++j) h ^= ipt_[j][(a >> (8 * (nbytes_ - 1 - j))) & 0xff];
  return h;
}

namespace {

std::string check(const RssInfo& info, const RangeSpec& s) {
  if (s.workers == 0) return "source steering: no workers";
  if (s.port_lo == 0 || s.port_lo > s.port_hi)
    return "source steering: bad source port range " + std::to_string(s.port_lo) + "-" +
           std::to_string(s.port_hi);
  if (s.n_src == 0 || s.n_src > SrcSteer::kMaxSrc)
    return "source steering: " + std::to_string(s.n_src) + " source addresses, want 1.." +
           std::to_string(SrcSteer::kMaxSrc);
  if (!s.v6 && uint64_t{s.src_lo} + s.n_src - 1 > UINT32_MAX)
    return "source steering: the IPv4 source range passes 255.255.255.255";
  switch (info.mode) {
    case RssInfo::Mode::Unpredictable:
      return "source steering: " + info.why;
    case RssInfo::Mode::QueuePair:
      if (info.nb_queues == 0) return "source steering: queue-pair port with no queues";
      break;
    case RssInfo::Mode::Toeplitz:
      if (info.key.size() < 16 || info.reta.empty() || !std::has_single_bit(info.reta.size()))
        return "source steering: RSS key shorter than 16 bytes or RETA size " +
               std::to_string(info.reta.size()) + " not a power of two";
      if (s.v6 && !info.v6_tcp)
        return "source steering: RSS does not hash IPv6/TCP ports (add ipv6-tcp to the profile)";
      if (s.v6 && info.key.size() < 40)
        return "source steering: RSS key of " + std::to_string(info.key.size()) +
               " bytes, IPv6/TCP needs 40";
      break;
    case RssInfo::Mode::Single:
      break;
  }
  return "";
}

}  // namespace

std::string SrcSteer::build(const RssInfo& info, const RangeSpec& s) {
  if (std::string err = check(info, s); !err.empty()) return err;
  mode_ = info.mode;
  nq_ = info.nb_queues ? info.nb_queues : 1;
  n_src_ = s.n_src;
  port_lo_ = s.port_lo;
  port_hi_ = s.port_hi;
  nbytes_ = s.v6 ? 8 : 4;
  lo_ = s.v6 ? net::Ifaddr6::low64(s.src6_lo) : s.src_lo;
  count_.assign(s.workers, 0);
  if (mode_ == RssInfo::Mode::Toeplitz) {
    // One Toeplitz per table entry (linearity: the hash of a tuple is the
    // XOR of the hashes of its bytes, each alone in an otherwise zero tuple).
    reta_ = info.reta;
    mask_ = static_cast<uint32_t>(reta_.size() - 1);
    net::Ipv6Addr high = s.src6_lo;  // IPv6: the fixed high 64 bits
    for (size_t i = 8; i < 16; ++i) high.b[i] = 0;
    fix_ = s.v6 ? reply_hash6(info.key, s.server6, s.server_port, high, 0)
                : reply_hash(info.key, s.server_ip, s.server_port, 0, 0);
    for (unsigned j = 0; j < nbytes_; ++j) {
      for (uint32_t v = 0; v < 256; ++v) {
        if (s.v6) {
          net::Ipv6Addr a{};
          a.b[8 + j] = static_cast<uint8_t>(v);
          ipt_[j][v] = reply_hash6(info.key, {}, 0, a, 0);
        } else {
          ipt_[j][v] = reply_hash(info.key, 0, 0, v << (8 * (3 - j)), 0);
        }
      }
    }
    for (uint32_t v = 0; v < 256; ++v) {
      portt_[0][v] = s.v6 ? reply_hash6(info.key, {}, 0, {}, static_cast<uint16_t>(v << 8))
                          : reply_hash(info.key, 0, 0, 0, static_cast<uint16_t>(v << 8));
      portt_[1][v] = s.v6 ? reply_hash6(info.key, {}, 0, {}, static_cast<uint16_t>(v))
                          : reply_hash(info.key, 0, 0, 0, static_cast<uint16_t>(v));
    }
    // Counts: addresses and ports by their hash's RETA index bits.
    std::vector<uint64_t> by_ip(reta_.size(), 0), by_port(reta_.size(), 0);
    for (uint32_t k = 0; k < n_src_; ++k) ++by_ip[ip_hash(k) & mask_];
    for (uint32_t p = port_lo_; p <= port_hi_; ++p)
      ++by_port[(portt_[0][p >> 8] ^ portt_[1][p & 0xff]) & mask_];
    for (uint32_t x = 0; x <= mask_; ++x) {
      if (!by_ip[x]) continue;
      for (uint32_t y = 0; y <= mask_; ++y) {
        const uint16_t q = reta_[(fix_ ^ x ^ y) & mask_];
        if (q < s.workers) count_[q] += by_ip[x] * by_port[y];
      }
    }
  } else {
    for (uint32_t p = port_lo_; p <= port_hi_; ++p) {
      const uint16_t q = mode_ == RssInfo::Mode::QueuePair ? static_cast<uint16_t>(p % nq_) : 0;
      if (q < s.workers) count_[q] += n_src_;
    }
  }
  std::string empty;
  for (size_t w = 0; w < count_.size(); ++w)
    if (!count_[w]) empty += (empty.empty() ? "" : ", ") + std::to_string(w);
  if (!empty.empty())
    return "source steering: no source tuple steers replies to worker(s) " + empty + " (" +
           info.why + "); widen the source IP/port range or fix the RETA";
  return "";
}

}  // namespace pmx::port
