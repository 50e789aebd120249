// The server services, each written only against the stream API
// (tcp/stream.hpp; docs/services.md). registry.cpp dispatches to them.
#pragma once

#include "tcp/stream.hpp"

namespace pmx::service {

void echo_event(tcp::Stream& s, tcp::StreamEvent e);     // RFC 862
void discard_event(tcp::Stream& s, tcp::StreamEvent e);  // RFC 863
void chargen_event(tcp::Stream& s, tcp::StreamEvent e);  // RFC 864
void http_event(tcp::Stream& s, tcp::StreamEvent e);     // HTTP/1.1 (http_service.cpp)

// The idle timeout's answer for a service with nothing to say: count it,
// close with FIN.
inline void idle_close(tcp::Stream& s) {
  s.count(stats::Ctr::tcp_idle_timeouts);
  s.shutdown();
}

}  // namespace pmx::service
