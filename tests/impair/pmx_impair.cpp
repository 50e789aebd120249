// pmx-impair: a hostile link for tests (this kernel has no netem). Bridges
// every frame between two interfaces over AF_PACKET raw sockets and, per
// direction and independently, drops, duplicates, corrupts, delays and
// reorders IPv4 and IPv6 frames with a seeded PRNG, and optionally passes them
// through a bottleneck (--rate-mbit, --queue-frames). Other frames (ARP) and
// IPv6 neighbour discovery (ICMPv6 types 133-137 right after the IPv6 header)
// are only delayed, as ARP is. On SIGTERM/SIGINT or after --duration-s it
// writes one JSON line of per-direction counters to --stats FILE (or stdout)
// and exits 0.
//
// The bottleneck, per direction: a FIFO served at R Mbit/s. A frame's
// serialisation starts when it arrives or when the previous frame's ends,
// whichever is later, and takes len * 8 / R microseconds (len: the frame
// as captured, Ethernet header included, no preamble or FCS); it leaves
// --delay-ms after that end (propagation). A frame that arrives while
// --queue-frames frames are already in the bottleneck (waiting or being
// serialised) is dropped (drop-tail) and counted as queue_drops. Random
// loss happens before the bottleneck, reordering's extra hold after it.
//
// Accounting invariant, per direction, at exit:
//   frames_in + duplicated == forwarded + tx_errors + dropped + queue_drops
//                             + truncated + overflow + discarded
//                             + vlan_filtered
// (every received frame and every extra copy ends in exactly one bucket).
//
// --vlan-a VID makes side A an IEEE 802.1Q trunk (this kernel has no VLAN
// devices: CONFIG_VLAN_8021Q is off): frames from B leave on A tagged with
// VID; frames from A go to B untagged if they carry VID (the kernel hands
// the tag over in PACKET_AUXDATA, or it is still in the frame) and are
// counted as vlan_filtered otherwise. Several instances with different VIDs
// may share one trunk interface: each sees every frame and takes its own.
// Tagged frames are only delayed, like ARP (the impairments look at the
// EtherType): use it without --loss & co.
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr size_t kSlotBytes = 2048;           // one queued frame (MTU 1500 + headers fits)
constexpr size_t kQueueFrames = 65536;        // queued frames per direction
constexpr size_t kScratchBytes = 256 * 1024;  // > any frame a veth can hand us
constexpr int kBatch = 64;                    // frames read per socket per loop turn
constexpr size_t kEthHdr = 14;
constexpr uint32_t kReorderMinUs = 1000;  // extra hold of a reordered frame: 1..3 ms
constexpr uint32_t kReorderMaxUs = 3000;

volatile sig_atomic_t g_stop = 0;

struct Options {
  std::string if_a, if_b, stats;
  uint64_t seed = 1;
  double loss = 0, reorder = 0, dup = 0, corrupt = 0;
  double delay_ms = 0, duration_s = 0;  // duration 0: until a signal
  double rate_mbit = 0;                 // bottleneck rate; 0: none
  uint32_t queue_frames = 0;            // bottleneck queue; 0: unbounded (kQueueFrames)
  uint16_t vlan_a = 0;                  // side A is a trunk for this VID; 0: no VLANs
};

struct Counters {
  uint64_t frames_in = 0, forwarded = 0, dropped = 0, duplicated = 0, corrupted = 0, reordered = 0,
           delayed = 0, oversize = 0, truncated = 0, overflow = 0, discarded = 0, tx_errors = 0,
           kernel_drops = 0, queue_drops = 0, bytes_forwarded = 0, vlan_filtered = 0;
};

// What happens to one frame. Every frame consumes the same six PRNG outputs
// (draw_fate draws all of them), whatever its type or fate, so the n-th
// frame of a direction gets the same fate for the same seed.
struct Fate {
  bool drop, dup, corrupt, reorder;
  uint64_t bit_pick;  // which bit to flip, modulo the L4 length in bits
  uint32_t extra_us;  // extra hold when reordered
};

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) : gen_(seed ^ (0x9e3779b97f4a7c15ULL * (stream + 1))) {}
  // Uniform in [0, 1) from the top 53 bits (std::uniform_real_distribution
  // is not specified bit-exactly across library versions).
  double unit() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  uint64_t raw() { return gen_(); }

 private:
  std::mt19937_64 gen_;
};

