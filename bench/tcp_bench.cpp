// pmx-tcp-bench: what the TCP engine costs per segment, without I/O. Peer
// segments are described as OutSegs, written to frames with write_frame()
// and parsed back with parse_segment() (so they are real wire formats), then
// fed to Engine::input_burst() in bursts of 32; the engine's output is
// counted and cleared after every burst, and poll() runs after every burst
// as in the worker's loop. Measured:
//
//   A  pure ACKs on N established connections of a discard listener, one
//      per connection per burst of 32, at SND.UNA with an unchanged window
//   B  64-byte data segments on the same connections, each advancing the
//      peer's sequence number by 64 (delayed ACK: the engine ACKs every
//      second one)
//   C  connection setup: SYN in, SYN-ACK out, each SYN for a 4-tuple that
//      has no connection (1024 of them, freed again with abort_all()
//      outside the timed region)
//   D  a whole short connection on an http listener: SYN, ACK, GET, ACK of
//      the response, FIN, last ACK, and everything the engine sends back;
//      the ACK numbers and echoed timestamps, which depend on what the
//      server sent, are written into the pre-parsed segments at run time
//   parse_segment() over the raw frames of A and B, with and without
//      checksum verification: the cost paid before the engine is called
//
// Every measurement runs `rounds` times, interleaved (A B C D parse... A B
// ...), each round for at least round-ms of TSC time; the table reports the
// median and min-max over the rounds, and the share of the worst round's
// wall time the thread was on a CPU (TSC time spent descheduled counts as
// cycles). Any drop counter above 0 makes the run fail. A microbenchmark,
// not a test.
//
//   pmx-tcp-bench [EAL options --] [--conns N] [--rounds R] [--round-ms MS]
//                 [--table rte|open] [--no-ts]
#include "flow/open_flow_table.hpp"
#include "flow/rte_flow_table.hpp"
#include "net/addr.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"
#include "tcp/wire.hpp"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace pmx;
using stats::Ctr;
using tcp::OutSeg;
using tcp::Seg;
using tcp::TcpOpts;
namespace flag = tcp::flag;

