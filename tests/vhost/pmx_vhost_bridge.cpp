// pmx-vhost-bridge: the host side of a virtio-user port, for the tests and
// benchmarks of issue 16 (docs/hardware.md, "The virtio harness"). A DPDK
// process with two ports, a net_vhost port (vhost-user server or client on
// a UNIX socket; portmux's net_virtio_user is the other end) and a
// net_af_packet port on a veth towards a Linux namespace, forwarding every
// frame between them as a host's software switch would, and doing in
// software what a virtio host does for its guest's offloads:
//
//   guest -> kernel: a TSO frame (RX_LRO with tso_segsz from the virtio
//     header, or any TCP frame longer than the MTU) is cut into segments of
//     tso_segsz payload bytes, each with the headers, its own sequence
//     number, IP length and id, FIN/PSH on the last only, and every
//     checksum computed here; a frame whose TCP checksum the guest left to
//     the host (RX_L4_CKSUM_NONE: the virtio header's NEEDS_CSUM) gets it
//     finished. Any other frame passes unchanged, so a wrong checksum of the
//     guest's reaches Linux, which drops it (and the tests see it).
//   kernel -> guest: unchanged; with --rx-partial, TCP frames go up with
//     the virtio header's NEEDS_CSUM and the pseudo-header sum in the
//     checksum field, as a Linux host hands on locally made traffic (the
//     guest sees RX_L4_CKSUM_NONE; needs GUEST_CSUM negotiated). Only
//     frames whose checksum verifies: a damaged one keeps its bad checksum.
//
//   pmx-vhost-bridge EAL-ARGS -- [--stats FILE] [--duration-s N] [--rx-partial]
//   EAL-ARGS include --vdev=net_vhost0,iface=SOCK[,client=1][,tso=1] and
//   --vdev=net_af_packet0,iface=IF.
//
// On SIGTERM/SIGINT or after --duration-s it writes one JSON line of
// counters to FILE (or stdout) and exits 0. One lcore, no allocation per
// frame beyond mbufs.
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr uint16_t kBurst = 32;
constexpr uint32_t kMaxFrame = 65536 + 256;  // a TSO frame's headers and 64 KiB
constexpr uint32_t kMtuFrame = RTE_ETHER_HDR_LEN + 1500;

struct Stats {
  uint64_t to_kernel = 0, to_guest = 0;   // frames out of each side
  uint64_t tso_frames = 0, tso_cuts = 0;  // TSO frames cut, segments they made
  uint64_t csum_finished = 0;             // partial TCP checksums finished here
  uint64_t rx_partial = 0;                // frames sent up with NEEDS_CSUM
  uint64_t dropped_no_mbuf = 0, dropped_tx = 0, dropped_bad = 0;
};
Stats g_st;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "pmx-vhost-bridge: %s\n", why.c_str());
  std::exit(2);
}

struct Options {
  std::string stats;
  long duration_s = 0;
  bool rx_partial = false;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--stats" && i + 1 < argc) {
      o.stats = argv[++i];
    } else if (a == "--duration-s" && i + 1 < argc) {
      o.duration_s = std::strtol(argv[++i], nullptr, 10);
    } else if (a == "--rx-partial") {
      o.rx_partial = true;
    } else {
      die("unknown argument '" + a + "' (expected --stats FILE, --duration-s N, --rx-partial)");
    }
  }
  return o;
}

// Where the headers of a TCP frame are; tcp == nullptr: not TCP over IP.
struct Parsed {
  uint32_t l3 = 0, l4 = 0, hlen = 0;  // offsets of IP and TCP, header bytes in all
  bool v6 = false;
  rte_tcp_hdr* tcp = nullptr;
};