Fate draw_fate(Rng& rng, const Options& o) {
  Fate f{};
  f.drop = rng.unit() < o.loss;
  f.dup = rng.unit() < o.dup;
  f.corrupt = rng.unit() < o.corrupt;
  f.reorder = rng.unit() < o.reorder;
  f.bit_pick = rng.raw();
  f.extra_us =
      kReorderMinUs + static_cast<uint32_t>(rng.raw() % (kReorderMaxUs - kReorderMinUs + 1));
  return f;
}

// Fixed-capacity timer queue: a binary min-heap on (due, seq) over a
// preallocated slot pool. seq increases per push, so frames due at the same
// time leave in arrival order. Nothing is allocated after construction.
class DelayQueue {
 public:
  explicit DelayQueue(size_t cap) : storage_(new uint8_t[cap * kSlotBytes]) {
    free_.reserve(cap);
    // Slot 0 on top: reuse stays in the first pages of the (lazily mapped) pool.
    for (size_t i = cap; i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
    heap_.reserve(cap);
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  uint64_t next_due() const { return heap_.front().due_us; }

  // Precondition: len <= kSlotBytes. False (frame not queued) when full.
  bool push(uint64_t due_us, const uint8_t* frame, size_t len) {
    if (free_.empty()) return false;
    const uint32_t slot = free_.back();
    free_.pop_back();
    std::memcpy(slot_ptr(slot), frame, len);
    heap_.push_back({due_us, seq_++, slot, static_cast<uint32_t>(len)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
    return true;
  }

  // Hands every frame due at or before now to send(ptr, len), earliest first.
  template <class Send>
  void release_due(uint64_t now_us, Send&& send) {
    while (!heap_.empty() && heap_.front().due_us <= now_us) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      const Entry e = heap_.back();
      heap_.pop_back();
      send(slot_ptr(e.slot), e.len);
      free_.push_back(e.slot);
    }
  }

 private:
  struct Entry {
    uint64_t due_us, seq;
    uint32_t slot, len;
  };
  // std heap algorithms build a max-heap; "later" as less gives a min-heap.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.due_us != b.due_us ? a.due_us > b.due_us : a.seq > b.seq;
    }
  };
  uint8_t* slot_ptr(uint32_t slot) { return storage_.get() + size_t{slot} * kSlotBytes; }

  std::unique_ptr<uint8_t[]> storage_;
  std::vector<uint32_t> free_;
  std::vector<Entry> heap_;
  uint64_t seq_ = 0;
};

// The bottleneck of one direction (see the top of the file). Only the
// serialisation end times of the frames still in it are kept: they are
// increasing, so the frames that have left are a prefix, popped lazily.
class Bottleneck {
 public:
  Bottleneck(double rate_mbit, uint32_t limit)
      : ns_per_byte_(rate_mbit > 0 ? 8000.0 / rate_mbit : 0), limit_(limit), ends_(limit + 1) {}
  bool enabled() const { return ns_per_byte_ > 0; }

  // The frame of len bytes arriving at now_ns: false if the queue is full
  // (drop-tail), else its serialisation end in nanoseconds.
  bool admit(uint64_t now_ns, size_t len, uint64_t& end_ns) {
    while (count_ && ends_[head_] <= now_ns) pop();
    if (count_ >= limit_) return false;
    const uint64_t start = std::max(now_ns, last_end_ns_);
    last_end_ns_ = start + static_cast<uint64_t>(static_cast<double>(len) * ns_per_byte_ + 0.5);
    ends_[(head_ + count_) % ends_.size()] = last_end_ns_;
    ++count_;
    end_ns = last_end_ns_;
    return true;
  }

