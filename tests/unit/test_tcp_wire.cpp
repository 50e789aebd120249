// TCP on the wire: write_frame -> parse_segment round trips, option parsing
// of well-formed and malformed option lists, and the SipHash behind ISNs.
#include "net/addr.hpp"
#include "tcp/isn.hpp"
#include "tcp/wire.hpp"

#include <gtest/gtest.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pmx::tcp {
namespace {

using stats::Ctr;

constexpr uint32_t kL3 = sizeof(rte_ether_hdr) + 20;
const net::Ipv4Addr kA = net::Ipv4Addr::from_host(0xc6120001);  // 198.18.0.1
const net::Ipv4Addr kB = net::Ipv4Addr::from_host(0xc6120002);  // 198.18.0.2
const rte_ether_addr kMac{{2, 0, 0, 0, 0, 1}};

// payload must outlive the OutSeg (a literal, or a named string).
OutSeg out_seg(std::string_view payload) {
  OutSeg o;
  o.key = flow::FlowKey{kA.be, kB.be, rte_cpu_to_be_16(80), rte_cpu_to_be_16(40000), 0, 0};
  o.seq = 0xfffffff0;
  o.ack = 0x12345678;
  o.flags = flag::ACK | flag::PSH;
  o.wnd = 0xabcd;
  o.p1 = reinterpret_cast<const uint8_t*>(payload.data());
  o.n1 = static_cast<uint32_t>(payload.size());
  return o;
}

std::vector<uint8_t> frame(const OutSeg& o) {
  std::vector<uint8_t> buf(kHeaders6 + kMaxOptions + o.len());
  buf.resize(write_frame(buf.data(), kMac, o, 7));
  return buf;
}

// Parses the frame's TCP part as the receiver (kB) would.
std::optional<Ctr> parse(const std::vector<uint8_t>& f, Seg& s) {
  return parse_segment(f.data() + kL3, static_cast<uint32_t>(f.size() - kL3), kA, kB, 3, false, s);
}

TEST(TcpWire, RoundTripWithPayloadInTwoPieces) {
  const std::string a = "hello, ", b = "world";
  OutSeg o = out_seg(a);
  o.p2 = reinterpret_cast<const uint8_t*>(b.data());
  o.n2 = static_cast<uint32_t>(b.size());
  const std::vector<uint8_t> f = frame(o);
  ASSERT_EQ(f.size(), kHeaders + a.size() + b.size());

  // The IPv4 header: checksum valid, DF, TTL 64, total length.
  rte_ipv4_hdr ip;
  std::memcpy(&ip, f.data() + sizeof(rte_ether_hdr), sizeof ip);
  const uint16_t ck = ip.hdr_checksum;
  ip.hdr_checksum = 0;
  EXPECT_EQ(rte_ipv4_cksum(&ip), ck);
  EXPECT_EQ(rte_be_to_cpu_16(ip.total_length), 20u + 20u + 12u);
  EXPECT_EQ(ip.time_to_live, 64);
  EXPECT_EQ(rte_be_to_cpu_16(ip.packet_id), 7);
  EXPECT_EQ(ip.src_addr, kA.be);
  EXPECT_EQ(ip.dst_addr, kB.be);

  Seg s;
  ASSERT_FALSE(parse(f, s).has_value());
  // Seen from the receiver: local is the packet's destination.
  EXPECT_EQ(s.key.local_ip, kB.be);
  EXPECT_EQ(s.key.remote_ip, kA.be);
  EXPECT_EQ(rte_be_to_cpu_16(s.key.local_port), 40000);
  EXPECT_EQ(rte_be_to_cpu_16(s.key.remote_port), 80);
  EXPECT_EQ(s.key.port_id, 3);
  EXPECT_EQ(s.seq, 0xfffffff0u);
  EXPECT_EQ(s.ack, 0x12345678u);
  EXPECT_EQ(s.flags, flag::ACK | flag::PSH);
  EXPECT_EQ(s.wnd, 0xabcd);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s.data), s.len), a + b);
  EXPECT_EQ(s.opt.mss, 0);
  EXPECT_EQ(s.opt.wscale, TcpOpts::kNoWscale);
  EXPECT_FALSE(s.opt.ts);
}

