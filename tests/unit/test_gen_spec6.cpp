// The generator's run description over IPv6: destinations and source
// ranges of either family, one family per run, and the IPv6 range limits.
#include "gen/spec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pmx::gen {
namespace {

net::Ipv6Addr v6(const char* s) { return net::parse_ipv6(s).value(); }

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

TEST(GenSpec6, Destination) {
  GenSpec s = parse_spec("2001:2::2 80");
  EXPECT_TRUE(s.v6);
  EXPECT_EQ(s.dst6, v6("2001:2::2"));
  EXPECT_EQ(s.dst_ip, 0u);
  EXPECT_EQ(s.dst_port, 80);
  EXPECT_TRUE(s.src6_lo.is_zero());
  EXPECT_EQ(s.dst(), net::IpAddr::of(v6("2001:2::2")));
  EXPECT_EQ(to_string(s),
            "2001:2::2 80 mode http conns 1 rate 0 reqs 1 req-size 64 resp-size 64 "
            "duration 0 close fin");
  // Brackets, as in a URL, and a long form: the same spec.
  EXPECT_EQ(parse_spec("[2001:2::2] 80"), s);
  EXPECT_EQ(parse_spec("2001:0002:0000:0000:0000:0000:0000:0002 80"), s);
  // IPv4 is unchanged.
  GenSpec four = parse_spec("198.18.0.2 80");
  EXPECT_FALSE(four.v6);
  EXPECT_EQ(four.dst_ip, 0xc6120002u);
  EXPECT_EQ(four.dst(), net::IpAddr::of(net::Ipv4Addr::from_host(0xc6120002u)));
}

TEST(GenSpec6, SourceRanges) {
  GenSpec s = parse_spec("2001:2::2 80 src 2001:2::10-2001:2::1f conns 5");
  EXPECT_EQ(s.src6_lo, v6("2001:2::10"));
  EXPECT_EQ(s.src6_hi, v6("2001:2::1f"));
  EXPECT_EQ(s.src_lo, 0u);
  EXPECT_NE(to_string(s).find(" src 2001:2::10-2001:2::1f "), std::string::npos) << to_string(s);
  EXPECT_EQ(parse_spec("[2001:2::2] 80 src [2001:2::10]-[2001:2::1f] conns 5"), s);
  GenSpec one = parse_spec("2001:2::2 80 src [2001:2::7]");
  EXPECT_EQ(one.src6_lo, one.src6_hi);
  EXPECT_NE(to_string(one).find(" src 2001:2::7 "), std::string::npos);
  // 2^20 addresses, across a 32-bit boundary of the low half: allowed.
  GenSpec big = parse_spec("2001:2::2 80 src 2001:2::ffff:0-2001:2::1:e:ffff");
  EXPECT_EQ(big.src6_hi, v6("2001:2::1:e:ffff"));
  // Link-local sources are addresses of ours too.
  EXPECT_NO_THROW(parse_spec("fe80::2 80 src fe80::1"));
}

TEST(GenSpec6, OneFamilyPerRun) {
  EXPECT_ERROR("2001:2::2 80 src 198.18.0.1",
               "bad value '198.18.0.1' for src (an IPv4 source for the IPv6 destination "
               "2001:2::2: one family per run)");
  EXPECT_ERROR("198.18.0.2 80 src 2001:2::1",
               "bad value '2001:2::1' for src (an IPv6 source for the IPv4 destination "
               "198.18.0.2: one family per run)");
  EXPECT_ERROR("2001:2::2 80 src 2001:2::1-198.18.0.9", "'2001:2::1-198.18.0.9' for src (a range");
  EXPECT_ERROR("198.18.0.2 80 src 198.18.0.1-[2001:2::9]", "a range of one family");
}

TEST(GenSpec6, RangeLimits) {
  EXPECT_ERROR("2001:2::2 80 src 2001:2::1:0:0-2001:2::1:10:0",
               "'2001:2::1:0:0-2001:2::1:10:0' for src (range has 1048577 addresses, at most "
               "1048576)");
  EXPECT_ERROR("2001:2::2 80 src 2001:2::-2001:2::ffff:ffff:ffff:ffff", "range has 2^64 addresses");
  EXPECT_ERROR("2001:2::2 80 src 2001:2::1-2001:2:0:1::1",
               "(an IPv6 range may differ only in the low 64 bits)");
  EXPECT_ERROR("2001:2::2 80 src 2001:2::9-2001:2::1", "range is descending");
}

TEST(GenSpec6, RefusesNonUnicastAddresses) {
  for (const char* d : {"::", "::1", "ff02::1", "[ff05::2]", "::ffff:198.18.0.2"})
    EXPECT_ERROR(std::string(d) + " 80", "(not a unicast address)");
  for (const char* d :
       {"2001:2::2::1", "2001:2::g", "[2001:2::2", "2001:2::2]", "[]", "[198.18.0.2]"})
    EXPECT_ERROR(std::string(d) + " 80", "bad destination address");
  for (const char* src : {"::", "::1", "ff02::1", "::ffff:198.18.0.1", "2001:2::x", "[2001:2::1"})
    EXPECT_ERROR("2001:2::2 80 src " + std::string(src),
                 "for src (expected a unicast IPv6 address");
}

TEST(GenSpec6, RoundTrip) {
  for (const char* line :
       {"2001:2::2 80", "[2001:2:0:0:1::2] 8080 mode echo src 2001:2::1-2001:2::40",
        "fe80::1 80 src fe80::2 cc cubic hystart off close rst",
        "2001:2::2 443 duration 5 reqs 0 conns 100 src 2001:2::1"}) {
    const GenSpec s = parse_spec(line);
    const std::string words = to_string(s);
    EXPECT_EQ(parse_spec(words), s) << line;
    EXPECT_EQ(to_string(parse_spec(words)), words);
  }
}

}  // namespace
}  // namespace pmx::gen