 private:
  void pop() {
    head_ = (head_ + 1) % ends_.size();
    --count_;
  }
  double ns_per_byte_;
  uint32_t limit_;
  std::vector<uint64_t> ends_;  // ring of the serialisation ends still ahead
  size_t head_ = 0, count_ = 0;
  uint64_t last_end_ns_ = 0;
};

// One direction: frames read from rx_fd leave through tx_fd.
struct Direction {
  int rx_fd, tx_fd;
  uint16_t pop_vid = 0;   // frames must carry this VID (from a trunk); it comes off
  uint16_t push_vid = 0;  // frames get this VID's tag (to a trunk)
  Rng rng;
  DelayQueue queue;
  Bottleneck neck;
  Counters c;
};

// ---------------------------------------------------------------- options --

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "pmx-impair: %s\n", msg.c_str());
  std::exit(2);
}

void print_usage() {
  std::printf(
      "usage: pmx-impair --if-a IF --if-b IF [--seed N] [--loss P] [--reorder P] [--dup P]\n"
      "                  [--delay-ms D] [--corrupt P] [--duration-s S] [--stats FILE]\n"
      "                  [--rate-mbit R [--queue-frames N]] [--vlan-a VID]\n"
      "P: probability in [0, 1] per frame and direction; D, S: non-negative numbers\n"
      "(--duration-s 0: run until SIGTERM/SIGINT). R: bottleneck rate in Mbit/s per\n"
      "direction (0: none); N: frames the bottleneck holds, more are dropped\n"
      "(default and maximum 65536). VID: side A is an 802.1Q trunk, B is VLAN VID (1-4094).\n");
}

double parse_number(const char* opt, const char* v, double lo, double hi) {
  double d = 0;
  const char* end = v + std::strlen(v);
  auto [p, ec] = std::from_chars(v, end, d);
  if (ec == std::errc() && p == end && d >= lo && d <= hi) return d;  // rejects nan
  char range[64];
  std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
  usage_error(std::string("--") + opt + " '" + v + "': want a number in " + range);
}

uint64_t parse_seed(const char* v) {
  uint64_t n = 0;
  const char* end = v + std::strlen(v);
  auto [p, ec] = std::from_chars(v, end, n);
  if (ec != std::errc() || p != end || p == v)
    usage_error(std::string("--seed '") + v + "': want an unsigned 64-bit integer");
  return n;
}

void check_ifname(const char* opt, const std::string& v) {
  if (v.empty()) usage_error(std::string("missing --") + opt);
  if (v.size() >= IFNAMSIZ) usage_error(std::string("--") + opt + " '" + v + "': name too long");
}

void apply_option(Options& o, const char* name, const char* v) {
  const std::string n = name;
  if (n == "if-a")
    o.if_a = v;
  else if (n == "if-b")
    o.if_b = v;
  else if (n == "stats")
    o.stats = v;
  else if (n == "seed")
    o.seed = parse_seed(v);
  else if (n == "loss")
    o.loss = parse_number(name, v, 0, 1);
  else if (n == "reorder")
    o.reorder = parse_number(name, v, 0, 1);
  else if (n == "dup")
    o.dup = parse_number(name, v, 0, 1);
  else if (n == "corrupt")
    o.corrupt = parse_number(name, v, 0, 1);
  else if (n == "delay-ms")
    o.delay_ms = parse_number(name, v, 0, 60000);
  else if (n == "duration-s")
    o.duration_s = parse_number(name, v, 0, 1e7);
  else if (n == "rate-mbit")
    o.rate_mbit = parse_number(name, v, 0, 100000);
  else if (n == "vlan-a")
    o.vlan_a = static_cast<uint16_t>(parse_number(name, v, 1, 4094));
  else if (n == "queue-frames")
    o.queue_frames = static_cast<uint32_t>(parse_number(name, v, 1, kQueueFrames));
}

