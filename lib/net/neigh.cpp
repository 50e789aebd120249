#include "neigh.hpp"

namespace pmx::net {

const char* to_string(NeighState s) {
  switch (s) {
    case NeighState::Free:
      return "FREE";
    case NeighState::Incomplete:
      return "INCOMPLETE";
    case NeighState::Reachable:
      return "REACHABLE";
    case NeighState::Stale:
      return "STALE";
    case NeighState::Probe:
      return "PROBE";
  }
  return "?";
}

}  // namespace pmx::net