Parsed parse(uint8_t* f, uint32_t len) {
  Parsed p;
  if (len < RTE_ETHER_HDR_LEN + 40) return p;
  uint16_t type;
  std::memcpy(&type, f + 12, 2);
  p.l3 = RTE_ETHER_HDR_LEN;
  if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f + p.l3);
    if (ip->next_proto_id != IPPROTO_TCP) return p;
    p.l4 = p.l3 + rte_ipv4_hdr_len(ip);
  } else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(f + p.l3);
    if (ip->proto != IPPROTO_TCP) return p;  // no extension headers from portmux
    p.v6 = true;
    p.l4 = p.l3 + 40;
  } else {
    return p;
  }
  if (p.l4 + 20 > len) return p;
  p.tcp = reinterpret_cast<rte_tcp_hdr*>(f + p.l4);
  p.hlen = p.l4 + ((p.tcp->data_off >> 4) * 4u);
  if (p.hlen > len) p.tcp = nullptr;
  return p;
}

// Sets the IP length fields of a frame of len bytes and every checksum.
void finish(uint8_t* f, uint32_t len, const Parsed& p) {
  p.tcp->cksum = 0;
  if (p.v6) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(f + p.l3);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - p.l4));
    p.tcp->cksum = rte_ipv6_udptcp_cksum(ip, p.tcp);
  } else {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f + p.l3);
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len - p.l3));
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    p.tcp->cksum = rte_ipv4_udptcp_cksum(ip, p.tcp);
  }
}

bool tcp_checksum_ok(const Parsed& p, uint8_t* f) {
  if (p.v6)
    return rte_ipv6_udptcp_cksum_verify(reinterpret_cast<rte_ipv6_hdr*>(f + p.l3), p.tcp) == 0;
  return rte_ipv4_udptcp_cksum_verify(reinterpret_cast<rte_ipv4_hdr*>(f + p.l3), p.tcp) == 0;
}

rte_mbuf* mbuf_of(rte_mempool* pool, const uint8_t* f, uint32_t len) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) {
    ++g_st.dropped_no_mbuf;
    return nullptr;
  }
  char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
  if (!d) {
    rte_pktmbuf_free(m);
    ++g_st.dropped_bad;
    return nullptr;
  }
  std::memcpy(d, f, len);
  return m;
}

struct TxQueue {
  uint16_t port;
  std::array<rte_mbuf*, 4 * kBurst + 64> pkts{};
  uint16_t n = 0;
  uint64_t* counter;
  void add(rte_mbuf* m) {
    if (!m) return;
    if (n == pkts.size()) flush();
    if (n == pkts.size()) {
      rte_pktmbuf_free(m);
      ++g_st.dropped_tx;
      return;
    }
    pkts[n++] = m;
  }
  void flush() {
    uint16_t sent = 0;
    for (int tries = 0; sent < n && tries < 200; ++tries) {
      if (tries) usleep(20);  // the kernel's ring is full: let it drain
      sent = static_cast<uint16_t>(sent + rte_eth_tx_burst(port, 0, pkts.data() + sent, n - sent));
    }
    *counter += sent;
    for (uint16_t i = sent; i < n; ++i) {
      rte_pktmbuf_free(pkts[i]);
      ++g_st.dropped_tx;
    }
    n = 0;
  }
};

