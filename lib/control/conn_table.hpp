// The rows of `show connections`, built once for the CLI and for the
// /portmux/connections telemetry command, so both show the same rows.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace pmx::control {

class Plane;

// Proto, Recv-Q, Send-Q, Local Address, Foreign Address, State, Lcore.
using ConnLine = std::array<std::string, 7>;
inline constexpr std::array<const char*, 7> kConnColumns = {
    "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address", "State", "Lcore"};

// Listeners first (Lcore "-"), then every worker's connections, by message
// (control thread only).
std::vector<ConnLine> connection_lines(Plane& pl);

// The columns joined by single spaces.
std::string join(const ConnLine& l);

}  // namespace pmx::control
