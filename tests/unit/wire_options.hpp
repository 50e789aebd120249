// The options of a segment the engine sent, as the fixture reads them from
// the wire, and the checks an expectation can make on them.
//
// The parser here is the tests' own, written from the RFCs and not from
// lib/tcp/wire.cpp: a segment's options are written by the engine's writer
// and would be read back by the same module's parser, so a mistake shared by
// the two (or a lenient parser skipping a malformed option) would go
// unnoticed. This one is strict where the engine's parser is lenient: any
// malformed, unknown or repeated option is an error the fixture reports.
#pragma once

#include "tcp/segment.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace pmx::tcp::test {

// The option kinds this parser knows (RFC 9293 3.1, RFC 7323, RFC 2018).
enum : uint8_t {
  kOptEol = 0,
  kOptNop = 1,
  kOptMss = 2,
  kOptWscale = 3,
  kOptSackOk = 4,
  kOptSack = 5,
  kOptTs = 8
};

struct WireOpts {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;  // as written: not clamped to 14
  bool sack_ok = false;
  bool ts = false;
  uint32_t ts_val = 0, ts_ecr = 0;
  std::vector<SackBlock> sack;  // in the order written
  std::vector<uint8_t> raw;     // the option bytes, padding included
  std::string error;            // the first malformation; empty if none

  bool empty() const { return !mss && !wscale && !sack_ok && !ts && sack.empty(); }
};

