// The client side of the engine: what the traffic generator's connections
// do once open (client.cpp), configured per generator run. The generator
// (lib/gen) decides when and from which 4-tuple to connect; the engine runs
// each connection's requests and counts their outcome.
#pragma once

#include "cc.hpp"
#include "stats/histogram.hpp"

#include <cstdint>

namespace pmx::tcp {

enum class ClientMode : uint8_t { Http, Echo, Raw };

// Written by the owning core's generator only (between engine calls).
struct ClientConfig {
  ClientMode mode = ClientMode::Http;
  uint32_t reqs = 1;        // requests per connection
  uint32_t req_size = 64;   // echo/raw: bytes per request; http post: body bytes
  bool post = false;        // http: POST req_size bytes instead of GET /bytes/<resp_size>
  uint32_t resp_size = 64;  // http: GET /bytes/<resp_size>
  bool close_rst = false;   // end with RST instead of FIN
  // end by ACKing the last response and forgetting the connection without a
  // FIN or RST: a peer that vanished, as the server sees it (soak, idle tests)
  bool close_abandon = false;
  bool draining = false;        // finish the request under way, then close
  CcKind cc = CcKind::NewReno;  // congestion control of the run's connections
  char host[16] = "";           // http: the Host field (dotted destination address)
  // http: the request head for resp_size and host, formatted once per run
  // by prepare_head() (the engine formats it at the first request if nobody
  // did); copied into every request instead of formatting each one.
  char head[96] = "";
  uint8_t head_len = 0;
};

// Formats c.head from c.resp_size (GET) or c.req_size (POST) and c.host.
void prepare_head(ClientConfig& c);

// One core's results. Histograms in microseconds; single writer (the owning
// core), read by the control plane like the counters.
struct ClientStats {
  stats::LatencyHistogram connect_us;  // SYN sent -> SYN-ACK received
  stats::LatencyHistogram request_us;  // request's first byte queued -> response's last byte
  uint32_t open = 0;                   // connections whose work is not yet finished (owner only)
};

}  // namespace pmx::tcp
