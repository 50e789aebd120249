// The generator's run description: `gen start ...` words and --gen lines.
#include "gen/spec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pmx::gen {
namespace {

// The SpecError message for line; fails the test when it parses.
std::string error_of(const std::string& line) {
  try {
    GenSpec s = parse_spec(line);
    ADD_FAILURE() << "parsed: " << line << " -> " << to_string(s);
  } catch (const SpecError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.rfind("gen: ", 0), 0u) << m;
    return m;
  }
  return {};
}

#define EXPECT_ERROR(line, part)                       \
  do {                                                 \
    std::string m_ = error_of(line);                   \
    EXPECT_NE(m_.find(part), std::string::npos) << m_; \
  } while (0)

TEST(GenSpec, Defaults) {
  GenSpec s = parse_spec("198.18.0.2 80");
  EXPECT_EQ(s.dst_ip, 0xc6120002u);
  EXPECT_EQ(s.dst_port, 80);
  EXPECT_EQ(s.mode, Mode::Http);
  EXPECT_EQ(s.conns, 1u);
  EXPECT_EQ(s.rate, 0u);
  EXPECT_EQ(s.reqs, 1u);
  EXPECT_EQ(s.req_size, 64u);
  EXPECT_EQ(s.resp_size, 64u);
  EXPECT_EQ(s.duration_s, 0u);
  EXPECT_EQ(s.src_lo, 0u);
  EXPECT_EQ(s.src_hi, 0u);
  EXPECT_EQ(s.close, CloseMode::Fin);
  EXPECT_EQ(s.connect_timeout_ms, 0u);
  GenSpec want;
  want.dst_ip = 0xc6120002u;
  want.dst_port = 80;
  EXPECT_EQ(s, want);
}

TEST(GenSpec, EveryKeyword) {
  GenSpec s = parse_spec(
      "10.0.0.1 8080 mode echo conns 1000 rate 500 reqs 10 req-size 128 resp-size 4096 "
      "duration 60 src 10.0.1.1-10.0.1.20 close rst");
  EXPECT_EQ(s.dst_ip, 0x0a000001u);
  EXPECT_EQ(s.dst_port, 8080);
  EXPECT_EQ(s.mode, Mode::Echo);
  EXPECT_EQ(s.conns, 1000u);
  EXPECT_EQ(s.rate, 500u);
  EXPECT_EQ(s.reqs, 10u);
  EXPECT_EQ(s.req_size, 128u);
  EXPECT_EQ(s.resp_size, 4096u);
  EXPECT_EQ(s.duration_s, 60u);
  EXPECT_EQ(s.src_lo, 0x0a000101u);
  EXPECT_EQ(s.src_hi, 0x0a000114u);
  EXPECT_EQ(s.close, CloseMode::Rst);
  EXPECT_EQ(parse_spec("10.0.0.1 1 mode raw").mode, Mode::Raw);
  EXPECT_EQ(parse_spec("10.0.0.1 1 mode http").mode, Mode::Http);
  EXPECT_EQ(parse_spec("10.0.0.1 1 close fin").close, CloseMode::Fin);
  GenSpec one = parse_spec("10.0.0.1 1 src 10.0.0.7");
  EXPECT_EQ(one.src_lo, 0x0a000007u);
  EXPECT_EQ(one.src_hi, 0x0a000007u);
}

TEST(GenSpec, AnyOrderAndBlanks) {
  GenSpec a = parse_spec("10.0.0.1 80 mode echo conns 5 rate 7 close rst src 10.0.0.2");
  GenSpec b = parse_spec("10.0.0.1 80 src 10.0.0.2 close rst rate 7 conns 5 mode echo");
  GenSpec c = parse_spec("  10.0.0.1\t80 rate 7\n\nsrc 10.0.0.2 mode echo close  rst conns 5 ");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(parse_spec(std::vector<std::string>{"10.0.0.1", "80", "rate", "7", "src", "10.0.0.2",
                                                "close", "rst", "conns", "5", "mode", "echo"}),
            a);
}

TEST(GenSpec, ModeNames) {
  EXPECT_EQ(mode_name(Mode::Http), "http");
  EXPECT_EQ(mode_name(Mode::Echo), "echo");
  EXPECT_EQ(mode_name(Mode::Raw), "raw");
}

