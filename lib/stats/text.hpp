// Text for one-line messages and logs.
#pragma once

#include <string>
#include <string_view>

namespace pmx::stats {

// s with control bytes and non-ASCII escaped as \xNN, so a message quoting
// user input stays one printable line.
std::string printable(std::string_view s);

}  // namespace pmx::stats
