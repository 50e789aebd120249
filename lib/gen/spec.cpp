#include "spec.hpp"

#include "stats/text.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "net/addr.hpp"

namespace pmx::gen {

namespace {

// User text longer than this (once escaped) is cut in messages.
constexpr size_t kQuoteMax = 64;
// The most source addresses one `src` range may name (a port's most, and
// what port::SrcSteer walks without a per-address table).
constexpr uint64_t kMaxSrcAddrs = uint64_t{1} << 20;

// s in single quotes as it may appear in a one-line message: escaped by
// stats::printable(), cut with "..." after kQuoteMax characters.
std::string quote(std::string_view s) {
  std::string e = stats::printable(s.substr(0, kQuoteMax));
  bool cut = s.size() > kQuoteMax;
  if (e.size() > kQuoteMax) {
    // Cut the escaped text, never inside a \xNN sequence.
    size_t n = kQuoteMax;
    if (const size_t bs = e.rfind('\\', n); bs != std::string::npos && bs + 4 > n) n = bs;
    e.resize(n);
    cut = true;
  }
  return "'" + e + (cut ? "..." : "") + "'";
}

[[noreturn]] void fail(const std::string& msg) { throw SpecError("gen: " + msg); }

[[noreturn]] void bad_value(std::string_view key, std::string_view v, const std::string& why) {
  fail("bad value " + quote(v) + " for " + std::string(key) + " (" + why + ")");
}

// Plain decimal digits only (no sign, no blanks), fitting 64 bits.
std::optional<uint64_t> parse_decimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A unicast address: not 0.0.0.0/8, class D (multicast) or class E
// (broadcast included).
std::optional<uint32_t> parse_unicast(std::string_view s) {
  auto a = net::parse_ipv4(s);
  if (!a || a->is_martian_source()) return std::nullopt;
  return a->host();
}

std::string ip_string(uint32_t host) { return net::to_string(net::Ipv4Addr::from_host(host)); }

// "[addr]" -> "addr" (RFC 3986 3.2.2's IP-literal, as users write it in
// URLs); anything else as is.
std::string_view unbracket(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

// An IPv6 word: it has a ':' or brackets (an IPv4 word has neither).
bool looks_v6(std::string_view s) {
  return s.find(':') != std::string_view::npos || (!s.empty() && s.front() == '[');
}

// A unicast IPv6 address that can be a TCP end: not unspecified, loopback
// (never on the wire, RFC 4291 2.5.3), multicast (RFC 4291 2.7) or
// IPv4-mapped (::ffff:0:0/96, RFC 4291 2.5.5.2: IPv4 goes as IPv4 here).
bool v6_unicast(const net::Ipv6Addr& a) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return !a.is_zero() && !a.is_loopback() && !a.is_multicast() &&
         std::memcmp(a.b.data(), kMapped, sizeof kMapped) != 0;
}

std::optional<net::Ipv6Addr> parse_unicast6(std::string_view s) {
  auto a = net::parse_ipv6(unbracket(s));
  if (!a || !v6_unicast(*a)) return std::nullopt;
  return a;
}

// The high and low 64 bits of an address, as numbers.
uint64_t half(const net::Ipv6Addr& a, size_t first) {
  uint64_t v = 0;
  for (size_t i = first; i < first + 8; ++i) v = (v << 8) | a.b[i];
  return v;
}

// Names of an enum's values, in the order the grammar lists them.
template <class E, size_t N>
using NameTable = std::array<std::pair<std::string_view, E>, N>;

constexpr NameTable<Mode, 4> kModes{
    {{"http", Mode::Http}, {"echo", Mode::Echo}, {"raw", Mode::Raw}, {"stream", Mode::Stream}}};
constexpr NameTable<Method, 2> kMethods{{{"get", Method::Get}, {"post", Method::Post}}};
constexpr NameTable<CloseMode, 3> kCloses{
    {{"fin", CloseMode::Fin}, {"rst", CloseMode::Rst}, {"abandon", CloseMode::Abandon}}};

template <class E, size_t N>
std::optional<E> find_value(const NameTable<E, N>& t, std::string_view name) {
  for (const auto& [n, e] : t)
    if (n == name) return e;
  return std::nullopt;
}

template <class E, size_t N>
std::string_view find_name(const NameTable<E, N>& t, E e) {
  for (const auto& [n, v] : t)
    if (v == e) return n;
  return "?";
}

// "expected a|b|c"
template <class E, size_t N>
std::string expected_names(const NameTable<E, N>& t) {
  std::string out = "expected ";
  for (size_t i = 0; i < N; ++i) out += (i ? "|" : "") + std::string(t[i].first);
  return out;
}

// One keyword: how its value is parsed into a spec and printed back.
struct Keyword;
using ParseFn = void (*)(GenSpec&, const Keyword&, std::string_view value);
using FormatFn = std::string (*)(const GenSpec&, const Keyword&);  // "": left out

struct Keyword {
  std::string_view name;
  ParseFn parse;
  FormatFn format;
  uint32_t GenSpec::*field = nullptr;  // numeric keywords: the field and its range
  uint32_t lo = 0, hi = 0;
};

void parse_number(GenSpec& s, const Keyword& k, std::string_view v) {
  auto n = parse_decimal(v);
  if (!n || *n < k.lo || *n > k.hi)
    bad_value(k.name, v, "expected " + std::to_string(k.lo) + ".." + std::to_string(k.hi));
  s.*k.field = static_cast<uint32_t>(*n);
}

std::string format_number(const GenSpec& s, const Keyword& k) { return std::to_string(s.*k.field); }
// A number whose 0 means "not set": printed only when set.
std::string format_set(const GenSpec& s, const Keyword& k) {
  return s.*k.field ? format_number(s, k) : std::string();
}

void parse_mode(GenSpec& s, const Keyword& k, std::string_view v) {
  auto m = find_value(kModes, v);
  if (!m) bad_value(k.name, v, expected_names(kModes));
  s.mode = *m;
}

std::string format_mode(const GenSpec& s, const Keyword&) { return std::string(mode_name(s.mode)); }

void parse_method(GenSpec& s, const Keyword& k, std::string_view v) {
  auto m = find_value(kMethods, v);
  if (!m) bad_value(k.name, v, expected_names(kMethods));
  s.method = *m;
}

// Left out when get, so the words of a GET run read as before the keyword.
std::string format_method(const GenSpec& s, const Keyword&) {
  return s.method == Method::Get ? std::string() : std::string(find_name(kMethods, s.method));
}

void parse_close(GenSpec& s, const Keyword& k, std::string_view v) {
  auto c = find_value(kCloses, v);
  if (!c) bad_value(k.name, v, expected_names(kCloses));
  s.close = *c;
}

std::string format_close(const GenSpec& s, const Keyword&) {
  return std::string(find_name(kCloses, s.close));
}

void parse_cc(GenSpec& s, const Keyword& k, std::string_view v) {
  auto c = tcp::cc_from_name(v);
  if (!c) bad_value(k.name, v, "expected newreno|cubic");
  s.cc = *c;
}

// The default (newreno) is left out, as the run lines printed before it
// existed.
std::string format_cc(const GenSpec& s, const Keyword&) {
  return s.cc == tcp::CcKind::NewReno ? std::string() : std::string(tcp::cc_name(s.cc));
}

void parse_hystart(GenSpec& s, const Keyword& k, std::string_view v) {
  if (v != "on" && v != "off") bad_value(k.name, v, "expected on|off");
  s.hystart = v == "on";
}

// The default (on) is left out.
std::string format_hystart(const GenSpec& s, const Keyword&) {
  return s.hystart ? std::string() : std::string("off");
}

// IPv6 "A" or "A-B": A <= B, equal high 64 bits, at most kMaxSrcAddrs.
void parse_src6(GenSpec& s, const Keyword& k, std::string_view v) {
  size_t dash = v.find('-');
  auto lo = parse_unicast6(v.substr(0, dash));
  auto hi = dash == std::string_view::npos ? lo : parse_unicast6(v.substr(dash + 1));
  if (!lo || !hi) bad_value(k.name, v, "expected a unicast IPv6 address IP or a range IP-IP");
  if (half(*lo, 0) != half(*hi, 0))
    bad_value(k.name, v, "an IPv6 range may differ only in the low 64 bits");
  const uint64_t a = half(*lo, 8), b = half(*hi, 8);
  if (b < a) bad_value(k.name, v, "range is descending");
  if (b - a >= kMaxSrcAddrs)
    bad_value(k.name, v,
              "range has " +
                  (b - a == UINT64_MAX ? std::string("2^64") : std::to_string(b - a + 1)) +
                  " addresses, at most " + std::to_string(kMaxSrcAddrs));
  s.src6_lo = *lo;
  s.src6_hi = *hi;
}

// "A" or "A-B" with A <= B, at most kMaxSrcAddrs addresses, of the
// destination's family.
void parse_src(GenSpec& s, const Keyword& k, std::string_view v) {
  size_t dash = v.find('-');
  const bool lo6 = looks_v6(v.substr(0, dash));
  const bool hi6 = dash == std::string_view::npos ? lo6 : looks_v6(v.substr(dash + 1));
  if (lo6 != hi6) bad_value(k.name, v, "a range of one family, IPv4 or IPv6");
  if (lo6 != s.v6)
    bad_value(k.name, v,
              std::string(lo6 ? "an IPv6 source" : "an IPv4 source") + " for the " +
                  (s.v6 ? "IPv6" : "IPv4") + " destination " + net::to_string(s.dst()) +
                  ": one family per run");
  if (lo6) return parse_src6(s, k, v);
  auto lo = parse_unicast(v.substr(0, dash));
  auto hi = dash == std::string_view::npos ? lo : parse_unicast(v.substr(dash + 1));
  if (!lo || !hi) bad_value(k.name, v, "expected a unicast address IP or a range IP-IP");
  if (*hi < *lo) bad_value(k.name, v, "range is descending");
  uint64_t n = uint64_t{*hi} - *lo + 1;
  if (n > kMaxSrcAddrs)
    bad_value(
        k.name, v,
        "range has " + std::to_string(n) + " addresses, at most " + std::to_string(kMaxSrcAddrs));
  s.src_lo = *lo;
  s.src_hi = *hi;
}

std::string format_src(const GenSpec& s, const Keyword&) {
  if (s.v6) {
    if (s.src6_lo.is_zero()) return {};  // the port's address
    if (s.src6_lo == s.src6_hi) return net::to_string(s.src6_lo);
    return net::to_string(s.src6_lo) + "-" + net::to_string(s.src6_hi);
  }
  if (s.src_lo == 0) return {};  // the port's first address
  if (s.src_lo == s.src_hi) return ip_string(s.src_lo);
  return ip_string(s.src_lo) + "-" + ip_string(s.src_hi);
}

// In the order to_string() prints them.
constexpr Keyword kKeywords[] = {
    {"mode", parse_mode, format_mode},
    {"method", parse_method, format_method},
    {"conns", parse_number, format_number, &GenSpec::conns, 1, 10'000'000},
    {"rate", parse_number, format_number, &GenSpec::rate, 0, 100'000'000},
    {"reqs", parse_number, format_number, &GenSpec::reqs, 0, 1'000'000'000},
    {"req-size", parse_number, format_number, &GenSpec::req_size, 1, 16u << 20},
    {"resp-size", parse_number, format_number, &GenSpec::resp_size, 0, 1u << 30},
    {"duration", parse_number, format_number, &GenSpec::duration_s, 0, 86'400},
    {"src", parse_src, format_src},
    {"close", parse_close, format_close},
    {"cc", parse_cc, format_cc},
    {"hystart", parse_hystart, format_hystart},
    {"connect-timeout", parse_number, format_set, &GenSpec::connect_timeout_ms, 0, 3'600'000},
};
constexpr size_t kNumKeywords = std::size(kKeywords);
static_assert(kNumKeywords <= 32, "the seen-mask in parse_spec is 32 bits");

size_t find_keyword(std::string_view word) {
  for (size_t i = 0; i < kNumKeywords; ++i)
    if (kKeywords[i].name == word) return i;
  fail("unknown word " + quote(word));
}

// IPv4 into s.dst_ip, or IPv6 (brackets optional) into s.dst6 with s.v6.
void parse_dst_ip(GenSpec& s, std::string_view w) {
  if (looks_v6(w)) {
    if (!net::parse_ipv6(unbracket(w))) fail("bad destination address " + quote(w));
    auto a = parse_unicast6(w);
    if (!a) fail("bad destination address " + quote(w) + " (not a unicast address)");
    s.v6 = true;
    s.dst6 = *a;
    return;
  }
  if (!net::parse_ipv4(w)) fail("bad destination address " + quote(w));
  auto a = parse_unicast(w);
  if (!a) fail("bad destination address " + quote(w) + " (not a unicast address)");
  s.dst_ip = *a;
}

uint16_t parse_dst_port(std::string_view w) {
  auto p = parse_decimal(w);
  if (!p || *p < 1 || *p > 65535) fail("bad destination port " + quote(w) + " (expected 1..65535)");
  return static_cast<uint16_t>(*p);
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

GenSpec parse_spec(const std::vector<std::string>& words) {
  if (words.empty()) fail("missing destination address");
  GenSpec s;
  parse_dst_ip(s, words[0]);
  if (words.size() < 2) fail("missing destination port after " + quote(words[0]));
  s.dst_port = parse_dst_port(words[1]);
  uint32_t seen = 0;
  for (size_t i = 2; i < words.size(); i += 2) {
    size_t k = find_keyword(words[i]);
    const Keyword& kw = kKeywords[k];
    if (seen & (1u << k)) fail(quote(kw.name) + " given twice");
    seen |= 1u << k;
    if (i + 1 == words.size()) fail("missing value after " + quote(kw.name));
    kw.parse(s, kw, words[i + 1]);
  }
  // reqs 0 holds connections open without a request until the run ends:
  // only a timed run ends then.
  if (s.reqs == 0 && s.duration_s == 0) fail("'reqs' 0 (hold connections open) needs 'duration'");
  return s;
}

GenSpec parse_spec(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    if (is_blank(line[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    words.push_back(line.substr(start, i - start));
  }
  return parse_spec(words);
}

std::string to_string(const GenSpec& s) {
  std::string out = net::to_string(s.dst()) + " " + std::to_string(s.dst_port);
  for (const Keyword& k : kKeywords) {
    std::string v = k.format(s, k);
    if (!v.empty()) out += " " + std::string(k.name) + " " + v;
  }
  return out;
}

std::string destination(const GenSpec& s) {
  const std::string a = net::to_string(s.dst());
  return (s.v6 ? "[" + a + "]" : a) + ":" + std::to_string(s.dst_port);
}

std::string_view mode_name(Mode m) { return find_name(kModes, m); }

}  // namespace pmx::gen
