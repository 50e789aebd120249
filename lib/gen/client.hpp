// The generator's side of an active open (client.cpp), configured per run:
// the generator (generator.cpp) decides when and from which 4-tuple to
// connect; each connection's client service, reached through the stream
// API (tcp/stream.hpp), runs its requests and counts their outcome.
#pragma once

#include "stats/counters.hpp"
#include "stats/histogram.hpp"
#include "tcp/stream.hpp"

#include <array>
#include <atomic>
#include <cstdint>

namespace pmx::gen {

enum class ClientMode : uint8_t { Http, Echo, Raw, Stream };

// Written by the owning core's generator only (between engine calls). The
// engine reads its ClientLink part (cc, reqs) at each connect().
struct ClientConfig : tcp::ClientLink {
  ClientMode mode = ClientMode::Http;
  uint32_t req_size = 64;   // echo/raw: bytes per request; http post: body bytes
  bool post = false;        // http: POST req_size bytes instead of GET /bytes/<resp_size>
  uint32_t resp_size = 64;  // http: GET /bytes/<resp_size>; stream: bytes read per request
  bool close_rst = false;   // end with RST instead of FIN
  // end by ACKing the last response and forgetting the connection without a
  // FIN or RST: a peer that vanished, as the server sees it (soak, idle tests)
  bool close_abandon = false;
  bool draining = false;  // finish the request under way, then close
  uint32_t think_ms = 0;  // pause between a response and the next request (scenario groups)
  // http: the Host field: the dotted destination address, or an IPv6 one in
  // brackets (RFC 9110 7.2, RFC 3986 3.2.2), at most 41 characters
  char host[48] = "";
  // http: the request head for resp_size and host, formatted once per run
  // by prepare_head() (the client formats it at the first request if nobody
  // did); copied into every request instead of formatting each one.
  char head[128] = "";
  uint8_t head_len = 0;
};

// Formats c.head from c.resp_size (GET) or c.req_size (POST) and c.host.
void prepare_head(ClientConfig& c);

// One core's results for one client group. Histograms in microseconds;
// single writer (the owning core), read by the control plane like the
// counters.
struct ClientStats {
  // The group's own share of the gen_* counters (the worker's Counters hold
  // the sum over groups): gen_attempts .. gen_rx_bytes of counters.def.
  static constexpr size_t kFirst = static_cast<size_t>(stats::Ctr::gen_attempts);
  static constexpr size_t kKinds = static_cast<size_t>(stats::Ctr::gen_rx_bytes) - kFirst + 1;
  alignas(8) std::array<uint64_t, kKinds> n{};
  void count(stats::Ctr c, uint64_t by = 1) {  // owner only; c one of the gen_* counters
    uint64_t& w = n[static_cast<size_t>(c) - kFirst];
    std::atomic_ref<uint64_t>(w).store(w + by, std::memory_order_relaxed);
  }
  uint64_t get(stats::Ctr c) const {  // any thread
    return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(n[static_cast<size_t>(c) - kFirst]))
        .load(std::memory_order_relaxed);
  }
  void reset_counts() {  // owner only, between runs
    for (uint64_t& w : n) std::atomic_ref<uint64_t>(w).store(0, std::memory_order_relaxed);
  }

  stats::LatencyHistogram connect_us;  // SYN sent -> SYN-ACK received
  stats::LatencyHistogram request_us;  // request's first byte queued -> response's last byte
  // Connections whose work is not yet finished. Written by the owning core
  // only (relaxed load + store, no locked RMW: nobody else writes, as
  // stats/counters.hpp); the owner may read it plainly, any other thread
  // through open_now().
  alignas(std::atomic_ref<uint32_t>::required_alignment) uint32_t open = 0;

  void set_open(uint32_t v) {  // owner only
    std::atomic_ref<uint32_t>(open).store(v, std::memory_order_relaxed);
  }
  void add_open(int32_t by) { set_open(open + static_cast<uint32_t>(by)); }  // owner only
  uint32_t open_now() const {                                                // any thread
    return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(open)).load(std::memory_order_relaxed);
  }
};

}  // namespace pmx::gen
