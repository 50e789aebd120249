// RFC 862 echo: everything received is sent back, as send space allows; the
// peer's FIN, once all is echoed, is answered with ours.
#include "services.hpp"

namespace pmx::service {

void echo_event(tcp::Stream& s, tcp::StreamEvent e) {
  using E = tcp::StreamEvent;
  if (e == E::Idle) return idle_close(s);
  if (e != E::Data) return;
  if (!s.buffered() && s.readable() > 0) s.take_buffers();  // text read in place
  const uint32_t n = std::min(s.readable(), s.space());
  const auto sp = s.peek(n);
  s.append(sp[0].data(), static_cast<uint32_t>(sp[0].size()));
  s.append(sp[1].data(), static_cast<uint32_t>(sp[1].size()));
  s.consume(n);
  if (s.readable() > 0) return s.want_writable();
  if (s.peer_closed()) s.shutdown();
}

}  // namespace pmx::service
