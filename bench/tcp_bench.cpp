// pmx-tcp-bench: what the TCP engine costs per segment, without I/O, next
// to what moving a packet costs. Peer segments are described as OutSegs,
// written to frames with write_frame() and parsed back with parse_segment()
// (so they are real wire formats), then fed to Engine::input_burst() in
// bursts of 32; the engine's output is counted and cleared after every
// burst, and poll() runs after every burst as in the worker's loop.
// Measured:
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
//   write_frame() of the segments of A and B into an mbuf-sized buffer:
//      the cost paid for every segment the engine sends
//   TCP path (A, B, C, D again): what a worker does per segment beyond
//      the engine, minus I/O: parse_segment() of the raw frame (checksum
//      verified in software, as on the virtual PMDs), the engine, and
//      write_frame() of every reply into an mbuf-sized buffer
//   bare I/O: rte_eth_tx_burst() of 32 mbufs holding frames of A or B,
//      then rte_eth_rx_burst() of them back, with no processing: over a
//      net_ring port (a loop-back pair of rte_rings: pointers only), a
//      net_memif server/client pair in this process (copies the bytes, an
//      mbuf freed on TX and allocated on RX) and net_null (TX frees, RX
//      allocates, nothing copied); each packet pays one TX and one RX
//
// Every measurement runs `rounds` times, interleaved (A B C D parse...
// A B ...), each round for at least round-ms of TSC time; the table reports
// the median and min-max over the rounds, and the share of the worst
// round's wall time the thread was on a CPU (TSC time spent descheduled
// counts as cycles). Any drop counter above 0, parse error or lost packet
// makes the run fail. --machine prints `RESULT <key> <value>` lines (the
// median over the rounds) instead of the table; --results FILE writes them
// to FILE as well. A microbenchmark, not a test.
//
//   pmx-tcp-bench [EAL options --] [--conns N] [--rounds R] [--round-ms MS]
//                 [--table rte|open] [--no-ts] [--io LIST] [--machine]
//                 [--results FILE]
#include "flow/open_flow_table.hpp"
#include "flow/rte_flow_table.hpp"
#include "net/addr.hpp"
#include "service/catalog.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"
#include "tcp/wire.hpp"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
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
  std::vector<std::string> io = {"ring", "memif", "null"};  // bare I/O back-ends measured
  bool machine = false;                                     // RESULT lines instead of the table
  std::string results;                                      // also write the RESULT lines here
};

