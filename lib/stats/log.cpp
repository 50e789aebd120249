#include "log.hpp"

namespace pmx {

int logtype() {
  static const int type = [] {
    int t = rte_log_register_type_and_pick_level("pmx", RTE_LOG_INFO);
    return t < 0 ? RTE_LOGTYPE_USER1 : t;
  }();
  return type;
}

}  // namespace pmx
