// RFC 863 discard: everything received is thrown away; the peer's FIN is
// answered with ours.
#include "services.hpp"

namespace pmx::service {

void discard_event(tcp::Stream& s, tcp::StreamEvent e) {
  using E = tcp::StreamEvent;
  if (e == E::Idle) return idle_close(s);
  if (e != E::Data) return;
  s.consume(s.readable());
  if (s.peer_closed()) s.shutdown();
}

}  // namespace pmx::service
