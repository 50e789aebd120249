// RFC 864 character generator: from the handshake on, lines of 72
// printable ASCII characters (codes 32..126, each line starting one
// character further along the 95), each ended by CR LF, for as long as the
// peer reads; what the peer sends is thrown away, and its FIN is answered
// with ours. Listener option rate= caps the stream in bytes per second (0:
// as fast as the window allows) with a token bucket of 50 ms.
#include "services.hpp"

#include <algorithm>

namespace pmx::service {
namespace {

constexpr uint32_t kLine = 74;  // 72 characters + CR LF
constexpr uint32_t kChars = 95;

struct ChargenState {
  uint64_t off = 0;      // stream offset of the next byte
  uint64_t last_us = 0;  // rate: when the bucket was last filled
  uint64_t credit = 0;   // rate: bytes that may go now
};

uint8_t byte_at(uint64_t off) {
  const uint64_t line = off / kLine;
  const auto col = static_cast<uint32_t>(off % kLine);
  if (col == 72) return '\r';
  if (col == 73) return '\n';
  return static_cast<uint8_t>(32 + (line + col) % kChars);
}

void fill(std::span<uint8_t> out, uint64_t off) {
  for (uint8_t& b : out) b = byte_at(off++);
}

// Bytes the rate allows now; sets the timer for more when it allows none.
uint32_t allowance(tcp::Stream& s, ChargenState& st, uint32_t want) {
  const uint32_t rate = s.arg();
  if (rate == 0) return want;
  const uint64_t now = s.now_us();
  const uint64_t cap = std::max<uint64_t>(rate / 20, 2 * kLine);
  st.credit = std::min(cap, st.credit + (now - st.last_us) * rate / 1000000);
  st.last_us = now;
  if (st.credit == 0) {
    // Until one line's worth has accrued, and at least a millisecond.
    s.set_timer(now + std::max<uint64_t>(1000, uint64_t{kLine} * 1000000 / rate));
    return 0;
  }
  return static_cast<uint32_t>(std::min<uint64_t>(want, st.credit));
}

void produce(tcp::Stream& s) {
  auto& st = s.state<ChargenState>();
  const uint32_t room = s.space();
  if (room == 0) return s.want_writable();  // window full, or no buffer yet
  const uint32_t n = allowance(s, st, room);
  if (n == 0) return;  // the timer brings the next bytes
  const auto sp = s.reserve(n);
  fill(sp[0], st.off);
  fill(sp[1], st.off + sp[0].size());
  s.commit(n);
  st.off += n;
  if (s.arg()) st.credit -= n;
  if (n == room)
    s.want_writable();  // more as the peer reads
  else if (s.arg())
    s.set_timer(s.now_us() + 1000);
}

}  // namespace

void chargen_event(tcp::Stream& s, tcp::StreamEvent e) {
  using E = tcp::StreamEvent;
  switch (e) {
    case E::Connecting:  // active opens only
      return;
    case E::Opened: {
      auto& st = s.make_state<ChargenState>();
      st.last_us = s.now_us();
      s.want_writable();  // speak first: buffers come with the first Data event
      return;
    }
    case E::Data:
      s.consume(s.readable());
      if (s.peer_closed()) return s.shutdown();
      return produce(s);
    case E::Timer:
      return produce(s);
    case E::Idle:
      return idle_close(s);
    case E::Closed:
      return;
  }
}

}  // namespace pmx::service
