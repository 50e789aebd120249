// libFuzzer target: the TCP segment parser and the whole engine. The input is
// a series of records [ctl][len][len bytes of TCP header+payload]; each is
// parsed (checksum skipped, as if the NIC had checked it) and fed to one
// engine with echo, discard and http listeners. ctl bit 7 rewrites SEQ/ACK
// from the engine's last segment so the fuzzer reaches synchronized states;
// the low bits advance the clock (timers fire). An empty record with ctl bit
// 6 set is an active open instead: from 198.18.0.1:(40000 + ctl & 7) to
// 198.18.0.2:80, running the generator's client service in the mode ctl
// bits 3-4 pick, so SYN_SENT, simultaneous open and the response checks are
// reached too. Invariants: no crash or
// sanitizer report; every segment out is well formed (payload within the
// MSS); after abort_all no connection, buffer or flow is left.
#include "flow/open_flow_table.hpp"
#include "gen/client.hpp"
#include "service/catalog.hpp"
#include "tcp/engine.hpp"
#include "tcp/wire.hpp"

#include <rte_byteorder.h>

#include <cstring>

using namespace pmx;

namespace {
uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tcp::EngineConfig cfg;
  cfg.max_flows = 16;
  cfg.buf_size = 4096;
  cfg.msl_ms = 100;
  flow::OpenFlowTable flows(cfg.max_flows);
  stats::Counters ctr;
  tcp::Engine eng(cfg, flows, ctr);
  for (uint16_t port : {7, 9, 80}) {
    tcp::ListenSpec s;
    s.port = port;
    s.service.kind = port == 7   ? service::kind::Echo
                     : port == 9 ? service::kind::Discard
                                 : service::kind::Http;
    s.service.arg = 64;  // http's size= (body bytes); echo and discard take none
    s.backlog = 4;
    eng.listen(s);
  }
  gen::ClientConfig ccfg;
  gen::ClientStats cst;
  ccfg.reqs = 3;
  ccfg.req_size = 100;
  std::memcpy(ccfg.host, "198.18.0.2", 11);
  eng.set_client(&ccfg, &cst);
  const auto src = *net::parse_ipv4("198.18.0.2");
  const auto dst = *net::parse_ipv4("198.18.0.1");
  uint64_t now = 1000000;
  uint32_t last_seq = 0, last_ack = 0;
  uint8_t buf[2048];
  while (size >= 3) {
    const uint8_t ctl = data[0];
    size_t len = std::min<size_t>(size - 3, (size_t{data[1]} << 8 | data[2]) & 0x7ff);
    std::memcpy(buf, data + 3, len);
    data += 3 + len;
    size -= 3 + len;
    if ((ctl & 0x80) && len >= 12) {
      const uint32_t seq = rte_cpu_to_be_32(last_ack + (load32(buf + 4) & 0x7));
      const uint32_t ack = rte_cpu_to_be_32(last_seq + (load32(buf + 8) & 0x7));
      std::memcpy(buf + 4, &seq, 4);
      std::memcpy(buf + 8, &ack, 4);
    }
    tcp::Seg s;
    if (len == 0 && (ctl & 0x40)) {
      ccfg.mode = static_cast<gen::ClientMode>((ctl >> 3) % 3);
      const flow::FlowKey k{dst.be,
                            src.be,
                            rte_cpu_to_be_16(static_cast<uint16_t>(40000 + (ctl & 7))),
                            rte_cpu_to_be_16(80),
                            0,
                            0};
      eng.connect(k, now);
    } else if (!tcp::parse_segment(buf, static_cast<uint32_t>(len), src, dst, 0, true, s)) {
      eng.input(s, now);
    }
    now += static_cast<uint64_t>(ctl & 0x3f) * (ctl & 0x40 ? 100000 : 1000);
    eng.poll(now);
    for (const tcp::OutSeg& o : eng.output()) {
      if (o.len() > cfg.mtu - 40u) __builtin_trap();
      if (tcp::options_size(o.opt) > tcp::kMaxOptions) __builtin_trap();
      last_seq = o.seq + o.len() + ((o.flags & tcp::flag::SYN) ? 1 : 0);
      last_ack = o.ack;
    }
    eng.clear_output();
  }
  eng.abort_all();
  eng.clear_output();
  if (eng.conns_in_use() != 0 || eng.bufs_in_use() != 0 || flows.size() != 0) __builtin_trap();
  if (cst.open != 0) __builtin_trap();  // every client connection finished exactly once
  return 0;
}
