// The server services, each written only against the stream API
// (tcp/stream.hpp; docs/services.md) and listed in services.def.
// registry.cpp dispatches to them.
#pragma once

#include "tcp/stream.hpp"

namespace pmx::service {

// Each service's event function (services.def's EVENT column).
#define PMX_SERVICE(KIND, NAME, FILE, EVENT, ...) void EVENT(tcp::Stream& s, tcp::StreamEvent e);
#include "service/services.def"
#undef PMX_SERVICE

// The idle timeout's answer for a service with nothing to say: count it,
// close with FIN.
inline void idle_close(tcp::Stream& s) {
  s.count(stats::Ctr::tcp_idle_timeouts);
  s.shutdown();
}

}  // namespace pmx::service