Options parse_options(int argc, char** argv) {
  static const option kLong[] = {{"if-a", required_argument, nullptr, 0},
                                 {"if-b", required_argument, nullptr, 0},
                                 {"seed", required_argument, nullptr, 0},
                                 {"loss", required_argument, nullptr, 0},
                                 {"reorder", required_argument, nullptr, 0},
                                 {"dup", required_argument, nullptr, 0},
                                 {"delay-ms", required_argument, nullptr, 0},
                                 {"corrupt", required_argument, nullptr, 0},
                                 {"duration-s", required_argument, nullptr, 0},
                                 {"stats", required_argument, nullptr, 0},
                                 {"rate-mbit", required_argument, nullptr, 0},
                                 {"queue-frames", required_argument, nullptr, 0},
                                 {"vlan-a", required_argument, nullptr, 0},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  Options o;
  int idx = 0;
  for (int c; (c = getopt_long(argc, argv, "h", kLong, &idx)) != -1;) {
    if (c == 'h') {
      print_usage();
      std::exit(0);
    }
    if (c != 0) std::exit(2);  // getopt_long already printed one line naming it
    apply_option(o, kLong[idx].name, optarg);
  }
  if (optind < argc) usage_error(std::string("unexpected argument '") + argv[optind] + "'");
  check_ifname("if-a", o.if_a);
  check_ifname("if-b", o.if_b);
  if (o.if_a == o.if_b) usage_error("--if-a and --if-b are both '" + o.if_a + "'");
  if (o.queue_frames != 0 && o.rate_mbit == 0) usage_error("--queue-frames needs --rate-mbit");
  return o;
}

// ---------------------------------------------------------------- sockets --

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "pmx-impair: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// A raw socket that sees every frame arriving on ifname (promiscuous) but
// none of the frames sent through it (ours, or the local stack's).
int open_port(const std::string& ifname) {
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) die("interface '" + ifname + "'");
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) die("socket(AF_PACKET)");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) die("bind " + ifname);
  const int on = 1;  // the VLAN tag the kernel took off (tpacket_auxdata)
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on) != 0) die("PACKET_AUXDATA");
  packet_mreq mr{};
  mr.mr_ifindex = static_cast<int>(ifindex);
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
    die("promiscuous mode on " + ifname);
#ifdef PACKET_IGNORE_OUTGOING
  const int one = 1;
  // Best effort: drain() also skips PACKET_OUTGOING.
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#endif
  // A large receive buffer so bursts do not overflow it (counted anyway as
  // kernel_drops). SO_RCVBUFFORCE needs CAP_NET_ADMIN; fall back silently.
  const int rcvbuf = 16 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  return fd;
}

// Reads (and so clears) a pending socket error. A link going down
// (ENETDOWN) is not fatal, a test may flap it; anything else is.
void check_socket_error(int fd, const std::string& ifname) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) die("SO_ERROR on " + ifname);
  if (err == 0 || err == ENETDOWN) return;
  errno = err;
  die("socket on " + ifname);
}

