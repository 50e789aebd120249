// Logging through DPDK's log system (so --log-level=pmx:debug works), one
// line per message with a "portmux: " prefix.
#pragma once

#include <rte_log.h>

namespace pmx {
int logtype();
}

#define PMX_LOG(level, fmt, ...) \
  rte_log(RTE_LOG_##level, ::pmx::logtype(), "portmux: " fmt "\n" __VA_OPT__(, ) __VA_ARGS__)
