// libFuzzer target: the application's option parser and the address parsers
// with arbitrary words. Invariants: it returns or throws OptionError (one
// line), nothing else; parsed addresses print back to what parses again.
#include "config/options.hpp"

#include <cstdlib>
#include <string>
#include <vector>

using namespace pmx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  if (auto a = net::parse_ipv4(in)) {
    if (net::parse_ipv4(net::to_string(*a)) != a) std::abort();
  }
  if (auto f = net::parse_ifaddr(in)) {
    if (f->prefix > 32) std::abort();
  }
  // NUL-separated words, as argv would be.
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i)
    if (i == in.size() || in[i] == '\0') {
      args.push_back(in.substr(start, i - start));
      start = i + 1;
    }
  try {
    control::parse_options(args);
  } catch (const control::OptionError& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) std::abort();
  }
  return 0;
}