TEST(TcpWire, RoundTripSynOptions) {
  for (bool ts : {false, true}) {
    for (bool sack : {false, true}) {
      OutSeg o = out_seg("");
      o.flags = flag::SYN | flag::ACK;
      o.opt.mss = 1460;
      o.opt.wscale = 7;
      o.opt.sack_ok = sack;
      o.opt.ts = ts;
      o.opt.ts_val = 0x01020304;
      o.opt.ts_ecr = 0xa0b0c0d0;
      const std::vector<uint8_t> f = frame(o);
      EXPECT_EQ(f.size(), kHeaders + options_size(o.opt));
      EXPECT_EQ(options_size(o.opt) % 4, 0u);
      Seg s;
      ASSERT_FALSE(parse(f, s).has_value());
      EXPECT_EQ(s.opt.mss, 1460);
      EXPECT_EQ(s.opt.wscale, 7);
      EXPECT_EQ(s.opt.sack_ok, sack);
      EXPECT_EQ(s.opt.ts, ts);
      if (ts) {
        EXPECT_EQ(s.opt.ts_val, 0x01020304u);
        EXPECT_EQ(s.opt.ts_ecr, 0xa0b0c0d0u);
      }
      EXPECT_EQ(s.len, 0u);
    }
  }
}

TEST(TcpWire, RoundTripSackBlocks) {
  // Timestamps and three blocks fill the 40 option bytes exactly.
  OutSeg o = out_seg("x");
  o.opt.ts = true;
  o.opt.ts_val = 1;
  o.opt.ts_ecr = 2;
  o.opt.nsack = 3;
  o.opt.sack[0] = {0xfffffff0, 0x10};
  o.opt.sack[1] = {100, 200};
  o.opt.sack[2] = {300, 400};
  EXPECT_EQ(options_size(o.opt), kMaxOptions);
  Seg s;
  ASSERT_FALSE(parse(frame(o), s).has_value());
  ASSERT_EQ(s.opt.nsack, 3);
  EXPECT_EQ(s.opt.sack[0].left, 0xfffffff0u);
  EXPECT_EQ(s.opt.sack[0].right, 0x10u);
  EXPECT_EQ(s.opt.sack[2].right, 400u);
  EXPECT_TRUE(s.opt.ts);
  EXPECT_EQ(s.len, 1u);

  // Without timestamps, four blocks.
  o.opt.ts = false;
  o.opt.nsack = 4;
  o.opt.sack[3] = {500, 600};
  EXPECT_LE(options_size(o.opt), kMaxOptions);
  ASSERT_FALSE(parse(frame(o), s).has_value());
  ASSERT_EQ(s.opt.nsack, 4);
  EXPECT_EQ(s.opt.sack[3].left, 500u);
}

TEST(TcpWire, OddLengthPayloadChecksums) {
  const std::string p = "abc";
  const std::vector<uint8_t> f = frame(out_seg(p));
  Seg s;
  ASSERT_FALSE(parse(f, s).has_value());
  EXPECT_EQ(s.len, 3u);
}

TEST(TcpWire, BadChecksumIsRefusedUnlessHardwareSaysGood) {
  std::vector<uint8_t> f = frame(out_seg("payload"));
  f.back() ^= 0x01;
  Seg s;
  EXPECT_EQ(parse(f, s), Ctr::tcp_bad_checksum);
  EXPECT_FALSE(
      parse_segment(f.data() + kL3, static_cast<uint32_t>(f.size() - kL3), kA, kB, 0, true, s)
          .has_value());
  // The pseudo-header counts: the right bytes from another address fail.
  f.back() ^= 0x01;
  EXPECT_EQ(
      parse_segment(f.data() + kL3, static_cast<uint32_t>(f.size() - kL3), kB, kB, 0, false, s),
      Ctr::tcp_bad_checksum);
}

TEST(TcpWire, MalformedHeaders) {
  std::vector<uint8_t> f = frame(out_seg("data"));
  uint8_t* t = f.data() + kL3;
  const uint32_t len = static_cast<uint32_t>(f.size() - kL3);
  Seg s;
  EXPECT_EQ(parse_segment(t, 19, kA, kB, 0, true, s), Ctr::tcp_too_short);
  t[12] = 4 << 4;  // data offset 16 bytes
  EXPECT_EQ(parse_segment(t, len, kA, kB, 0, true, s), Ctr::tcp_bad_offset);
  t[12] = 15 << 4;  // 60 bytes: beyond the 24-byte segment
  EXPECT_EQ(parse_segment(t, len, kA, kB, 0, true, s), Ctr::tcp_bad_offset);
  t[12] = 5 << 4;
  t[0] = t[1] = 0;  // source port 0
  EXPECT_EQ(parse_segment(t, len, kA, kB, 0, true, s), Ctr::tcp_bad_port);
}