// Adds the socket's receive drops since the last call (reading resets them).
void collect_kernel_drops(Direction& d) {
  tpacket_stats st{};
  socklen_t len = sizeof st;
  if (getsockopt(d.rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
    d.c.kernel_drops += st.tp_drops;
}

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t now_us() { return now_ns() / 1000u; }

void transmit(Direction& d, const uint8_t* frame, size_t len) {
  if (send(d.tx_fd, frame, len, 0) == static_cast<ssize_t>(len)) {
    ++d.c.forwarded;
    d.c.bytes_forwarded += len;
  } else {
    ++d.c.tx_errors;
  }
}

// ------------------------------------------------------------ impairments --

// Bytes after the IPv4 header, up to the IPv4 total length (Ethernet padding
// excluded), or after the fixed IPv6 header, up to its payload length:
// [off, off + len). ipv4 == false (the frame is only delayed) for other
// frames, IP headers too short to trust, and IPv6 neighbour discovery (the
// link's ARP). The field keeps its name: "an IP frame the link may harm".
struct L4Span {
  bool ipv4;
  size_t off, len;
};

L4Span ipv6_l4(const uint8_t* f, size_t len) {
  constexpr size_t kIp6Hdr = 40;
  if (len < kEthHdr + kIp6Hdr || (f[kEthHdr] >> 4) != 6) return {false, 0, 0};
  const uint8_t* ip = f + kEthHdr;
  const size_t plen = std::min<size_t>((size_t{ip[4]} << 8) | ip[5], len - kEthHdr - kIp6Hdr);
  // RFC 4861 4.1-4.5: router/neighbour solicitation/advertisement, redirect.
  if (ip[6] == 58 && plen > 0 && ip[kIp6Hdr] >= 133 && ip[kIp6Hdr] <= 137) return {false, 0, 0};
  return {true, kEthHdr + kIp6Hdr, plen};
}

L4Span ipv4_l4(const uint8_t* f, size_t len) {
  if (len >= kEthHdr && f[12] == 0x86 && f[13] == 0xdd) return ipv6_l4(f, len);
  if (len < kEthHdr + 20 || f[12] != 0x08 || f[13] != 0x00) return {false, 0, 0};
  const uint8_t* ip = f + kEthHdr;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || kEthHdr + ihl > len) return {false, 0, 0};
  const size_t total = std::min<size_t>((size_t{ip[2]} << 8) | ip[3], len - kEthHdr);
  const size_t l4 = total > ihl ? total - ihl : 0;
  return {true, kEthHdr + ihl, l4};
}

void flip_bit(uint8_t* f, const L4Span& s, uint64_t pick) {
  const uint64_t bit = pick % (s.len * 8);
  f[s.off + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
}

// What comes after the bottleneck: the time a frame is held once
// serialised (delay and reordering), and the arrival time in nanoseconds.
struct NeckPass {
  uint64_t hold_us, now_ns;
};

// Queues `copies` copies of the frame, due at due_us; with `neck`, through
// the bottleneck first if there is one, each copy on its own, and due
// neck->hold_us after its serialisation ends instead.
void enqueue(Direction& d, uint64_t due_us, uint64_t now, const uint8_t* f, size_t len, int copies,
             const NeckPass* neck = nullptr) {
  for (int i = 0; i < copies; ++i) {
    if (neck && d.neck.enabled()) {
      uint64_t end_ns = 0;
      if (!d.neck.admit(neck->now_ns, len, end_ns)) {
        ++d.c.queue_drops;
        continue;
      }
      due_us = (end_ns + 999) / 1000 + neck->hold_us;
    }
    if (!d.queue.push(due_us, f, len)) {
      ++d.c.overflow;
    } else if (due_us > now) {
      ++d.c.delayed;
    }
  }
}

// One received frame (f is a scratch buffer: corrupting it in place is fine).
void ingest(Direction& d, const Options& o, uint8_t* f, size_t len, uint64_t now_ns) {
  const uint64_t now = now_ns / 1000;
  ++d.c.frames_in;
  const Fate fate = draw_fate(d.rng, o);
  if (len > kSlotBytes) {  // does not fit a slot: pass it through untouched
    ++d.c.oversize;
    transmit(d, f, len);
    return;
  }
  const L4Span l4 = ipv4_l4(f, len);
  uint64_t hold = static_cast<uint64_t>(o.delay_ms * 1000.0);
  uint64_t due = now + hold;
  if (!l4.ipv4) {  // ARP, neighbour discovery and friends: delay only
    enqueue(d, due, now, f, len, 1);
    return;
  }
  if (fate.drop) {
    ++d.c.dropped;
    return;
  }
  if (fate.corrupt && l4.len > 0) {
    flip_bit(f, l4, fate.bit_pick);
    // Counts corrupted frames delivered: a duplicate of a corrupted frame is
    // corrupted too, and the receiver sees (and counts) both.
    d.c.corrupted += fate.dup ? 2 : 1;
  }
  if (fate.reorder) {
    due += fate.extra_us;
    hold += fate.extra_us;
    ++d.c.reordered;
  }
  if (fate.dup) ++d.c.duplicated;
  const NeckPass pass{hold, now_ns};
  enqueue(d, due, now, f, len, fate.dup ? 2 : 1, &pass);
}

// --vlan-a: from the trunk, keeps only frames of d.pop_vid and takes the tag
// off (the kernel usually already did: PACKET_AUXDATA says so); to the
// trunk, puts d.push_vid's tag in (scratch has 4 bytes of room after len).
// false: a frame of another VLAN, or untagged, from the trunk.
bool retag(const Direction& d, msghdr& mh, uint8_t* f, size_t& len) {
  if (len < 14) return d.pop_vid == 0;
  if (d.push_vid) {
    std::memmove(f + 16, f + 12, len - 12);
    f[12] = 0x81;
    f[13] = 0x00;
    f[14] = static_cast<uint8_t>(d.push_vid >> 8);
    f[15] = static_cast<uint8_t>(d.push_vid);
    len += 4;
    return true;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
    tpacket_auxdata aux;
    std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
    if (aux.tp_status & TP_STATUS_VLAN_VALID) return (aux.tp_vlan_tci & 0xfff) == d.pop_vid;
  }
  if (len < 18 || f[12] != 0x81 || f[13] != 0x00) return false;
  if ((((f[14] & 0x0f) << 8) | f[15]) != d.pop_vid) return false;
  std::memmove(f + 12, f + 16, len - 16);
  len -= 4;
  return true;
}

// Reads up to kBatch frames from d.rx_fd. Frames the kernel reports as
// outgoing (our own transmissions on that interface) are ignored.
void drain(Direction& d, const Options& o, uint8_t* scratch) {
  for (int i = 0; i < kBatch; ++i) {
    sockaddr_ll from{};
    iovec iov{scratch, kScratchBytes};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(tpacket_auxdata))];
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    const ssize_t n = recvmsg(d.rx_fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ENETDOWN)
        die("recv");
      return;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    if (static_cast<size_t>(n) + 4 > kScratchBytes) {  // MSG_TRUNC: real length; 4: a tag
      ++d.c.frames_in;
      ++d.c.truncated;
      continue;
    }
    size_t len = static_cast<size_t>(n);
    if ((d.pop_vid || d.push_vid) && !retag(d, mh, scratch, len)) {
      ++d.c.frames_in;
      ++d.c.vlan_filtered;
      continue;
    }
    ingest(d, o, scratch, len, now_ns());
  }
}