// Cuts the TSO frame f (len bytes, headers p) into segments of segsz.
void cut(uint8_t* f, uint32_t len, const Parsed& p, uint16_t segsz, rte_mempool* pool,
         TxQueue& out) {
  static std::array<uint8_t, kMtuFrame + 64> seg;
  const uint32_t payload = len - p.hlen;
  const uint32_t seq0 = rte_be_to_cpu_32(p.tcp->sent_seq);
  const uint8_t flags = p.tcp->tcp_flags;
  const uint16_t id0 =
      p.v6 ? 0 : rte_be_to_cpu_16(reinterpret_cast<rte_ipv4_hdr*>(f + p.l3)->packet_id);
  ++g_st.tso_frames;
  for (uint32_t off = 0, k = 0; off < payload; off += segsz, ++k) {
    const uint32_t n = std::min<uint32_t>(segsz, payload - off);
    if (p.hlen + n > seg.size()) {
      ++g_st.dropped_bad;
      return;
    }
    std::memcpy(seg.data(), f, p.hlen);
    std::memcpy(seg.data() + p.hlen, f + p.hlen + off, n);
    Parsed q = p;
    q.tcp = reinterpret_cast<rte_tcp_hdr*>(seg.data() + p.l4);
    q.tcp->sent_seq = rte_cpu_to_be_32(seq0 + off);
    const bool last = off + n == payload;
    q.tcp->tcp_flags =
        last ? flags : static_cast<uint8_t>(flags & ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG));
    if (!p.v6)
      reinterpret_cast<rte_ipv4_hdr*>(seg.data() + p.l3)->packet_id =
          rte_cpu_to_be_16(static_cast<uint16_t>(id0 + k));
    finish(seg.data(), p.hlen + n, q);
    out.add(mbuf_of(pool, seg.data(), p.hlen + n));
    ++g_st.tso_cuts;
  }
}

// A frame from the guest on its way to the kernel.
void guest_to_kernel(rte_mbuf* m, rte_mempool* pool, TxQueue& out) {
  static std::array<uint8_t, kMaxFrame> scratch;
  const uint32_t len = rte_pktmbuf_pkt_len(m);
  if (len > scratch.size()) {
    rte_pktmbuf_free(m);
    ++g_st.dropped_bad;
    return;
  }
  auto* f = static_cast<uint8_t*>(const_cast<void*>(rte_pktmbuf_read(m, 0, len, scratch.data())));
  const Parsed p = parse(f, len);
  const bool lro = m->ol_flags & RTE_MBUF_F_RX_LRO;
  const bool partial = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE;
  if (p.tcp && (lro || len > kMtuFrame)) {
    uint16_t segsz = lro ? m->tso_segsz : 0;
    if (!segsz) segsz = static_cast<uint16_t>(kMtuFrame - p.hlen);
    if (f != scratch.data()) {  // a contiguous mbuf: cut from a copy, m is freed below
      std::memcpy(scratch.data(), f, len);
      f = scratch.data();
    }
    rte_pktmbuf_free(m);
    cut(f, len, parse(f, len), segsz, pool, out);
    return;
  }
  if (p.tcp && partial && !tcp_checksum_ok(p, f)) {
    if (f != scratch.data()) std::memcpy(scratch.data(), f, len);
    rte_pktmbuf_free(m);
    const Parsed q = parse(scratch.data(), len);
    finish(scratch.data(), len, q);
    ++g_st.csum_finished;
    out.add(mbuf_of(pool, scratch.data(), len));
    return;
  }
  m->ol_flags = 0;
  out.add(m);
}

// A frame from the kernel on its way to the guest.
void kernel_to_guest(rte_mbuf* m, bool rx_partial, TxQueue& out) {
  m->ol_flags = 0;
  if (rx_partial && m->nb_segs == 1) {
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const Parsed p = parse(f, rte_pktmbuf_data_len(m));
    // As a host would: only a checksum it verified goes up as partial; a
    // damaged frame keeps its bad checksum, for the guest to catch.
    if (p.tcp && tcp_checksum_ok(p, f)) {
      m->l2_len = p.l3;
      m->l3_len = p.l4 - p.l3;
      m->l4_len = p.hlen - p.l4;
      m->ol_flags = (p.v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) | RTE_MBUF_F_TX_TCP_CKSUM;
      p.tcp->cksum =
          p.v6 ? rte_ipv6_phdr_cksum(reinterpret_cast<rte_ipv6_hdr*>(f + p.l3), m->ol_flags)
               : rte_ipv4_phdr_cksum(reinterpret_cast<rte_ipv4_hdr*>(f + p.l3), m->ol_flags);
      ++g_st.rx_partial;
    }
  }
  out.add(m);
}

