// The control plane's JSON writer (lib/stats/json.hpp): commas, nesting,
// escaping, and no NaN or infinity.
#include "stats/json.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace pmx::stats {
namespace {

TEST(Json, NestsWithCommasInTheirPlaces) {
  Json j;
  j.obj().kv("a", 1).key("b").arr().num(uint64_t{2}).str("x").obj().end().arr().end().end();
  j.kv("c", true).key("d").null().kv("e", -3).end();
  EXPECT_EQ(j.text(), R"({"a": 1, "b": [2, "x", {}, []], "c": true, "d": null, "e": -3})");
}

TEST(Json, EscapesStringsAndKeys) {
  EXPECT_EQ(json_string("a\"b\\c\n\x01\xff"), R"("a\"b\\c\u000a\u0001\u00ff")");
  Json j;
  j.obj().kv("k\"", "</script>").end();
  EXPECT_EQ(j.text(), R"({"k\"": "</script>"})");
}

TEST(Json, NumbersAreFinite) {
  Json j;
  j.arr()
      .num(1.5)
      .num(std::numeric_limits<double>::quiet_NaN())
      .num(std::numeric_limits<double>::infinity());
  j.raw("{\"r\": 1}").end();
  EXPECT_EQ(j.text(), R"([1.5, 0, 0, {"r": 1}])");
}

}  // namespace
}  // namespace pmx::stats