// http's request method: get by default and left out of the printed words
// then (runs read as before the keyword), post printed.
TEST(GenSpec, Method) {
  EXPECT_EQ(parse_spec("10.0.0.1 80").method, Method::Get);
  EXPECT_EQ(parse_spec("10.0.0.1 80 method get").method, Method::Get);
  const GenSpec post = parse_spec("10.0.0.1 80 method post req-size 1048576");
  EXPECT_EQ(post.method, Method::Post);
  EXPECT_EQ(post.req_size, 1048576u);
  EXPECT_EQ(to_string(post),
            "10.0.0.1 80 mode http method post conns 1 rate 0 reqs 1 req-size 1048576 "
            "resp-size 64 duration 0 close fin");
  EXPECT_EQ(parse_spec(to_string(post)), post);
  EXPECT_EQ(to_string(parse_spec("10.0.0.1 80 method get")).find("method"), std::string::npos);
  EXPECT_ERROR("10.0.0.1 80 method put", "bad value 'put' for method (expected get|post)");
  EXPECT_ERROR("10.0.0.1 80 method POST", "for method");
  EXPECT_ERROR("10.0.0.1 80 method get method post", "'method' given twice");
  EXPECT_ERROR("10.0.0.1 80 method", "missing value after 'method'");
}

TEST(GenSpec, Errors) {
  EXPECT_ERROR("10.0.0.1 80 conns x1", "gen: bad value 'x1' for conns (expected 1..10000000)");
  EXPECT_ERROR("10.0.0.1 80 foo 1", "gen: unknown word 'foo'");
  EXPECT_ERROR("10.0.0.1 80 conns 1 conns 2", "gen: 'conns' given twice");
  EXPECT_ERROR("10.0.0.1 80 rate", "gen: missing value after 'rate'");
  EXPECT_ERROR("1.2.3 80", "gen: bad destination address '1.2.3'");
  EXPECT_ERROR("", "gen: missing destination address");
  EXPECT_ERROR("10.0.0.1", "gen: missing destination port after '10.0.0.1'");
  EXPECT_ERROR("10.0.0.1 http", "gen: bad destination port 'http' (expected 1..65535)");
  EXPECT_ERROR("10.0.0.1 80 mode ftp",
               "gen: bad value 'ftp' for mode (expected http|echo|raw|stream)");
  EXPECT_ERROR("10.0.0.1 80 close abort",
               "gen: bad value 'abort' for close (expected fin|rst|abandon)");
  EXPECT_ERROR("10.0.0.1 80 cc bbr", "gen: bad value 'bbr' for cc (expected newreno|cubic)");
  EXPECT_ERROR("10.0.0.1 80 src 10.0.0", "gen: bad value '10.0.0' for src");
  EXPECT_ERROR("10.0.0.1 80 mode echo mode raw", "gen: 'mode' given twice");
  EXPECT_ERROR("10.0.0.1 80 src 10.0.0.2 src 10.0.0.3", "gen: 'src' given twice");
  EXPECT_ERROR("10.0.0.1 80 Conns 1", "gen: unknown word 'Conns'");
  // Values are taken by position: a keyword cannot stand in for a value.
  EXPECT_ERROR("10.0.0.1 80 conns rate 5", "gen: bad value 'rate' for conns");
}