namespace wire_detail {

inline uint32_t be(const uint8_t* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

// The length an option of kind k must have; 0 for a kind we do not know.
// SACK (5) is 2 + 8n with 1 <= n <= 4 (RFC 2018 3): checked by the caller.
inline uint8_t fixed_len(uint8_t k) {
  switch (k) {
    case kOptMss:
      return 4;  // RFC 9293 3.2
    case kOptWscale:
      return 3;  // RFC 7323 2.2
    case kOptSackOk:
      return 2;  // RFC 2018 2
    case kOptTs:
      return 10;  // RFC 7323 3.2
    default:
      return 0;
  }
}

}  // namespace wire_detail

// Parses the n option bytes at p (what follows the 20-byte TCP header).
inline WireOpts parse_wire_options(const uint8_t* p, size_t n) {
  using wire_detail::be;
  WireOpts o;
  o.raw.assign(p, p + n);
  std::vector<bool> seen(256, false);
  auto bad = [&](size_t at, const std::string& why) {
    if (o.error.empty()) o.error = "byte " + std::to_string(at) + ": " + why;
  };
  if (n % 4) bad(0, "options are not a multiple of 4 bytes");
  size_t i = 0;
  while (i < n) {
    const uint8_t k = p[i];
    if (k == kOptEol) {
      // RFC 9293 3.1: the padding after End of Option List is zeros.
      for (size_t j = i + 1; j < n; ++j)
        if (p[j]) bad(j, "non-zero byte after End of Option List");
      break;
    }
    if (k == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= n || p[i + 1] < 2 || i + p[i + 1] > n) {
      bad(i, "kind " + std::to_string(k) + " with a bad length");
      break;
    }
    const uint8_t len = p[i + 1];
    if (seen[k]) bad(i, "kind " + std::to_string(k) + " twice");
    seen[k] = true;
    if (k == kOptSack) {
      if (len < 10 || (len - 2) % 8 || len > 34) bad(i, "SACK of length " + std::to_string(len));
      for (size_t b = i + 2; b + 8 <= i + len; b += 8) {
        const SackBlock s{be(p + b, 4), be(p + b + 4, 4)};
        // RFC 2018 3: a block is [left, right), right after left.
        if (static_cast<int32_t>(s.right - s.left) <= 0) bad(b, "SACK block with right <= left");
        o.sack.push_back(s);
      }
    } else if (wire_detail::fixed_len(k) == 0) {
      bad(i, "unknown kind " + std::to_string(k));
    } else if (len != wire_detail::fixed_len(k)) {
      bad(i, "kind " + std::to_string(k) + " of length " + std::to_string(len));
    } else if (k == kOptMss) {
      o.mss = static_cast<uint16_t>(be(p + i + 2, 2));
    } else if (k == kOptWscale) {
      o.wscale = p[i + 2];
      // RFC 7323 2.3: a shift above 14 is never sent.
      if (p[i + 2] > 14) bad(i, "window scale " + std::to_string(p[i + 2]) + " > 14");
    } else if (k == kOptSackOk) {
      o.sack_ok = true;
    } else if (k == kOptTs) {
      o.ts = true;
      o.ts_val = be(p + i + 2, 4);
      o.ts_ecr = be(p + i + 6, 4);
    }
    i += len;
  }
  return o;
}

// seq_name, if given, names the sequence numbers of SACK blocks.
inline std::string describe(const WireOpts& o,
                            const std::function<std::string(uint32_t)>& seq_name = {}) {
  auto seq = [&](uint32_t v) { return seq_name ? seq_name(v) : std::to_string(v); };
  std::ostringstream s;
  s << "<";
  const char* sep = "";
  auto add = [&](auto&&... x) {
    s << sep;
    (s << ... << x);
    sep = " ";
  };
  if (o.mss) add("mss ", *o.mss);
  if (o.wscale) add("ws ", unsigned{*o.wscale});
  if (o.sack_ok) add("sackOK");
  if (o.ts) add("ts ", o.ts_val, "/", o.ts_ecr);
  for (const SackBlock& b : o.sack) add("sack ", seq(b.left), "-", seq(b.right));
  if (!o.error.empty()) add("MALFORMED: ", o.error);
  s << ">";
  return s.str();
}

// One check on the options of a segment: `what` names it in failure
// messages. Built by the functions below, listed in Want::opts or given to
// TcpTest::expect_opts(); each checks one option and says nothing of the
// others.
struct OptCheck {
  std::string what;
  std::function<bool(const WireOpts&)> ok;
};

inline OptCheck HasMss(uint16_t v) {
  return {"mss " + std::to_string(v), [v](const WireOpts& o) { return o.mss == v; }};
}
inline OptCheck HasWscale(uint8_t v) {
  return {"ws " + std::to_string(v), [v](const WireOpts& o) { return o.wscale == v; }};
}
inline OptCheck HasSackOk() {
  return {"sackOK", [](const WireOpts& o) { return o.sack_ok; }};
}
// A timestamp option with exactly these TSval and TSecr.
inline OptCheck HasTs(uint32_t val, uint32_t ecr) {
  return {"ts " + std::to_string(val) + "/" + std::to_string(ecr),
          [val, ecr](const WireOpts& o) { return o.ts && o.ts_val == val && o.ts_ecr == ecr; }};
}
// A timestamp option echoing ecr (any TSval).
inline OptCheck HasTsEcr(uint32_t ecr) {
  return {"ts ?/" + std::to_string(ecr),
          [ecr](const WireOpts& o) { return o.ts && o.ts_ecr == ecr; }};
}
// Exactly these SACK blocks [left, right), in this order.
inline OptCheck HasSack(std::vector<std::pair<uint32_t, uint32_t>> blocks) {
  std::string what;
  for (auto [l, r] : blocks)
    what += (what.empty() ? "sack " : ", ") + std::to_string(l) + "-" + std::to_string(r);
  return {what, [blocks](const WireOpts& o) {
            if (o.sack.size() != blocks.size()) return false;
            for (size_t i = 0; i < blocks.size(); ++i)
              if (o.sack[i].left != blocks[i].first || o.sack[i].right != blocks[i].second)
                return false;
            return true;
          }};
}
inline OptCheck NoMss() {
  return {"no mss", [](const WireOpts& o) { return !o.mss; }};
}
inline OptCheck NoWscale() {
  return {"no ws", [](const WireOpts& o) { return !o.wscale; }};
}
inline OptCheck NoSackOk() {
  return {"no sackOK", [](const WireOpts& o) { return !o.sack_ok; }};
}
inline OptCheck NoTs() {
  return {"no ts", [](const WireOpts& o) { return !o.ts; }};
}
inline OptCheck NoSack() {
  return {"no sack blocks", [](const WireOpts& o) { return o.sack.empty(); }};
}
// No option at all (padding neither: the header is 20 bytes).
inline OptCheck NoOptions() {
  return {"no options", [](const WireOpts& o) { return o.raw.empty(); }};
}

// What is true of every segment's options, whatever the test (checked by
// the fixture on each segment): well formed; MSS, window scale and
// SACK-permitted on SYNs only (RFC 9293 3.7.1, RFC 7323 2.2, RFC 2018 2),
// SACK blocks never on a SYN (RFC 2018 3); TSecr zero without ACK (RFC 7323
// 3.2). Returns what is wrong, or an empty string.
inline std::string options_invariant_broken(const WireOpts& o, uint8_t flags) {
  if (!o.error.empty()) return o.error;
  const bool syn = flags & flag::SYN;
  if (!syn && o.mss) return "MSS on a segment without SYN";
  if (!syn && o.wscale) return "window scale on a segment without SYN";
  if (!syn && o.sack_ok) return "SACK-permitted on a segment without SYN";
  if (syn && !o.sack.empty()) return "SACK blocks on a SYN";
  if (o.ts && !(flags & flag::ACK) && o.ts_ecr != 0) return "TSecr not zero without ACK";
  return {};
}

}  // namespace pmx::tcp::test
