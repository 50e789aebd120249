// The rows of `show connections` and `show listeners`, built once for the
// CLI and for the /portmux/connections and /portmux/listeners telemetry
// commands, so both show the same rows.
#pragma once

#include "tcp/listener.hpp"

#include <array>
#include <cstdint>
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

// One listener with its workers' figures summed.
struct ListenerRow {
  tcp::ListenSpec spec;
  std::string address;  // IP:PORT
  uint64_t syn_recv = 0, accepted = 0, overflows = 0;
};
// Every listener, in the order they were added, by message (control thread).
std::vector<ListenerRow> listener_rows(Plane& pl);

// The columns joined by single spaces.
std::string join(const ConnLine& l);

}  // namespace pmx::control