TEST(GenSpec, RefusesNonUnicastAddresses) {
  for (const char* a :
       {"0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.1.1.1", "240.0.0.1"}) {
    EXPECT_ERROR(std::string(a) + " 80", "gen: bad destination address '" + std::string(a) + "'");
    EXPECT_ERROR(std::string("10.0.0.1 80 src ") + a, "bad value '" + std::string(a) + "' for src");
  }
  for (const char* a : {"1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "1.2.3.+4", "a.b.c.d", "10.0.0.1/24"})
    EXPECT_ERROR(std::string(a) + " 80", "gen: bad destination address '" + std::string(a) + "'");
  EXPECT_NO_THROW(parse_spec("223.255.255.254 80"));
  EXPECT_NO_THROW(parse_spec("1.0.0.0 80"));
}

TEST(GenSpec, NumbersAreStrictDecimal) {
  for (const char* v : {"+5", "-5", "5x", "0x10", "1e3", "5.0", "1_000", "\xd9\xa3"}) {
    SCOPED_TRACE(v);
    EXPECT_ERROR(std::string("10.0.0.1 80 reqs ") + v, "for reqs (expected 0..1000000000)");
  }
  EXPECT_ERROR(std::string("10.0.0.1 80 reqs 5\0", 19), "bad value '5\\x00' for reqs");
  EXPECT_ERROR("10.0.0.1 80 rate 18446744073709551616",
               "bad value '18446744073709551616' for rate");
  EXPECT_ERROR("10.0.0.1 80 rate 4294967296", "bad value '4294967296' for rate");
  EXPECT_ERROR("10.0.0.1 +80", "bad destination port '+80'");
  EXPECT_ERROR("10.0.0.1 80x", "bad destination port '80x'");
  EXPECT_EQ(parse_spec("10.0.0.1 80 conns 007").conns, 7u);
}

struct Bound {
  const char* key;
  uint32_t GenSpec::*field;
  uint64_t lo, hi;
  const char* extra = "";  // words the value needs beside it
};

TEST(GenSpec, Boundaries) {
  const Bound bounds[] = {
      {"conns", &GenSpec::conns, 1, 10'000'000},
      {"rate", &GenSpec::rate, 0, 100'000'000},
      {"reqs", &GenSpec::reqs, 0, 1'000'000'000, " duration 1"},
      {"req-size", &GenSpec::req_size, 1, 16u << 20},
      {"resp-size", &GenSpec::resp_size, 0, 1u << 30},
      {"duration", &GenSpec::duration_s, 0, 86'400},
      {"connect-timeout", &GenSpec::connect_timeout_ms, 0, 3'600'000},
  };
  for (const Bound& b : bounds) {
    std::string pre = std::string("10.0.0.1 80 ") + b.key + " ";
    std::string range = "(expected " + std::to_string(b.lo) + ".." + std::to_string(b.hi) + ")";
    EXPECT_EQ(parse_spec(pre + std::to_string(b.lo) + b.extra).*b.field, b.lo) << b.key;
    EXPECT_EQ(parse_spec(pre + std::to_string(b.hi) + b.extra).*b.field, b.hi) << b.key;
    std::string over = std::to_string(b.hi + 1);
    EXPECT_ERROR(pre + over + b.extra, "gen: bad value '" + over + "' for " + b.key + " " + range);
    if (b.lo > 0) {
      std::string under = std::to_string(b.lo - 1);
      EXPECT_ERROR(pre + under + b.extra,
                   "gen: bad value '" + under + "' for " + b.key + " " + range);
    }
  }
  EXPECT_EQ(parse_spec("10.0.0.1 1").dst_port, 1);
  EXPECT_EQ(parse_spec("10.0.0.1 65535").dst_port, 65535);
  EXPECT_ERROR("10.0.0.1 0", "bad destination port '0'");
  EXPECT_ERROR("10.0.0.1 65536", "bad destination port '65536'");
}

TEST(GenSpec, HoldingConnectionsNeedsADuration) {
  EXPECT_ERROR("10.0.0.1 80 reqs 0", "gen: 'reqs' 0 (hold connections open) needs 'duration'");
  const GenSpec s = parse_spec("10.0.0.1 80 conns 1000000 reqs 0 duration 30");
  EXPECT_EQ(s.reqs, 0u);
  EXPECT_EQ(parse_spec(to_string(s)), s);
}

TEST(GenSpec, SrcRanges) {
  GenSpec s = parse_spec("10.0.0.1 80 src 10.0.0.0-10.15.255.255");  // exactly 2^20
  EXPECT_EQ(s.src_lo, 0x0a000000u);
  EXPECT_EQ(s.src_hi, 0x0a0fffffu);
  s = parse_spec("10.0.0.1 80 src 10.1.0.5-10.1.0.5");
  EXPECT_EQ(s.src_lo, s.src_hi);
  EXPECT_ERROR("10.0.0.1 80 src 10.0.0.0-10.16.0.0",
               "gen: bad value '10.0.0.0-10.16.0.0' for src (range has 1048577 addresses");
  EXPECT_ERROR("10.0.0.1 80 src 1.0.0.1-223.255.255.255", "range has");
  EXPECT_ERROR("10.0.0.1 80 src 10.0.0.9-10.0.0.1",
               "gen: bad value '10.0.0.9-10.0.0.1' for src (range is descending)");
  for (const char* bad :
       {"10.0.0.1-", "-10.0.0.1", "10.0.0.1--10.0.0.2", "10.0.0.1-10.0.0.2-10.0.0.3",
        "10.0.0.1-224.0.0.1", "10.0.0.1-10.0.0.2x", "10.0.0.1-"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERROR(std::string("10.0.0.1 80 src ") + bad, "for src");
  }
}

TEST(GenSpec, MessagesArePrintableAndShort) {
  std::string m = error_of(std::string("10.0.0.1 80 conns 1\x01\x7f\xff", 22));
  EXPECT_NE(m.find("'1\\x01\\x7f\\xff'"), std::string::npos) << m;
  m = error_of(std::string("10.0.0.1 80 mode ") + std::string(100000, 'a'));
  EXPECT_LT(m.size(), 200u) << m;
  EXPECT_NE(m.find("aaa...' for mode"), std::string::npos) << m;
  m = error_of(std::string("10.0.0.1 80 ") + std::string(5000, '\x02') + " 1");
  EXPECT_LT(m.size(), 200u) << m;
  for (char c : m) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
  // Control bytes in the vector form, where blanks do not split.
  try {
    parse_spec(std::vector<std::string>{"10.0.0.1", "80", "x\ny"});
    ADD_FAILURE();
  } catch (const SpecError& e) {
    EXPECT_STREQ(e.what(), "gen: unknown word 'x\\x0ay'");
  }
}

TEST(GenSpec, RoundTrip) {
  const char* lines[] = {
      "198.18.0.2 80",
      "10.0.0.1 65535 mode echo req-size 16777216 resp-size 0",
      "10.0.0.1 1 mode raw conns 10000000 rate 100000000 reqs 1000000000 duration 86400",
      "10.0.0.1 443 src 10.0.0.5 close rst",
      "10.0.0.1 80 reqs 3 close abandon",
      "10.0.0.1 80 mode echo cc cubic",
      "10.0.0.1 80 cc newreno",
      "10.0.0.1 80 cc cubic hystart off",
      "10.0.0.1 80 hystart on",
      "10.0.0.1 80 connect-timeout 1500",
      "10.0.0.1 80 connect-timeout 0",
      "10.0.0.1 443 src 10.1.0.0-10.1.255.255 resp-size 1073741824",
      "223.255.255.254 8080 close fin duration 0 rate 0 mode http",
  };
  for (const char* line : lines) {
    GenSpec s = parse_spec(line);
    std::string words = to_string(s);
    EXPECT_EQ(parse_spec(words), s) << line << " -> " << words;
    EXPECT_EQ(to_string(parse_spec(words)), words);
  }
  EXPECT_EQ(to_string(parse_spec("10.0.0.1 80 mode echo src 10.0.0.2-10.0.0.3 close rst")),
            "10.0.0.1 80 mode echo conns 1 rate 0 reqs 1 req-size 64 resp-size 64 duration 0 "
            "src 10.0.0.2-10.0.0.3 close rst");
  EXPECT_EQ(to_string(parse_spec("10.0.0.1 80 src 10.0.0.2")),
            "10.0.0.1 80 mode http conns 1 rate 0 reqs 1 req-size 64 resp-size 64 duration 0 "
            "src 10.0.0.2 close fin");
  // The default congestion control is left out; another is printed last.
  EXPECT_EQ(parse_spec("10.0.0.1 80 cc cubic").cc, tcp::CcKind::Cubic);
  EXPECT_EQ(parse_spec("10.0.0.1 80").cc, tcp::CcKind::NewReno);
  EXPECT_EQ(to_string(parse_spec("10.0.0.1 80 cc cubic close rst")),
            "10.0.0.1 80 mode http conns 1 rate 0 reqs 1 req-size 64 resp-size 64 duration 0 "
            "close rst cc cubic");
  // So is an unset connect timeout (0: the engine's); a set one is printed.
  EXPECT_EQ(to_string(parse_spec("10.0.0.1 80 connect-timeout 0")),
            to_string(parse_spec("10.0.0.1 80")));
  EXPECT_EQ(to_string(parse_spec("10.0.0.1 80 connect-timeout 1500")),
            "10.0.0.1 80 mode http conns 1 rate 0 reqs 1 req-size 64 resp-size 64 duration 0 "
            "close fin connect-timeout 1500");
}

}  // namespace
}  // namespace pmx::gen