void release(Direction& d, uint64_t now) {
  d.queue.release_due(now, [&d](const uint8_t* f, size_t len) { transmit(d, f, len); });
}

// ------------------------------------------------------------------ stats --

std::string json_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

std::string counters_json(const Counters& c) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "{\"frames_in\":%llu,\"forwarded\":%llu,\"dropped\":%llu,\"duplicated\":%llu,"
      "\"corrupted\":%llu,\"reordered\":%llu,\"delayed\":%llu,\"oversize\":%llu,"
      "\"truncated\":%llu,\"overflow\":%llu,\"discarded\":%llu,\"tx_errors\":%llu,"
      "\"kernel_drops\":%llu,\"queue_drops\":%llu,\"bytes_forwarded\":%llu,"
      "\"vlan_filtered\":%llu}",
      static_cast<unsigned long long>(c.frames_in), static_cast<unsigned long long>(c.forwarded),
      static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(c.duplicated),
      static_cast<unsigned long long>(c.corrupted), static_cast<unsigned long long>(c.reordered),
      static_cast<unsigned long long>(c.delayed), static_cast<unsigned long long>(c.oversize),
      static_cast<unsigned long long>(c.truncated), static_cast<unsigned long long>(c.overflow),
      static_cast<unsigned long long>(c.discarded), static_cast<unsigned long long>(c.tx_errors),
      static_cast<unsigned long long>(c.kernel_drops),
      static_cast<unsigned long long>(c.queue_drops),
      static_cast<unsigned long long>(c.bytes_forwarded),
      static_cast<unsigned long long>(c.vlan_filtered));
  return buf;
}

int write_stats(const Options& o, const Direction& ab, const Direction& ba) {
  const std::string line = "{\"if_a\":\"" + json_escape(o.if_a) + "\",\"if_b\":\"" +
                           json_escape(o.if_b) + "\",\"seed\":" + std::to_string(o.seed) +
                           ",\"a_to_b\":" + counters_json(ab.c) +
                           ",\"b_to_a\":" + counters_json(ba.c) + "}\n";
  FILE* out = o.stats.empty() ? stdout : std::fopen(o.stats.c_str(), "w");
  if (!out) die("open " + o.stats);
  const bool ok = std::fputs(line.c_str(), out) >= 0 && std::fflush(out) == 0;
  if (out != stdout) std::fclose(out);
  if (!ok) die("write stats");
  return 0;
}

// ------------------------------------------------------------------- loop --

