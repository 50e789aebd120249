// The Internet checksum (RFC 1071), four bytes per step.
//
// RFC 1071 2(B): the one's-complement sum does not depend on byte order, so
// the bytes are summed as the CPU loads them and the result is stored back
// the same way. 2(C): it may be summed in wider words and folded, because
// 2^16 = 1 (mod 2^16 - 1): 32-bit loads into a 64-bit accumulator.
// DPDK 22.11's rte_raw_cksum adds 16 bits per step.
#pragma once

#include <rte_byteorder.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pmx::net {

// Adds the len bytes at p to the running sum s. Every call must start at an
// even offset of the checksummed data (a trailing odd byte is summed as the
// first byte of a zero-padded 16-bit word, RFC 1071 4.1). 32-bit words are
// added into 64 bits: no carry is lost below 2^32 words, and the loop has no
// carry chain, so the compiler vectorizes it.
inline uint64_t csum_partial(const void* p, size_t len, uint64_t s = 0) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (; len >= 4; b += 4, len -= 4) {
    uint32_t v;
    std::memcpy(&v, b, 4);
    s += v;
  }
  if (len >= 2) {
    uint16_t v;
    std::memcpy(&v, b, 2);
    s += v;
    b += 2;
    len -= 2;
  }
  if (len) {
    uint16_t v = 0;
    std::memcpy(&v, b, 1);
    s += v;
  }
  return s;
}

// The 16-bit one's-complement sum, not complemented, in the data's order.
inline uint16_t csum_fold(uint64_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// The TCP/UDP pseudo-header (RFC 9293 3.1) as a running sum: addresses as
// they are on the wire, then zero, protocol and the L4 length, big-endian.
inline uint64_t csum_pseudo(uint32_t src_be, uint32_t dst_be, uint8_t proto, uint16_t l4_len) {
  return uint64_t{src_be} + dst_be + rte_cpu_to_be_16(uint16_t{proto}) + rte_cpu_to_be_16(l4_len);
}

// The IPv6 upper-layer pseudo-header (RFC 8200 8.1): source and destination
// addresses (16 bytes each, wire order), the upper-layer length as 32 bits,
// three zero bytes and the next header, as a running sum.
inline uint64_t csum_pseudo6(const uint8_t* src16, const uint8_t* dst16, uint8_t proto,
                             uint32_t l4_len) {
  uint64_t s = csum_partial(src16, 16);
  s = csum_partial(dst16, 16, s);
  return s + rte_cpu_to_be_32(l4_len) + rte_cpu_to_be_32(uint32_t{proto});
}

}  // namespace pmx::net
