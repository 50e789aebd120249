#include "text.hpp"

#include <cstdio>

namespace pmx::stats {

std::string printable(std::string_view s) {
  std::string out;
  for (const unsigned char ch : s) {
    if (ch >= 0x20 && ch < 0x7f) {
      out += static_cast<char>(ch);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    }
  }
  return out;
}

}  // namespace pmx::stats
