// libFuzzer target: the scenario parser (lib/scenario/scenario.cpp), the
// input taken as a scenario file's text. Invariants: parse returns or
// throws ScenarioError with one short printable line, nothing else (no
// other exception from yaml-cpp, the options parser or the spec parser
// escapes); a parsed scenario has 1..kMaxGroups groups, each with a
// duration or a count, and its option words parse as options.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/options.hpp"
#include "scenario/scenario.hpp"

using namespace pmx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  scenario::Scenario s;
  try {
    s = scenario::parse(in, "f.yaml");
  } catch (const scenario::ScenarioError& e) {
    const std::string m = e.what();
    bool ok = m.size() <= 512;
    for (char c : m) ok = ok && c >= 0x20 && c < 0x7f;
    if (!ok) std::fprintf(stderr, "bad error line (%zu bytes): %s\n", m.size(), m.c_str());
    if (!ok) std::abort();
    return 0;
  }
  if (s.groups.empty() || s.groups.size() > scenario::kMaxGroups) std::abort();
  for (const auto& g : s.groups)
    if (!g.count && !g.spec.duration_s) std::abort();
  control::parse_options(s.option_words);  // throwing here is a bug too
  return 0;
}