void setup_port(uint16_t port, rte_mempool* pool, uint64_t rx_offloads, uint64_t tx_offloads) {
  rte_eth_conf conf{};
  conf.rxmode.offloads = rx_offloads;
  conf.txmode.offloads = tx_offloads;
  if (rte_eth_dev_configure(port, 1, 1, &conf) != 0) die("configure port " + std::to_string(port));
  if (rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr, pool) != 0)
    die("rx queue of port " + std::to_string(port));
  if (rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr) != 0)
    die("tx queue of port " + std::to_string(port));
  if (rte_eth_dev_start(port) != 0) die("start port " + std::to_string(port));
  rte_eth_promiscuous_enable(port);
}

void write_stats(const std::string& path) {
  FILE* f = path.empty() ? stdout : std::fopen(path.c_str(), "w");
  if (!f) die("cannot write " + path);
  std::fprintf(f,
               "{\"to_kernel\": %lu, \"to_guest\": %lu, \"tso_frames\": %lu, \"tso_cuts\": %lu, "
               "\"csum_finished\": %lu, \"rx_partial\": %lu, \"dropped_no_mbuf\": %lu, "
               "\"dropped_tx\": %lu, \"dropped_bad\": %lu}\n",
               g_st.to_kernel, g_st.to_guest, g_st.tso_frames, g_st.tso_cuts, g_st.csum_finished,
               g_st.rx_partial, g_st.dropped_no_mbuf, g_st.dropped_tx, g_st.dropped_bad);
  if (f != stdout) std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = rte_eal_init(argc, argv);
  if (n < 0) die("EAL initialisation failed");
  const Options opt = parse_args(argc - n, argv + n);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  uint16_t vhost = RTE_MAX_ETHPORTS, kernel = RTE_MAX_ETHPORTS, id;
  RTE_ETH_FOREACH_DEV(id) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(id, &info) != 0) continue;
    if (std::strcmp(info.driver_name, "net_vhost") == 0)
      vhost = id;
    else
      kernel = id;
  }
  if (vhost == RTE_MAX_ETHPORTS || kernel == RTE_MAX_ETHPORTS)
    die("needs a net_vhost port and one other (--vdev=net_vhost0,... --vdev=net_af_packet0,...)");
  rte_mempool* pool =
      rte_pktmbuf_pool_create("bridge", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (!pool) die("mbuf pool");
  setup_port(vhost, pool, 0, RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
  setup_port(kernel, pool, 0, RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
  std::fprintf(stderr, "pmx-vhost-bridge: forwarding between vhost port %u and port %u\n", vhost,
               kernel);
  TxQueue to_kernel{kernel, {}, 0, &g_st.to_kernel};
  TxQueue to_guest{vhost, {}, 0, &g_st.to_guest};
  const time_t end = opt.duration_s > 0 ? std::time(nullptr) + opt.duration_s : 0;
  std::array<rte_mbuf*, kBurst> rx;
  uint64_t idle = 0;
  while (!g_stop && (!end || std::time(nullptr) < end)) {
    const uint16_t a = rte_eth_rx_burst(vhost, 0, rx.data(), kBurst);
    for (uint16_t i = 0; i < a; ++i) guest_to_kernel(rx[i], pool, to_kernel);
    to_kernel.flush();
    const uint16_t b = rte_eth_rx_burst(kernel, 0, rx.data(), kBurst);
    for (uint16_t i = 0; i < b; ++i) kernel_to_guest(rx[i], opt.rx_partial, to_guest);
    to_guest.flush();
    // A test harness, not a benchmark of its own: yield when idle so it
    // shares the test machine's two cores.
    idle = a + b ? 0 : idle + 1;
    if (idle > 1000) usleep(50);
  }
  write_stats(opt.stats);
  rte_eth_dev_stop(vhost);
  rte_eth_dev_stop(kernel);
  rte_eth_dev_close(vhost);
  rte_eth_dev_close(kernel);
  rte_eal_cleanup();
  return 0;
}
