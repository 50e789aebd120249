#include "counters.hpp"

namespace pmx::stats {

size_t counter_index(std::string_view name) {
  for (size_t i = 0; i < kNumCounters; ++i)
    if (kCounterInfo[i].name == name) return i;
  return kNumCounters;
}

}  // namespace pmx::stats