void on_signal(int) { g_stop = 1; }

// SIGINT/SIGTERM are blocked except inside ppoll(), so g_stop is only ever
// set there and no other call sees EINTR. Returns the mask for ppoll().
sigset_t setup_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old);
  sigdelset(&old, SIGINT);
  sigdelset(&old, SIGTERM);
  return old;
}

// Sleep bound for ppoll: until the earliest due frame or the deadline
// (0: none). Returns false for "no bound".
bool wait_bound(const Direction& ab, const Direction& ba, uint64_t deadline, uint64_t now,
                timespec& ts) {
  uint64_t until = deadline;
  for (const Direction* d : {&ab, &ba})
    if (!d->queue.empty() && (until == 0 || d->queue.next_due() < until))
      until = d->queue.next_due();
  if (until == 0) return false;
  const uint64_t us = until > now ? until - now : 0;
  ts.tv_sec = static_cast<time_t>(us / 1000000u);
  ts.tv_nsec = static_cast<long>(us % 1000000u) * 1000;
  return true;
}

void run(const Options& o, Direction& ab, Direction& ba, const sigset_t& mask) {
  auto scratch = std::make_unique<uint8_t[]>(kScratchBytes);
  const uint64_t start = now_us();
  const uint64_t deadline =
      o.duration_s > 0 ? start + static_cast<uint64_t>(o.duration_s * 1e6) : 0;
  pollfd fds[2] = {{ab.rx_fd, POLLIN, 0}, {ba.rx_fd, POLLIN, 0}};
  while (!g_stop) {
    uint64_t now = now_us();
    release(ab, now);
    release(ba, now);
    if (deadline != 0 && now >= deadline) break;
    timespec ts{};
    const bool bounded = wait_bound(ab, ba, deadline, now, ts);
    const int r = ppoll(fds, 2, bounded ? &ts : nullptr, &mask);
    if (r < 0 && errno != EINTR) die("ppoll");
    if (r <= 0) continue;
    if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) check_socket_error(fds[0].fd, o.if_a);
    if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) check_socket_error(fds[1].fd, o.if_b);
    if (fds[0].revents & POLLIN) drain(ab, o, scratch.get());
    if (fds[1].revents & POLLIN) drain(ba, o, scratch.get());
  }
  for (Direction* d : {&ab, &ba}) {
    d->c.discarded += d->queue.size();
    collect_kernel_drops(*d);
  }
}

uint32_t make_queue_limit(const Options& o) {
  return o.queue_frames ? o.queue_frames : static_cast<uint32_t>(kQueueFrames);
}

Bottleneck make_neck(const Options& o) { return Bottleneck(o.rate_mbit, make_queue_limit(o)); }

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  const sigset_t mask = setup_signals();
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // 1 us: delays are in the ms range
  const int fd_a = open_port(o.if_a);
  const int fd_b = open_port(o.if_b);
  // unique_ptr: each holds a preallocated (lazily mapped) 128 MiB slot pool.
  auto ab = std::make_unique<Direction>(Direction{
      fd_a, fd_b, o.vlan_a, 0, Rng(o.seed, 0), DelayQueue(kQueueFrames), make_neck(o), {}});
  auto ba = std::make_unique<Direction>(Direction{
      fd_b, fd_a, 0, o.vlan_a, Rng(o.seed, 1), DelayQueue(kQueueFrames), make_neck(o), {}});
  collect_kernel_drops(*ab);  // reset the socket statistics: count from here
  collect_kernel_drops(*ba);
  ab->c.kernel_drops = ba->c.kernel_drops = 0;
  std::fprintf(stderr,
               "pmx-impair: ready %s<->%s seed %llu loss %g reorder %g dup %g delay %g ms "
               "corrupt %g rate %g Mbit/s queue %u frames\n",
               o.if_a.c_str(), o.if_b.c_str(), static_cast<unsigned long long>(o.seed), o.loss,
               o.reorder, o.dup, o.delay_ms, o.corrupt, o.rate_mbit, make_queue_limit(o));
  run(o, *ab, *ba, mask);
  close(fd_a);
  close(fd_b);
  return write_stats(o, *ab, *ba);
}
