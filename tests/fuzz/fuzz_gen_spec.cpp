// libFuzzer target: the generator's run description, the input taken as one
// --gen line. Invariants: parse_spec returns or throws SpecError (one short
// printable line), nothing else; a parsed spec prints to words that parse
// back to the same spec and print the same again.
#include <cstdlib>
#include <string>

#include "gen/spec.hpp"

using namespace pmx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  gen::GenSpec s;
  try {
    s = gen::parse_spec(in);
  } catch (const gen::SpecError& e) {
    const std::string m = e.what();
    if (m.size() > 256) std::abort();
    for (char c : m)
      if (c < 0x20 || c >= 0x7f) std::abort();
    return 0;
  }
  const std::string words = gen::to_string(s);
  const gen::GenSpec back = gen::parse_spec(words);  // throwing here is a bug too
  if (!(back == s) || gen::to_string(back) != words) std::abort();
  return 0;
}