constexpr unsigned kBurst = 32;         // a typical RX burst
constexpr unsigned kChunkBursts = 32;   // bursts between two clock reads (A, B, parse)
constexpr unsigned kSynBatch = 1024;    // C: SYNs between two abort_all()s
constexpr unsigned kHttpTuples = 1024;  // D: 4-tuples the short connections cycle through
constexpr uint32_t kPayload = 64;       // B: bytes per data segment
constexpr uint16_t kDiscardPort = 9, kHttpPort = 80;
constexpr uint16_t kPeerWnd = 65535;  // the peer's window field, scaled by 2^kPeerWscale
constexpr uint8_t kPeerWscale = 7;
constexpr char kRequest[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr uint32_t kRequestLen = sizeof kRequest - 1;
constexpr uint32_t kL3 = sizeof(rte_ether_hdr) + 20;  // the TCP header's offset in a frame

struct Options {
  unsigned conns = 1024;
  unsigned rounds = 5;
  unsigned round_ms = 1000;
  bool open_table = false;
  bool ts = true;
};

[[noreturn]] void usage_exit(int rc) {
  std::fputs(
      "usage: pmx-tcp-bench [EAL options --] [--conns N] [--rounds R] [--round-ms MS]\n"
      "                     [--table rte|open] [--no-ts]\n"
      "  EAL options  default: --no-huge -m 1024 --no-shconf --no-pci\n"
      "               --file-prefix pmxtb<pid> -l 0 --log-level=*:warning\n"
      "  --conns N     established connections for A and B, rounded up to a\n"
      "                multiple of 32 (default 1024)\n"
      "  --rounds R    interleaved rounds per measurement (default 5)\n"
      "  --round-ms MS minimum TSC time of one round (default 1000)\n"
      "  --table T     flow table: rte (rte_hash, default) or open (OpenFlowTable)\n"
      "  --no-ts       the peer offers no timestamps (default: MSS, SACK, window\n"
      "                scale and timestamps, as Linux)\n",
      rc == 0 ? stdout : stderr);
  std::exit(rc);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") usage_exit(0);
    if (a == "--no-ts") {
      o.ts = false;
      continue;
    }
    if (i + 1 >= argc) usage_exit(2);
    const std::string v = argv[++i];
    const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
    if (a == "--conns" && n > 0 && n <= (1u << 20))
      o.conns = static_cast<unsigned>((n + kBurst - 1) / kBurst * kBurst);
    else if (a == "--rounds" && n > 0 && n < 1000)
      o.rounds = static_cast<unsigned>(n);
    else if (a == "--round-ms" && n > 0 && n < 3600000)
      o.round_ms = static_cast<unsigned>(n);
    else if (a == "--table" && (v == "rte" || v == "open"))
      o.open_table = v == "open";
    else
      usage_exit(2);
  }
  return o;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

// The engine's clock: microseconds of TSC time, as the worker computes it,
// plus a skew that lets the bench jump ahead (to fire delayed ACKs outside
// the timed region).
class Clock {
 public:
  Clock() : base_(rte_rdtsc()), hz_(rte_get_tsc_hz()) {}
  uint64_t usec(uint64_t tsc) const {
    return skew_ +
           static_cast<uint64_t>(static_cast<unsigned __int128>(tsc - base_) * 1000000 / hz_);
  }
  uint64_t now() const { return usec(rte_rdtsc()); }
  void skip_us(uint64_t us) { skew_ += us; }
  uint64_t hz() const { return hz_; }

 private:
  uint64_t base_, hz_;
  uint64_t skew_ = 0;
};

// --- addresses: the server is 198.18.0.1; peer i is 198.19.0.0 + i / 16384,
// port 1024 + i % 16384.
constexpr uint32_t kServerHost = 0xc6120001, kPeerNetHost = 0xc6130000;
constexpr uint32_t kPortsPerIp = 16384;

// Peer i's side of a connection to server_port (local = the peer).
flow::FlowKey peer_key(uint32_t i, uint16_t server_port) {
  flow::FlowKey k;
  k.local_ip = net::Ipv4Addr::from_host(kPeerNetHost + i / kPortsPerIp).be;
  k.remote_ip = net::Ipv4Addr::from_host(kServerHost).be;
  k.local_port = rte_cpu_to_be_16(static_cast<uint16_t>(1024 + i % kPortsPerIp));
  k.remote_port = rte_cpu_to_be_16(server_port);
  return k;
}

// The peer index of a key as the engine sees it (remote = the peer).
uint32_t peer_index(const flow::FlowKey& k) {
  return (net::Ipv4Addr{k.remote_ip}.host() - kPeerNetHost) * kPortsPerIp +
         (rte_be_to_cpu_16(k.remote_port) - 1024u);
}

// A segment from the peer (key: the peer's view).
OutSeg peer_seg(const flow::FlowKey& k, uint32_t seq, uint32_t ack, uint8_t flags,
                const TcpOpts& opt, const void* data = nullptr, uint32_t len = 0) {
  OutSeg o;
  o.key = k;
  o.seq = seq;
  o.ack = ack;
  o.flags = flags;
  o.wnd = kPeerWnd;
  o.opt = opt;
  o.p1 = static_cast<const uint8_t*>(data);
  o.n1 = len;
  return o;
}

// The options of a Linux client's SYN, and of its later segments.
TcpOpts syn_opts(bool ts, uint32_t ts_val) {
  TcpOpts o;
  o.mss = 1460;
  o.wscale = kPeerWscale;
  o.sack_ok = true;
  o.ts = ts;
  o.ts_val = ts ? ts_val : 0;
  return o;
}
TcpOpts ack_opts(bool ts, uint32_t ts_val, uint32_t ts_ecr) {
  TcpOpts o;
  o.ts = ts;
  o.ts_val = ts ? ts_val : 0;
  o.ts_ecr = ts ? ts_ecr : 0;
  return o;
}

// Raw frames in fixed slots of one arena, as a NIC would have written them.
class Frames {
 public:
  static constexpr uint32_t kSlot = 256;

  explicit Frames(size_t n) : mem_(n * kSlot), len_(n), src_(n), dst_(n) {}

  // Writes frame i from o and parses it back into s.
  void build(size_t i, const OutSeg& o, Seg& s) {
    require(tcp::kHeaders + tcp::options_size(o.opt) + o.len() <= kSlot, "frame too large");
    static const rte_ether_addr mac{{2, 0, 0, 0, 0, 2}};
    len_[i] = tcp::write_frame(&mem_[i * kSlot], mac, o, static_cast<uint16_t>(i));
    src_[i] = net::Ipv4Addr{o.key.local_ip};
    dst_[i] = net::Ipv4Addr{o.key.remote_ip};
    if (const auto err = tcp::parse_segment(l4(i), l4_len(i), src_[i], dst_[i], 0, false, s))
      throw std::runtime_error("a frame built by write_frame does not parse: " +
                               std::string(stats::kCounterInfo[static_cast<size_t>(*err)].name));
  }
  const uint8_t* l4(size_t i) const { return &mem_[i * kSlot + kL3]; }
  uint32_t l4_len(size_t i) const { return len_[i] - kL3; }
  net::Ipv4Addr src(size_t i) const { return src_[i]; }
  net::Ipv4Addr dst(size_t i) const { return dst_[i]; }
  size_t size() const { return len_.size(); }

 private:
  std::vector<uint8_t> mem_;
  std::vector<uint32_t> len_;
  std::vector<net::Ipv4Addr> src_, dst_;
};

uint64_t drop_total(const stats::Counters& c) {
  uint64_t n = 0;
  for (size_t i = 0; i < stats::kNumCounters; ++i)
    if (stats::kCounterInfo[i].drop) n += c.load(i);
  return n;
}

// An engine with its own flow table and counters.
struct Stack {
  std::unique_ptr<flow::FlowTable> flows;
  std::unique_ptr<stats::Counters> ctr;
  std::unique_ptr<tcp::Engine> eng;
  const char* name;

  Stack(const char* n, const Options& o, uint32_t max_flows, uint32_t nbufs,
        const tcp::ListenSpec& l)
      : name(n) {
    if (o.open_table)
      flows = std::make_unique<flow::OpenFlowTable>(max_flows);
    else
      flows = std::make_unique<flow::RteFlowTable>(max_flows);
    ctr = std::make_unique<stats::Counters>();
    tcp::EngineConfig cfg;
    cfg.max_flows = max_flows;
    cfg.nbufs = nbufs;
    for (uint8_t i = 0; i < 16; ++i) cfg.isn_key[i] = static_cast<uint8_t>(0x5a ^ (i * 37));
    eng = std::make_unique<tcp::Engine>(cfg, *flows, *ctr);
    require(eng->listen(l) >= 0, "cannot listen");
  }
  uint64_t get(Ctr c) const { return ctr->get(c); }
};

struct Sample {
  uint64_t cycles = 0;
  uint64_t in = 0, out = 0;  // segments into and out of the engine
  uint64_t units = 0;        // what cycles are divided by
  double on_cpu = 0;         // share of the round's wall time this thread ran
};

double clock_s(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs one round and records how much of it the thread spent on a CPU: on
// a shared VM, time spent descheduled still counts in TSC cycles.
template <typename F>
Sample timed_round(F&& f) {
  const double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
  Sample s = f();
  const double w = clock_s(CLOCK_MONOTONIC) - w0, c = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
  s.on_cpu = w > 0 ? std::min(1.0, c / w) : 1.0;
  return s;
}

// Calls input_burst(), then poll() as the worker's loop does, counting and
// clearing the output after each.
inline uint64_t burst(tcp::Engine& e, const Seg* s, unsigned n, uint64_t now) {
  e.input_burst(s, n, now);
  uint64_t out = e.output().size();
  e.clear_output();
  e.poll(now);
  out += e.output().size();
  e.clear_output();
  return out;
}

// --- A and B: the established connections.
struct Peer {
  flow::FlowKey key;  // the peer's view
  uint32_t seq = 0;   // the peer's next sequence number
  uint32_t ack = 0;   // the server's next sequence number
  uint32_t ts_val = 0, ts_ecr = 0;
};

class Established {
 public:
  Established(const Options& o, Clock& clk)
      : o_(o),
        clk_(clk),
        st_("A/B", o, 2 * o.conns, 2 * o.conns,
            {.port = kDiscardPort, .service = {.kind = tcp::ServiceKind::Discard}}),
        peers_(o.conns),
        ack_frames_(o.conns),
        acks_(o.conns),
        data_frames_(o.conns),
        data_(o.conns) {
    handshakes();
    for (uint32_t i = 0; i < kPayload; ++i) payload_[i] = static_cast<uint8_t>('a' + i % 26);
    for (uint32_t i = 0; i < o.conns; ++i) {
      const Peer& p = peers_[i];
      data_frames_.build(i,
                         peer_seg(p.key, p.seq, p.ack, flag::ACK | flag::PSH,
                                  ack_opts(o.ts, p.ts_val, p.ts_ecr), payload_, kPayload),
                         data_[i]);
    }
  }

  Sample run_acks(uint64_t budget) {
    // B moved the peers' sequence numbers on: rebuild the ACKs (untimed).
    for (uint32_t i = 0; i < o_.conns; ++i) {
      const Peer& p = peers_[i];
      ack_frames_.build(
          i, peer_seg(p.key, p.seq, p.ack, flag::ACK, ack_opts(o_.ts, p.ts_val, p.ts_ecr)),
          acks_[i]);
    }
    return run(acks_.data(), budget, false);
  }

  Sample run_data(uint64_t budget) {
    for (uint32_t i = 0; i < o_.conns; ++i) data_[i].seq = peers_[i].seq;
    Sample s = run(data_.data(), budget, true);
    for (uint32_t i = 0; i < o_.conns; ++i) peers_[i].seq = data_[i].seq;
    // Untimed: let the delayed ACKs of odd segments fire, so that A starts
    // from connections with nothing owed.
    clk_.skip_us(100000);
    st_.eng->poll(clk_.now());
    st_.eng->clear_output();
    return s;
  }

  const Frames& ack_frames() const { return ack_frames_; }
  const Frames& data_frames() const { return data_frames_; }
  const Stack& stack() const { return st_; }

 private:
  // SYN in, SYN-ACK out, ACK in: o.conns times, 32 at a time.
  void handshakes() {
    tcp::Engine& e = *st_.eng;
    Frames f(kBurst);
    Seg segs[kBurst];
    for (uint32_t base = 0; base < o_.conns; base += kBurst) {
      for (uint32_t j = 0; j < kBurst; ++j) {
        Peer& p = peers_[base + j];
        p.key = peer_key(base + j, kDiscardPort);
        p.seq = (base + j) * 0x9e3779b9u;
        p.ts_val = 1000 + base + j;
        f.build(j, peer_seg(p.key, p.seq, 0, flag::SYN, syn_opts(o_.ts, p.ts_val)), segs[j]);
      }
      e.input_burst(segs, kBurst, clk_.now());
      require(e.output().size() == kBurst, "handshake: not one SYN-ACK per SYN");
      for (const OutSeg& sa : e.output()) {
        const uint32_t i = peer_index(sa.key);
        require(
            i - base < kBurst && sa.flags == (flag::SYN | flag::ACK) && sa.ack == peers_[i].seq + 1,
            "handshake: unexpected segment instead of a SYN-ACK");
        peers_[i].seq += 1;
        peers_[i].ack = sa.seq + 1;
        peers_[i].ts_ecr = sa.opt.ts_val;
      }
      e.clear_output();
      for (uint32_t j = 0; j < kBurst; ++j) {
        const Peer& p = peers_[base + j];
        f.build(j, peer_seg(p.key, p.seq, p.ack, flag::ACK, ack_opts(o_.ts, p.ts_val, p.ts_ecr)),
                segs[j]);
      }
      e.input_burst(segs, kBurst, clk_.now());
      require(e.output().empty(), "handshake: the engine answered the ACK of its SYN-ACK");
    }
    require(e.conns_in_use() == o_.conns && st_.get(Ctr::tcp_curr_estab) == o_.conns,
            "handshake: not every connection is established");
    require(drop_total(*st_.ctr) == 0, "handshake: segments dropped");
  }

  // Bursts of 32 over the connections in turn, for at least `budget` cycles.
  Sample run(Seg* segs, uint64_t budget, bool advance) {
    tcp::Engine& e = *st_.eng;
    Sample s;
    const uint64_t t0 = rte_rdtsc();
    uint64_t t = t0;
    while (t - t0 < budget) {
      for (unsigned b = 0; b < kChunkBursts; ++b) {
        Seg* x = segs + pos_;
        s.out += burst(e, x, kBurst, clk_.usec(rte_rdtsc()));
        if (advance)
          for (unsigned i = 0; i < kBurst; ++i) x[i].seq += kPayload;
        pos_ += kBurst;
        if (pos_ == o_.conns) pos_ = 0;
      }
      s.in += kChunkBursts * kBurst;
      t = rte_rdtsc();
    }
    s.cycles = t - t0;
    s.units = s.in;
    return s;
  }

  const Options& o_;
  Clock& clk_;
  Stack st_;
  std::vector<Peer> peers_;
  Frames ack_frames_;
  std::vector<Seg> acks_;
  Frames data_frames_;
  std::vector<Seg> data_;
  uint8_t payload_[kPayload];
  uint32_t pos_ = 0;
};

// --- C: SYN -> SYN-ACK.
class Setup {
 public:
  Setup(const Options& o, Clock& clk)
      : clk_(clk),
        st_("C", o, 2 * kSynBatch, 2 * kSynBatch,
            {.port = kDiscardPort,
             .service = {.kind = tcp::ServiceKind::Discard},
             .backlog = 2 * kSynBatch}),
        frames_(kSynBatch),
        syns_(kSynBatch) {
    for (uint32_t i = 0; i < kSynBatch; ++i)
      frames_.build(i,
                    peer_seg(peer_key(i, kDiscardPort), i * 0x9e3779b9u, 0, flag::SYN,
                             syn_opts(o.ts, 1000 + i)),
                    syns_[i]);
  }

  Sample run(uint64_t budget) {
    tcp::Engine& e = *st_.eng;
    Sample s;
    while (s.cycles < budget) {
      const uint64_t t0 = rte_rdtsc();
      for (unsigned pos = 0; pos < kSynBatch; pos += kBurst)
        s.out += burst(e, &syns_[pos], kBurst, clk_.usec(rte_rdtsc()));
      s.cycles += rte_rdtsc() - t0;
      s.in += kSynBatch;
      // Untimed: free the 4-tuples again.
      require(e.conns_in_use() == kSynBatch, "C: not every SYN made a connection");
      e.abort_all();
      e.clear_output();
      require(e.conns_in_use() == 0, "C: abort_all left connections");
    }
    s.units = s.in;
    return s;
  }

  const Stack& stack() const { return st_; }

 private:
  Clock& clk_;
  Stack st_;
  Frames frames_;
  std::vector<Seg> syns_;
};

// --- D: whole short http connections, 32 at a time. The segments are
// built and parsed in advance; only the fields that depend on what the
// server sent (ACK number, echoed timestamp) are filled in at run time.
class ShortHttp {
 public:
  static constexpr unsigned kSteps = 6;  // SYN, ACK, GET, ACK, FIN, ACK

  ShortHttp(const Options& o, Clock& clk)
      : clk_(clk),
        st_("D", o, 8 * kBurst, 8 * kBurst,
            {.port = kHttpPort, .service = {.kind = tcp::ServiceKind::Http, .http_size = 64}}),
        frames_(kSteps * kHttpTuples),
        segs_(kSteps * kHttpTuples) {
    for (uint32_t t = 0; t < kHttpTuples; ++t) {
      const flow::FlowKey k = peer_key(t, kHttpPort);
      const uint32_t isn = t * 0x9e3779b9u, tsv = 1000 + t;
      const TcpOpts a = ack_opts(o.ts, tsv, 0);
      build(0, t, peer_seg(k, isn, 0, flag::SYN, syn_opts(o.ts, tsv)));
      build(1, t, peer_seg(k, isn + 1, 0, flag::ACK, a));
      build(2, t, peer_seg(k, isn + 1, 0, flag::ACK | flag::PSH, a, kRequest, kRequestLen));
      build(3, t, peer_seg(k, isn + 1 + kRequestLen, 0, flag::ACK, a));
      build(4, t, peer_seg(k, isn + 1 + kRequestLen, 0, flag::FIN | flag::ACK, a));
      build(5, t, peer_seg(k, isn + 2 + kRequestLen, 0, flag::ACK, a));
    }
  }

  Sample run(uint64_t budget) {
    tcp::Engine& e = *st_.eng;
    Sample s;
    const uint64_t t0 = rte_rdtsc();
    uint64_t t = t0;
    while (t - t0 < budget) {
      for (unsigned g = 0; g < 8; ++g) {
        const uint32_t first = pos_;
        for (unsigned step = 0; step < kSteps; ++step) {
          Seg* x = &segs_[step * kHttpTuples + first];
          if (step > 0)
            for (unsigned j = 0; j < kBurst; ++j) {
              x[j].ack = srv_nxt_[j];
              x[j].opt.ts_ecr = srv_ts_[j];
            }
          const uint64_t now = clk_.usec(rte_rdtsc());
          e.input_burst(x, kBurst, now);
          s.out += take(e, first);
          e.poll(now);
          s.out += take(e, first);
        }
        s.in += kSteps * kBurst;
        s.units += kBurst;
        pos_ = (pos_ + kBurst) % kHttpTuples;
      }
      t = rte_rdtsc();
    }
    s.cycles = t - t0;
    // Every connection ran to its end and was freed (no TIME_WAIT on the
    // side that closes second).
    require(e.conns_in_use() == 0, "D: connections left after the last ACK");
    return s;
  }

  const Stack& stack() const { return st_; }
  uint64_t payload_out() const { return payload_out_; }  // response bytes sent

 private:
  void build(unsigned step, uint32_t t, const OutSeg& o) {
    frames_.build(step * kHttpTuples + t, o, segs_[step * kHttpTuples + t]);
  }

  // The client side: remembers how far the server has sent (SYN and FIN
  // count) and its newest timestamp, for the next segments' ACK fields.
  uint64_t take(tcp::Engine& e, uint32_t first) {
    const auto out = e.output();
    for (const OutSeg& o : out) {
      const uint32_t j = peer_index(o.key) - first;
      if (j >= kBurst) continue;  // cannot happen: only this group is alive
      srv_nxt_[j] =
          o.seq + o.len() + ((o.flags & flag::SYN) ? 1 : 0) + ((o.flags & flag::FIN) ? 1 : 0);
      srv_ts_[j] = o.opt.ts_val;
      payload_out_ += o.len();
    }
    e.clear_output();
    return out.size();
  }

  Clock& clk_;
  Stack st_;
  Frames frames_;
  std::vector<Seg> segs_;  // [step][tuple]
  uint32_t srv_nxt_[kBurst] = {};
  uint32_t srv_ts_[kBurst] = {};
  uint32_t pos_ = 0;
  uint64_t payload_out_ = 0;
};

// --- parse_segment() alone over pre-built frames.
uint64_t g_parse_errors = 0;
uint64_t g_sink = 0;

Sample run_parse(const Frames& f, bool hw_good, uint64_t budget, size_t& pos) {
  Seg segs[kBurst];
  Sample s;
  const uint64_t t0 = rte_rdtsc();
  uint64_t t = t0;
  while (t - t0 < budget) {
    for (unsigned b = 0; b < kChunkBursts; ++b) {
      for (unsigned i = 0; i < kBurst; ++i) {
        const size_t k = pos + i;
        g_parse_errors +=
            tcp::parse_segment(f.l4(k), f.l4_len(k), f.src(k), f.dst(k), 0, hw_good, segs[i])
                .has_value();
      }
      for (unsigned i = 0; i < kBurst; ++i) g_sink += segs[i].seq + segs[i].len;
      pos += kBurst;
      if (pos == f.size()) pos = 0;
    }
    s.in += kChunkBursts * kBurst;
    t = rte_rdtsc();
  }
  s.cycles = t - t0;
  s.units = s.in;
  return s;
}

// --- the report
struct Row {
  std::string name, unit;
  std::vector<Sample> samples;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

void print_row(const Row& r, double hz) {
  std::vector<double> cyc;
  uint64_t in = 0, out = 0;
  double on_cpu = 1;
  for (const Sample& s : r.samples) {
    on_cpu = std::min(on_cpu, s.on_cpu);
    cyc.push_back(static_cast<double>(s.cycles) / static_cast<double>(s.units));
    in += s.in;
    out += s.out;
  }
  const auto [lo, hi] = std::minmax_element(cyc.begin(), cyc.end());
  const double med = median(cyc);
  char ratio[32] = "–";
  if (out || r.name.rfind("parse", 0) != 0)
    std::snprintf(ratio, sizeof ratio, "%.3f", static_cast<double>(out) / static_cast<double>(in));
  std::printf("| %s | %s | %.0f | %.0f–%.0f | %.2f M | %s | %.0f%% |\n", r.name.c_str(),
              r.unit.c_str(), med, *lo, *hi, hz / med / 1e6, ratio, on_cpu * 100);
}

void print_counters(const Stack& s) {
  std::printf("engine %s: tcpInSegs %llu, tcpOutSegs %llu, tcpOutRsts %llu, drops %llu", s.name,
              static_cast<unsigned long long>(s.get(Ctr::tcp_in_segs)),
              static_cast<unsigned long long>(s.get(Ctr::tcp_out_segs)),
              static_cast<unsigned long long>(s.get(Ctr::tcp_out_rsts)),
              static_cast<unsigned long long>(drop_total(*s.ctr)));
  for (size_t i = 0; i < stats::kNumCounters; ++i)
    if (stats::kCounterInfo[i].drop && s.ctr->load(i))
      std::printf(" %s=%llu", std::string(stats::kCounterInfo[i].name).c_str(),
                  static_cast<unsigned long long>(s.ctr->load(i)));
  std::printf("\n");
}

int run(const Options& o) {
  Clock clk;
  Established est(o, clk);
  Setup setup(o, clk);
  ShortHttp http(o, clk);

  const double hz = static_cast<double>(clk.hz());
  std::printf(
      "pmx-tcp-bench: %u connections for A/B, flow table %s, peer options: MSS, SACK, "
      "window scale%s; %u rounds of >= %u ms; TSC %.3f GHz\n",
      o.conns, o.open_table ? "OpenFlowTable" : "RteFlowTable (rte_hash)",
      o.ts ? ", timestamps" : "", o.rounds, o.round_ms, hz / 1e9);

  std::vector<Row> rows = {
      {"A. pure ACK, established, discard", "segment in", {}},
      {"B. 64-byte data segment, established, discard", "segment in", {}},
      {"C. SYN → SYN-ACK, new 4-tuple", "segment in", {}},
      {"D. short http connection (6 in + out)", "segment in or out", {}},
      {"D. short http connection", "connection", {}},
      {"parse_segment, ACK frame, checksum verified", "segment", {}},
      {"parse_segment, ACK frame, checksum not verified (hw_good)", "segment", {}},
      {"parse_segment, 64-byte data frame, checksum verified", "segment", {}},
      {"parse_segment, 64-byte data frame, checksum not verified (hw_good)", "segment", {}},
  };
  const uint64_t budget = clk.hz() / 1000 * o.round_ms;
  size_t ppos[4] = {};
  for (unsigned r = 0; r < o.rounds; ++r) {
    rows[0].samples.push_back(timed_round([&] { return est.run_acks(budget); }));
    rows[1].samples.push_back(timed_round([&] { return est.run_data(budget); }));
    rows[2].samples.push_back(timed_round([&] { return setup.run(budget); }));
    Sample d = timed_round([&] { return http.run(budget); });
    rows[4].samples.push_back(d);
    d.units = d.in + d.out;
    rows[3].samples.push_back(d);
    rows[5].samples.push_back(
        timed_round([&] { return run_parse(est.ack_frames(), false, budget, ppos[0]); }));
    rows[6].samples.push_back(
        timed_round([&] { return run_parse(est.ack_frames(), true, budget, ppos[1]); }));
    rows[7].samples.push_back(
        timed_round([&] { return run_parse(est.data_frames(), false, budget, ppos[2]); }));
    rows[8].samples.push_back(
        timed_round([&] { return run_parse(est.data_frames(), true, budget, ppos[3]); }));
  }

  std::printf(
      "\n| measurement | per | cycles (median) | cycles (min–max) | per second, one core "
      "(median) | out segs / in seg | on CPU (worst round) |\n"
      "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Row& row : rows) print_row(row, hz);
  std::printf("\n");
  print_counters(est.stack());
  print_counters(setup.stack());
  print_counters(http.stack());
  uint64_t conns = 0;
  for (const Sample& d : rows[4].samples) conns += d.units;
  std::printf("D: %llu connections, %.1f payload bytes sent per connection (the response)\n",
              static_cast<unsigned long long>(conns),
              static_cast<double>(http.payload_out()) / static_cast<double>(conns));
  std::printf("parse errors %llu (must be 0), checksum %llu\n",
              static_cast<unsigned long long>(g_parse_errors),
              static_cast<unsigned long long>(g_sink));
  const uint64_t drops =
      drop_total(*est.stack().ctr) + drop_total(*setup.stack().ctr) + drop_total(*http.stack().ctr);
  if (drops || g_parse_errors) {
    std::fprintf(stderr, "pmx-tcp-bench: %llu drops, %llu parse errors: the numbers are void\n",
                 static_cast<unsigned long long>(drops),
                 static_cast<unsigned long long>(g_parse_errors));
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // EAL options are those before "--"; without "--", defaults that need no
  // hugepages, no devices and no shared state.
  int sep = 0;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--") == 0) {
      sep = i;
      break;
    }
  std::vector<std::string> eal_args;
  if (sep) {
    eal_args.assign(argv, argv + sep);
  } else {
    eal_args = {argv[0],
                "--no-huge",
                "-m",
                "1024",
                "--no-shconf",
                "--no-pci",
                "--file-prefix",
                "pmxtb" + std::to_string(getpid()),
                "-l",
                "0",
                "--log-level=*:warning"};
  }
  std::vector<char*> eal_argv;
  for (std::string& s : eal_args) eal_argv.push_back(s.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "pmx-tcp-bench: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  const int first = sep ? sep + 1 : 1;
  const Options o = parse(argc - first, argv + first);
  int rc = 1;
  try {
    rc = run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pmx-tcp-bench: %s\n", e.what());
  }
  rte_eal_cleanup();
  return rc;
}