// --- parse_options

TcpOpts opts(std::vector<uint8_t> b) {
  TcpOpts o;
  parse_options(b.data(), static_cast<uint32_t>(b.size()), o);
  return o;
}

TEST(TcpOptions, WellFormed) {
  const TcpOpts o = opts({2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});
  EXPECT_EQ(o.mss, 1460);
  EXPECT_EQ(o.wscale, 7);
  EXPECT_TRUE(o.sack_ok);
  EXPECT_TRUE(o.ts);
  EXPECT_EQ(o.ts_val, 1u);
  EXPECT_EQ(o.ts_ecr, 2u);
}

TEST(TcpOptions, WscaleAbove14IsUsedAs14) { EXPECT_EQ(opts({3, 3, 15}).wscale, 14); }

TEST(TcpOptions, EolEndsTheList) {
  const TcpOpts o = opts({0, 2, 4, 0x05, 0xb4});
  EXPECT_EQ(o.mss, 0);
}

TEST(TcpOptions, UnknownOptionsAreSkippedByLength) {
  const TcpOpts o = opts({30, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x00});
  EXPECT_EQ(o.mss, 512);
}

TEST(TcpOptions, WrongLengthIgnoresThatOptionOnly) {
  // MSS with length 5, then a good window scale.
  const TcpOpts o = opts({2, 5, 0x05, 0xb4, 0, 3, 3, 6});
  EXPECT_EQ(o.mss, 0);
  EXPECT_EQ(o.wscale, 6);
  // Timestamps of length 8, SACK-permitted of length 3.
  const TcpOpts p = opts({8, 8, 0, 0, 0, 1, 0, 0, 4, 3, 0, 2, 4, 1, 0});
  EXPECT_FALSE(p.ts);
  EXPECT_FALSE(p.sack_ok);
  EXPECT_EQ(p.mss, 256);
  // SACK whose length is not 2 + 8n.
  const TcpOpts q = opts({5, 6, 0, 0, 0, 1});
  EXPECT_EQ(q.nsack, 0);
}

TEST(TcpOptions, MalformedStopsParsingKeepingWhatCameBefore) {
  // Length 0 and 1 would loop forever or go backwards: parsing stops.
  EXPECT_EQ(opts({2, 4, 0x05, 0xb4, 30, 0, 3, 3, 7}).wscale, TcpOpts::kNoWscale);
  EXPECT_EQ(opts({2, 4, 0x05, 0xb4, 30, 1, 3, 3, 7}).mss, 1460);
  // A length running past the end.
  const TcpOpts o = opts({3, 3, 2, 2, 10, 0, 0});
  EXPECT_EQ(o.wscale, 2);
  EXPECT_EQ(o.mss, 0);
  // A kind without its length byte at the very end.
  EXPECT_EQ(opts({1, 1, 1, 2}).mss, 0);
}

TEST(TcpOptions, AtMostFourSackBlocks) {
  std::vector<uint8_t> b = {5, 34};
  for (uint32_t i = 0; i < 4; ++i)
    for (uint32_t v : {i * 100, i * 100 + 50})
      for (int k = 3; k >= 0; --k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
  b.insert(b.end(), {5, 10, 0, 0, 1, 0, 0, 0, 2, 0});  // a second SACK option: no room
  const TcpOpts o = opts(b);
  ASSERT_EQ(o.nsack, 4);
  EXPECT_EQ(o.sack[3].left, 300u);
  EXPECT_EQ(o.sack[3].right, 350u);
}

// --- SipHash-2-4, the reference vector of the paper's appendix.

TEST(SipHash, ReferenceVector) {
  std::array<uint8_t, 16> key;
  for (uint8_t i = 0; i < 16; ++i) key[i] = i;
  uint8_t msg[15];
  for (uint8_t i = 0; i < 15; ++i) msg[i] = i;
  EXPECT_EQ(siphash24(key, msg, sizeof msg), 0xa129ca6149be45e5ull);
  // The first vector of the reference implementation: the empty message.
  EXPECT_EQ(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
  // Eight bytes: one whole word and an empty tail.
  EXPECT_EQ(siphash24(key, msg, 8), 0x93f5f5799a932462ull);
}

}  // namespace
}  // namespace pmx::tcp