[[noreturn]] void usage_exit(int rc) {
  std::fputs(
      "usage: pmx-tcp-bench [EAL options --] [--conns N] [--rounds R] [--round-ms MS]\n"
      "                     [--table rte|open] [--no-ts] [--io LIST] [--machine]\n"
      "                     [--results FILE]\n"
      "  EAL options  default: --no-huge -m 1024 --no-shconf --no-pci --no-telemetry\n"
      "               --file-prefix pmxtb<pid> -l 0 --log-level=pmd.net.memif:error\n"
      "               --log-level=*:warning\n"
      "  --conns N     established connections for A and B, rounded up to a\n"
      "                multiple of 32 (default 1024)\n"
      "  --rounds R    interleaved rounds per measurement (default 5)\n"
      "  --round-ms MS minimum TSC time of one round (default 1000)\n"
      "  --table T     flow table: rte (rte_hash, default) or open (OpenFlowTable)\n"
      "  --no-ts       the peer offers no timestamps (default: MSS, SACK, window\n"
      "                scale and timestamps, as Linux)\n"
      "  --io LIST     bare I/O measured, comma-separated: ring, memif, null, or\n"
      "                none (default ring,memif,null)\n"
      "  --machine     print `RESULT <key> <value>` lines (medians) and `#`\n"
      "                comments instead of the table\n"
      "  --results F   write the RESULT lines to file F too\n",
      rc == 0 ? stdout : stderr);
  std::exit(rc);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t e; (e = s.find(sep, b)) != std::string::npos; b = e + 1)
    out.push_back(s.substr(b, e - b));
  out.push_back(s.substr(b));
  return out;
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
    if (a == "--machine") {
      o.machine = true;
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
    else if (a == "--results" && !v.empty())
      o.results = v;
    else if (a == "--io") {
      o.io.clear();
      if (v == "none") continue;
      for (const std::string& k : split(v, ',')) {
        if (k != "ring" && k != "memif" && k != "null") usage_exit(2);
        if (std::find(o.io.begin(), o.io.end(), k) == o.io.end()) o.io.push_back(k);
      }
    } else
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
  const uint8_t* frame(size_t i) const { return &mem_[i * kSlot]; }
  uint32_t len(size_t i) const { return len_[i]; }
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

// --- the TCP path: parse before the engine, write_frame() after it.
uint64_t g_parse_errors = 0;
uint64_t g_sink = 0;

// The worker's tcp_output() without the mbuf allocation and the neighbour
// lookup: write_frame() of a segment into the data room of one of 32
// buffers laid out as a mempool's mbufs are (header, headroom, data room:
// a stride that is not a power of two), used in turn as recycled mbufs
// would be.
class TxFrames {
 public:
  TxFrames() : bufs_(kBurst) {}
  void write(const OutSeg& s) {
    static const rte_ether_addr mac{{2, 0, 0, 0, 0, 1}};
    g_sink += tcp::write_frame(bufs_[next_].b + kData, mac, s, ip_id_++);
    next_ = (next_ + 1) % kBurst;
  }

 private:
  static constexpr size_t kData = sizeof(rte_mbuf) + RTE_PKTMBUF_HEADROOM;
  struct alignas(RTE_CACHE_LINE_SIZE) Buf {
    uint8_t b[kData + RTE_MBUF_DEFAULT_DATAROOM];
  };
  std::vector<Buf> bufs_;
  unsigned next_ = 0;
  uint16_t ip_id_ = 0;
};

// parse_segment() of frames [first, first + n) of f into s, checksum
// verified in software (the virtual PMDs offload nothing).
inline void parse_burst(const Frames& f, size_t first, unsigned n, Seg* s) {
  for (unsigned i = 0; i < n; ++i) {
    const size_t k = first + i;
    g_parse_errors +=
        tcp::parse_segment(f.l4(k), f.l4_len(k), f.src(k), f.dst(k), 0, false, s[i]).has_value();
  }
}

// Writes and clears the engine's output.
inline uint64_t write_output(tcp::Engine& e, TxFrames& tx) {
  const auto out = e.output();
  for (const OutSeg& o : out) tx.write(o);
  e.clear_output();
  return out.size();
}

// burst() with every segment sent written into a frame.
inline uint64_t burst_wire(tcp::Engine& e, const Seg* s, unsigned n, uint64_t now, TxFrames& tx) {
  e.input_burst(s, n, now);
  uint64_t out = write_output(e, tx);
  e.poll(now);
  return out + write_output(e, tx);
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
            {.ip = {}, .port = kDiscardPort, .service = {.kind = service::kind::Discard}}),
        peers_(o.conns),
        ack_frames_(o.conns),
        acks_(o.conns),
        ack_out_(o.conns),
        data_frames_(o.conns),
        data_(o.conns),
        data_out_(o.conns) {
    handshakes();
    for (uint32_t i = 0; i < kPayload; ++i) payload_[i] = static_cast<uint8_t>('a' + i % 26);
    for (uint32_t i = 0; i < o.conns; ++i) {
      const Peer& p = peers_[i];
      data_out_[i] = peer_seg(p.key, p.seq, p.ack, flag::ACK | flag::PSH,
                              ack_opts(o.ts, p.ts_val, p.ts_ecr), payload_, kPayload);
      data_frames_.build(i, data_out_[i], data_[i]);
    }
    refresh_acks();
  }

  Sample run_acks(uint64_t budget) {
    refresh_acks();
    return run(acks_.data(), budget, false);
  }

  Sample run_data(uint64_t budget) {
    for (uint32_t i = 0; i < o_.conns; ++i) data_[i].seq = peers_[i].seq;
    Sample s = run(data_.data(), budget, true);
    for (uint32_t i = 0; i < o_.conns; ++i) peers_[i].seq = data_[i].seq;
    fire_delayed_acks();
    return s;
  }

  // The TCP path: the raw frames are parsed in the timed loop and the
  // replies written. The data frames stay as built (their checksums stay
  // valid); each parsed segment then gets its connection's current
  // sequence number, as run() advances it in place.
  Sample run_wire_acks(uint64_t budget, TxFrames& tx) {
    refresh_acks();
    return run_wire(ack_frames_, budget, false, tx);
  }

  Sample run_wire_data(uint64_t budget, TxFrames& tx) {
    Sample s = run_wire(data_frames_, budget, true, tx);
    fire_delayed_acks();
    return s;
  }

  const std::vector<OutSeg>& ack_segs() const { return ack_out_; }
  const std::vector<OutSeg>& data_segs() const { return data_out_; }
  const Frames& ack_frames() const { return ack_frames_; }
  const Frames& data_frames() const { return data_frames_; }
  const Stack& stack() const { return st_; }

 private:
  // B moved the peers' sequence numbers on: rebuild the ACKs (untimed).
  void refresh_acks() {
    for (uint32_t i = 0; i < o_.conns; ++i) {
      const Peer& p = peers_[i];
      ack_out_[i] = peer_seg(p.key, p.seq, p.ack, flag::ACK, ack_opts(o_.ts, p.ts_val, p.ts_ecr));
      ack_frames_.build(i, ack_out_[i], acks_[i]);
    }
  }

  // Untimed: let the delayed ACKs of odd segments fire, so that A starts
  // from connections with nothing owed.
  void fire_delayed_acks() {
    clk_.skip_us(100000);
    st_.eng->poll(clk_.now());
    st_.eng->clear_output();
  }

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

  Sample run_wire(const Frames& f, uint64_t budget, bool advance, TxFrames& tx) {
    tcp::Engine& e = *st_.eng;
    Sample s;
    const uint64_t t0 = rte_rdtsc();
    uint64_t t = t0;
    while (t - t0 < budget) {
      for (unsigned b = 0; b < kChunkBursts; ++b) {
        parse_burst(f, pos_, kBurst, wire_);
        if (advance)
          for (unsigned i = 0; i < kBurst; ++i) {
            wire_[i].seq = peers_[pos_ + i].seq;
            peers_[pos_ + i].seq += kPayload;
          }
        s.out += burst_wire(e, wire_, kBurst, clk_.usec(rte_rdtsc()), tx);
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
  std::vector<OutSeg> ack_out_;
  Frames data_frames_;
  std::vector<Seg> data_;
  std::vector<OutSeg> data_out_;
  Seg wire_[kBurst];
  uint8_t payload_[kPayload];
  uint32_t pos_ = 0;
};

// --- C: SYN -> SYN-ACK.
class Setup {
 public:
  Setup(const Options& o, Clock& clk)
      : clk_(clk),
        st_("C", o, 2 * kSynBatch, 2 * kSynBatch,
            {.ip = {},
             .port = kDiscardPort,
             .service = {.kind = service::kind::Discard},
             .backlog = 2 * kSynBatch}),
        frames_(kSynBatch),
        syns_(kSynBatch) {
    for (uint32_t i = 0; i < kSynBatch; ++i)
      frames_.build(i,
                    peer_seg(peer_key(i, kDiscardPort), i * 0x9e3779b9u, 0, flag::SYN,
                             syn_opts(o.ts, 1000 + i)),
                    syns_[i]);
  }

  // tx: the TCP path (parse the raw SYNs, write the SYN-ACKs); null: the
  // engine alone.
  Sample run(uint64_t budget, TxFrames* tx = nullptr) {
    tcp::Engine& e = *st_.eng;
    Sample s;
    while (s.cycles < budget) {
      const uint64_t t0 = rte_rdtsc();
      if (tx)
        for (unsigned pos = 0; pos < kSynBatch; pos += kBurst) {
          parse_burst(frames_, pos, kBurst, wire_);
          s.out += burst_wire(e, wire_, kBurst, clk_.usec(rte_rdtsc()), *tx);
        }
      else
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
  Seg wire_[kBurst];
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
            {.ip = {}, .port = kHttpPort, .service = {.kind = service::kind::Http, .arg = 64}}),
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

  // tx: the TCP path (the raw frames are parsed in the timed loop, the
  // fields that depend on the server written into the parsed segments,
  // and every segment sent written into a frame); null: the engine alone.
  Sample run(uint64_t budget, TxFrames* tx = nullptr) {
    return tx ? run_impl<true>(budget, tx) : run_impl<false>(budget, nullptr);
  }

  const Stack& stack() const { return st_; }
  uint64_t payload_out() const { return payload_out_; }  // response bytes sent

 private:
  template <bool kWire>
  Sample run_impl(uint64_t budget, TxFrames* tx) {
    tcp::Engine& e = *st_.eng;
    Sample s;
    const uint64_t t0 = rte_rdtsc();
    uint64_t t = t0;
    while (t - t0 < budget) {
      for (unsigned g = 0; g < 8; ++g) {
        const uint32_t first = pos_;
        for (unsigned step = 0; step < kSteps; ++step) {
          Seg* x = &segs_[step * kHttpTuples + first];
          if constexpr (kWire) {
            parse_burst(frames_, step * kHttpTuples + first, kBurst, wire_);
            x = wire_;
          }
          if (step > 0)
            for (unsigned j = 0; j < kBurst; ++j) {
              x[j].ack = srv_nxt_[j];
              x[j].opt.ts_ecr = srv_ts_[j];
            }
          const uint64_t now = clk_.usec(rte_rdtsc());
          e.input_burst(x, kBurst, now);
          s.out += take(e, first, tx);
          e.poll(now);
          s.out += take(e, first, tx);
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

  void build(unsigned step, uint32_t t, const OutSeg& o) {
    frames_.build(step * kHttpTuples + t, o, segs_[step * kHttpTuples + t]);
  }

  // The client side: remembers how far the server has sent (SYN and FIN
  // count) and its newest timestamp, for the next segments' ACK fields.
  // With tx, also writes the segment into a frame.
  uint64_t take(tcp::Engine& e, uint32_t first, TxFrames* tx) {
    const auto out = e.output();
    for (const OutSeg& o : out) {
      if (tx) tx->write(o);
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
  Seg wire_[kBurst];
  uint32_t srv_nxt_[kBurst] = {};
  uint32_t srv_ts_[kBurst] = {};
  uint32_t pos_ = 0;
  uint64_t payload_out_ = 0;
};

// --- parse_segment() alone over pre-built frames.
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

// --- write_frame() alone over the segments of A and B.
Sample run_write(const std::vector<OutSeg>& segs, TxFrames& tx, uint64_t budget, size_t& pos) {
  Sample s;
  const uint64_t t0 = rte_rdtsc();
  uint64_t t = t0;
  while (t - t0 < budget) {
    for (unsigned b = 0; b < kChunkBursts; ++b) {
      for (unsigned i = 0; i < kBurst; ++i) tx.write(segs[pos + i]);
      pos += kBurst;
      if (pos == segs.size()) pos = 0;
    }
    s.in += kChunkBursts * kBurst;
    t = rte_rdtsc();
  }
  s.cycles = t - t0;
  s.units = s.in;
  return s;
}

// --- bare packet I/O: rte_eth_tx_burst() of 32 mbufs holding frames of A
// or B on one port, then rte_eth_rx_burst() of them on the port they
// arrive at, with no processing; what was received is sent in the next
// burst. Each packet pays one TX and one RX.
uint64_t g_io_lost = 0;     // packets sent that did not come back: must stay 0
uint64_t g_io_short = 0;    // packets a TX burst did not take (sent again later)
uint64_t g_io_corrupt = 0;  // packets that came back different: must stay 0

struct IoSample {
  Sample all;
  uint64_t tx_cycles = 0, rx_cycles = 0;
};

class PacketIo {
 public:
  // kind: "ring" (one net_ring port looped back on itself), "memif" (a
  // net_memif server and client connected through a socket of this
  // process), "null" (one net_null port: TX frees, RX allocates).
  PacketIo(const std::string& kind, rte_mempool* pool) : kind_(kind), pool_(pool) {
    // Short names: net_ring names its rings after the device, and ring
    // names are short.
    if (kind == "ring") {
      tx_port_ = rx_port_ = add("net_ring_b", "");
    } else if (kind == "null") {
      tx_port_ = rx_port_ = add("net_null_b", "");
    } else if (kind == "memif") {
      // An abstract socket (the default) of this process: no file is left
      // behind, no other process meets it.
      const std::string sock =
          "socket=/run/pmx-tcp-bench-" + std::to_string(getpid()) + ".sock,id=0,zero-copy=no";
      rx_port_ = add("net_memif_s", "role=server," + sock);
      tx_port_ = add("net_memif_c", "role=client," + sock);
      if (!wait_link(rx_port_, true) || !wait_link(tx_port_, true))
        throw std::runtime_error("I/O: the memif link did not come up in 5 s");
    } else {
      throw std::runtime_error("unknown I/O kind " + kind);
    }
  }
  PacketIo(const PacketIo&) = delete;
  PacketIo& operator=(const PacketIo&) = delete;
  ~PacketIo() {
    // Client first. The memif server handles the client's disconnection
    // in the EAL interrupt thread; stopping it while that thread is at it
    // frees the same memory twice (DPDK 22.11 logs "EAL: Error: Invalid
    // memory"). So wait for the server to see its link go down, and for
    // that thread to finish, before stopping it.
    std::vector<uint16_t> ports;
    for (auto it = devs_.rbegin(); it != devs_.rend(); ++it) {
      uint16_t port;
      if (rte_eth_dev_get_port_by_name(it->c_str(), &port) != 0) continue;
      if (kind_ == "memif" && it != devs_.rbegin()) {
        wait_link(port, false);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      const int stopped = rte_eth_dev_stop(port);
      static_cast<void>(stopped);
      ports.push_back(port);
    }
    for (const uint16_t port : ports) rte_eth_dev_close(port);
    for (const std::string& name : devs_) rte_eal_hotplug_remove("vdev", name.c_str());
  }

  const std::string& kind() const { return kind_; }

  IoSample run(const Frames& f, uint64_t budget) {
    rte_mbuf* pkts[kBurst];
    require(rte_pktmbuf_alloc_bulk(pool_, pkts, kBurst) == 0, "I/O: no mbufs");
    for (unsigned i = 0; i < kBurst; ++i) {
      const uint16_t len = static_cast<uint16_t>(f.len(i));
      std::memcpy(rte_pktmbuf_mtod(pkts[i], uint8_t*), f.frame(i), len);
      pkts[i]->data_len = len;
      pkts[i]->pkt_len = len;
    }
    IoSample s;
    const uint64_t t0 = rte_rdtsc();
    uint64_t t = t0;
    while (t - t0 < budget) {
      for (unsigned b = 0; b < kChunkBursts; ++b) {
        const uint64_t a = rte_rdtsc();
        const uint16_t sent = rte_eth_tx_burst(tx_port_, 0, pkts, kBurst);
        const uint64_t m = rte_rdtsc();
        // What was sent comes back into the same slots; what a TX did not
        // take is still at [sent, kBurst).
        uint16_t got = 0;
        for (unsigned tries = 0; got < sent && tries < 1000; ++tries)
          got = static_cast<uint16_t>(
              got + rte_eth_rx_burst(rx_port_, 0, pkts + got, static_cast<uint16_t>(sent - got)));
        const uint64_t z = rte_rdtsc();
        s.tx_cycles += m - a;
        s.rx_cycles += z - m;
        s.all.in += got;
        g_io_short += kBurst - sent;
        if (got < sent) {
          g_io_lost += sent - got;
          require(rte_pktmbuf_alloc_bulk(pool_, pkts + got, sent - got) == 0, "I/O: no mbufs");
        }
      }
      t = rte_rdtsc();
    }
    s.all.cycles = t - t0;
    s.all.units = s.all.in;
    // Untimed: what came back is what was sent, in order (net_null makes
    // up its own packets).
    if (kind_ != "null")
      for (unsigned i = 0; i < kBurst; ++i)
        g_io_corrupt +=
            pkts[i]->pkt_len != f.len(i) || pkts[i]->nb_segs != 1 ||
            std::memcmp(rte_pktmbuf_mtod(pkts[i], const uint8_t*), f.frame(i), f.len(i)) != 0;
    rte_pktmbuf_free_bulk(pkts, kBurst);
    return s;
  }

 private:
  uint16_t add(const std::string& name, const std::string& args) {
    const std::string devargs = args.empty() ? name : name + "," + args;
    if (rte_dev_probe(devargs.c_str()) != 0)
      throw std::runtime_error("I/O: cannot create " + devargs);
    devs_.push_back(name);
    uint16_t port;
    require(rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0, "I/O: no port " + name);
    rte_eth_conf conf{};
    require(rte_eth_dev_configure(port, 1, 1, &conf) == 0, "I/O: cannot configure " + name);
    const int socket = rte_eth_dev_socket_id(port);
    const unsigned sock = socket < 0 ? static_cast<unsigned>(SOCKET_ID_ANY) : socket;
    require(rte_eth_rx_queue_setup(port, 0, 1024, sock, nullptr, pool_) == 0,
            "I/O: cannot set up the RX queue of " + name);
    require(rte_eth_tx_queue_setup(port, 0, 1024, sock, nullptr) == 0,
            "I/O: cannot set up the TX queue of " + name);
    require(rte_eth_dev_start(port) == 0, "I/O: cannot start " + name);
    return port;
  }

  // Waits up to 5 s for port's link to be up (or down); true if it is.
  static bool wait_link(uint16_t port, bool up) {
    for (int i = 0; i < 500; ++i) {
      rte_eth_link l{};
      rte_eth_link_get_nowait(port, &l);
      if ((l.link_status == RTE_ETH_LINK_UP) == up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::string kind_;
  rte_mempool* pool_;
  std::vector<std::string> devs_;
  uint16_t tx_port_ = 0, rx_port_ = 0;
};

// --- the report
struct Row {
  std::string name, unit;
  std::string key;        // RESULT key of the median cycles per unit
  std::string ratio_key;  // RESULT key of out segs / in seg; empty: none
  std::vector<Sample> samples;
};

Row row(std::string name, std::string unit, std::string key, std::string ratio_key = "") {
  return {std::move(name), std::move(unit), std::move(key), std::move(ratio_key), {}};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double median_cycles(const Row& r) {
  std::vector<double> cyc;
  for (const Sample& s : r.samples)
    cyc.push_back(static_cast<double>(s.cycles) / static_cast<double>(s.units));
  return median(cyc);
}

double out_per_in(const Row& r) {
  uint64_t in = 0, out = 0;
  for (const Sample& s : r.samples) {
    in += s.in;
    out += s.out;
  }
  return static_cast<double>(out) / static_cast<double>(in);
}

void print_row(const Row& r, double hz) {
  std::vector<double> cyc;
  double on_cpu = 1;
  for (const Sample& s : r.samples) {
    on_cpu = std::min(on_cpu, s.on_cpu);
    cyc.push_back(static_cast<double>(s.cycles) / static_cast<double>(s.units));
  }
  const auto [lo, hi] = std::minmax_element(cyc.begin(), cyc.end());
  const double med = median(cyc);
  char ratio[32] = "–";
  if (!r.ratio_key.empty() || r.unit == "connection")
    std::snprintf(ratio, sizeof ratio, "%.3f", out_per_in(r));
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

// The I/O back-ends' rows: per packet (one TX and one RX), and the TX and
// RX parts of it.
struct IoRows {
  PacketIo* io;
  const Frames* frames;
  size_t first;  // index of the "per packet" row; TX and RX follow
};

int run(const Options& o) {
  Clock clk;
  Established est(o, clk);
  Setup setup(o, clk);
  ShortHttp http(o, clk);
  TxFrames tx;

  rte_mempool* pool = nullptr;
  std::vector<std::unique_ptr<PacketIo>> ios;
  if (!o.io.empty()) {
    pool = rte_pktmbuf_pool_create("pmxtb_io", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   static_cast<int>(rte_socket_id()));
    require(pool != nullptr,
            std::string("I/O: cannot create the mbuf pool: ") + rte_strerror(rte_errno));
    for (const std::string& k : o.io) ios.push_back(std::make_unique<PacketIo>(k, pool));
  }

  const double hz = static_cast<double>(clk.hz());
  char info[512];
  std::snprintf(info, sizeof info,
                "pmx-tcp-bench: %u connections for A/B, flow table %s, peer options: MSS, SACK, "
                "window scale%s; %u rounds of >= %u ms; TSC %.3f GHz; DPDK memory %s",
                o.conns, o.open_table ? "OpenFlowTable" : "RteFlowTable (rte_hash)",
                o.ts ? ", timestamps" : "", o.rounds, o.round_ms, hz / 1e9,
                rte_eal_has_hugepages() ? "on hugepages" : "--no-huge");
  if (o.machine)
    std::printf("# %s\n", info);
  else
    std::printf("%s\n", info);

  std::vector<Row> rows = {
      row("A. pure ACK, established, discard", "segment in", "engine_ack_cycles",
          "engine_ack_out_per_in"),
      row("B. 64-byte data segment, established, discard", "segment in", "engine_data64_cycles",
          "engine_data64_out_per_in"),
      row("C. SYN → SYN-ACK, new 4-tuple", "segment in", "engine_syn_cycles",
          "engine_syn_out_per_in"),
      row("D. short http connection (6 in + out)", "segment in or out",
          "engine_shortconn_cycles_per_seg", "engine_shortconn_out_per_in"),
      row("D. short http connection", "connection", "engine_shortconn_cycles_per_conn"),
      row("parse_segment, ACK frame, checksum verified", "segment", "parse_ack_cycles"),
      row("parse_segment, ACK frame, checksum not verified (hw_good)", "segment",
          "parse_ack_hwcsum_cycles"),
      row("parse_segment, 64-byte data frame, checksum verified", "segment", "parse_data64_cycles"),
      row("parse_segment, 64-byte data frame, checksum not verified (hw_good)", "segment",
          "parse_data64_hwcsum_cycles"),
      row("write_frame, ACK frame", "segment", "write_ack_cycles"),
      row("write_frame, 64-byte data frame", "segment", "write_data64_cycles"),
      row("TCP path A: parse + engine + write_frame of replies, pure ACK", "segment in",
          "tcp_path_ack_cycles", "tcp_path_ack_out_per_in"),
      row("TCP path B: parse + engine + write_frame of replies, 64-byte data", "segment in",
          "tcp_path_data64_cycles", "tcp_path_data64_out_per_in"),
      row("TCP path C: parse + engine + write_frame of replies, SYN", "segment in",
          "tcp_path_syn_cycles", "tcp_path_syn_out_per_in"),
      row("TCP path D: parse + engine + write_frame of replies, short http connection",
          "segment in or out", "tcp_path_shortconn_cycles_per_seg",
          "tcp_path_shortconn_out_per_in"),
      row("TCP path D: parse + engine + write_frame of replies, short http connection",
          "connection", "tcp_path_shortconn_cycles_per_conn"),
  };
  constexpr size_t kEngineD = 3, kWireD = 14;
  std::vector<IoRows> io_rows;
  for (const auto& io : ios) {
    static const std::map<std::string, std::string> kDriver = {
        {"ring", "net_ring"}, {"memif", "net_memif"}, {"null", "net_null"}};
    const std::string drv = kDriver.at(io->kind());
    for (const bool data : {false, true}) {
      const Frames& f = data ? est.data_frames() : est.ack_frames();
      const std::string what = data ? "64-byte data frames" : "ACK frames";
      const std::string key = "io_" + io->kind() + (data ? "_data64" : "_ack");
      char bytes[32];
      std::snprintf(bytes, sizeof bytes, " (%u B)", f.len(0));
      io_rows.push_back({io.get(), &f, rows.size()});
      rows.push_back(row("I/O " + drv + ": tx_burst + rx_burst of 32 " + what + bytes,
                         "packet (1 TX + 1 RX)", key + "_cycles_per_pkt"));
      rows.push_back(row("I/O " + drv + ": tx_burst part", "packet", key + "_tx_cycles_per_pkt"));
      rows.push_back(row("I/O " + drv + ": rx_burst part", "packet", key + "_rx_cycles_per_pkt"));
    }
  }

  const uint64_t budget = clk.hz() / 1000 * o.round_ms;
  size_t ppos[4] = {}, wpos[2] = {};
  for (unsigned r = 0; r < o.rounds; ++r) {
    rows[0].samples.push_back(timed_round([&] { return est.run_acks(budget); }));
    rows[1].samples.push_back(timed_round([&] { return est.run_data(budget); }));
    rows[2].samples.push_back(timed_round([&] { return setup.run(budget); }));
    Sample d = timed_round([&] { return http.run(budget); });
    rows[kEngineD + 1].samples.push_back(d);
    d.units = d.in + d.out;
    rows[kEngineD].samples.push_back(d);
    rows[5].samples.push_back(
        timed_round([&] { return run_parse(est.ack_frames(), false, budget, ppos[0]); }));
    rows[6].samples.push_back(
        timed_round([&] { return run_parse(est.ack_frames(), true, budget, ppos[1]); }));
    rows[7].samples.push_back(
        timed_round([&] { return run_parse(est.data_frames(), false, budget, ppos[2]); }));
    rows[8].samples.push_back(
        timed_round([&] { return run_parse(est.data_frames(), true, budget, ppos[3]); }));
    rows[9].samples.push_back(
        timed_round([&] { return run_write(est.ack_segs(), tx, budget, wpos[0]); }));
    rows[10].samples.push_back(
        timed_round([&] { return run_write(est.data_segs(), tx, budget, wpos[1]); }));
    rows[11].samples.push_back(timed_round([&] { return est.run_wire_acks(budget, tx); }));
    rows[12].samples.push_back(timed_round([&] { return est.run_wire_data(budget, tx); }));
    rows[13].samples.push_back(timed_round([&] { return setup.run(budget, &tx); }));
    Sample w = timed_round([&] { return http.run(budget, &tx); });
    rows[kWireD + 1].samples.push_back(w);
    w.units = w.in + w.out;
    rows[kWireD].samples.push_back(w);
    for (const IoRows& io : io_rows) {
      IoSample s;
      const Sample all = timed_round([&] {
        s = io.io->run(*io.frames, budget);
        return s.all;
      });
      rows[io.first].samples.push_back(all);
      Sample part = all;
      part.cycles = s.tx_cycles;
      rows[io.first + 1].samples.push_back(part);
      part.cycles = s.rx_cycles;
      rows[io.first + 2].samples.push_back(part);
    }
  }

  double on_cpu = 1;
  for (const Row& row : rows)
    for (const Sample& s : row.samples) on_cpu = std::min(on_cpu, s.on_cpu);
  std::vector<std::pair<std::string, double>> results;
  for (const Row& row : rows) {
    results.emplace_back(row.key, median_cycles(row));
    if (!row.ratio_key.empty()) results.emplace_back(row.ratio_key, out_per_in(row));
    double worst = 1;
    for (const Sample& s : row.samples) worst = std::min(worst, s.on_cpu);
    results.emplace_back(row.key + "_oncpu_pct", worst * 100);
  }
  results.emplace_back("tcpbench_oncpu_min_pct", on_cpu * 100);
  results.emplace_back("tcpbench_tsc_ghz", hz / 1e9);

  if (!o.machine) {
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
    for (const Sample& d : rows[kEngineD + 1].samples) conns += d.units;
    for (const Sample& d : rows[kWireD + 1].samples) conns += d.units;
    std::printf("D: %llu connections, %.1f payload bytes sent per connection (the response)\n",
                static_cast<unsigned long long>(conns),
                static_cast<double>(http.payload_out()) / static_cast<double>(conns));
    std::printf("parse errors %llu (must be 0), checksum %llu\n",
                static_cast<unsigned long long>(g_parse_errors),
                static_cast<unsigned long long>(g_sink));
    if (!ios.empty())
      std::printf(
          "I/O: %llu packets lost, %llu changed (both must be 0), %llu not taken by a TX "
          "burst\n",
          static_cast<unsigned long long>(g_io_lost), static_cast<unsigned long long>(g_io_corrupt),
          static_cast<unsigned long long>(g_io_short));
  } else {
    for (const auto& [k, v] : results) std::printf("RESULT %s %.3f\n", k.c_str(), v);
  }
  if (!o.results.empty()) {
    std::ofstream f(o.results);
    for (const auto& [k, v] : results) {
      char line[128];
      std::snprintf(line, sizeof line, "RESULT %s %.3f\n", k.c_str(), v);
      f << line;
    }
    require(f.good(), "cannot write " + o.results);
  }
  const uint64_t drops =
      drop_total(*est.stack().ctr) + drop_total(*setup.stack().ctr) + drop_total(*http.stack().ctr);
  if (drops || g_parse_errors || g_io_lost || g_io_corrupt) {
    std::fprintf(
        stderr,
        "pmx-tcp-bench: %llu drops, %llu parse errors, %llu packets lost, %llu changed: "
        "the numbers are void\n",
        static_cast<unsigned long long>(drops), static_cast<unsigned long long>(g_parse_errors),
        static_cast<unsigned long long>(g_io_lost), static_cast<unsigned long long>(g_io_corrupt));
    return 1;
  }
  ios.clear();
  if (pool) rte_mempool_free(pool);
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
    // Without shared state memif warns that a secondary process could not
    // attach: there is none.
    eal_args = {argv[0],
                "--no-huge",
                "-m",
                "1024",
                "--no-shconf",
                "--no-pci",
                "--no-telemetry",
                "--file-prefix",
                "pmxtb" + std::to_string(getpid()),
                "-l",
                "0",
                "--log-level=pmd.net.memif:error",
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
