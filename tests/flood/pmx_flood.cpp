// pmx-flood: a bounded SYN flood for the integration tests (issue 11).
//
//   pmx-flood --if IFACE --dst-mac MAC --dst IP --port N --src-net A.B
//             [--seconds S] [--count N] [--seed N]
//
// Sends TCP SYNs from spoofed sources A.B.x.y (a /16; the tests use
// 198.19.0.0/16, inside the benchmarking range 198.18.0.0/15) and random
// source ports to IP:N through an AF_PACKET socket on IFACE, as fast as it
// can, in sendmmsg() batches, until S seconds (default 20) or N frames
// (default 50 million) have gone, whichever comes first. Prints
// "sent N frames in S s: R frames/s" at the end. Plain C++ on Linux
// sockets, no DPDK: it runs in the peer namespace.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "pmx-flood: %s\nusage: pmx-flood --if IFACE --dst-mac MAC --dst IP --port N "
               "--src-net A.B [--seconds S] [--count N] [--seed N]\n",
               why.c_str());
  std::exit(2);
}

struct Options {
  std::string ifname, dst_mac, dst, src_net;
  uint16_t port = 0;
  double seconds = 20;
  uint64_t count = 50'000'000;
  uint64_t seed = 1;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(k + ": missing value");
    const std::string v = argv[i + 1];
    if (k == "--if")
      o.ifname = v;
    else if (k == "--dst-mac")
      o.dst_mac = v;
    else if (k == "--dst")
      o.dst = v;
    else if (k == "--port")
      o.port = static_cast<uint16_t>(std::stoul(v));
    else if (k == "--src-net")
      o.src_net = v;
    else if (k == "--seconds")
      o.seconds = std::stod(v);
    else if (k == "--count")
      o.count = std::stoull(v);
    else if (k == "--seed")
      o.seed = std::stoull(v);
    else
      usage("unknown option '" + k + "'");
  }
  if (o.ifname.empty() || o.dst_mac.empty() || o.dst.empty() || o.src_net.empty() || !o.port)
    usage("--if, --dst-mac, --dst, --port and --src-net are required");
  if (o.seconds <= 0 || o.seconds > 120) usage("--seconds: want (0, 120]");
  return o;
}

uint16_t csum_fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

uint32_t csum_add(uint32_t s, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(b[n - 1] << 8);
  return s;
}

constexpr size_t kTcpLen = 24;  // header + MSS option
constexpr size_t kFrame = sizeof(ether_header) + sizeof(iphdr) + kTcpLen;

// One SYN from src:sport to dst:dport, checksums complete.
void build(uint8_t* f, const uint8_t* smac, const uint8_t* dmac, uint32_t src, uint32_t dst,
           uint16_t sport, uint16_t dport, uint32_t isn) {
  auto* eth = reinterpret_cast<ether_header*>(f);
  std::memcpy(eth->ether_dhost, dmac, 6);
  std::memcpy(eth->ether_shost, smac, 6);
  eth->ether_type = htons(ETHERTYPE_IP);
  // Built aside and copied: the IPv4 header sits at offset 14 of the
  // frame, not 4-byte aligned (UBSan: a misaligned store).
  iphdr h{};
  h.version = 4;
  h.ihl = 5;
  h.tot_len = htons(sizeof(iphdr) + kTcpLen);
  h.id = htons(static_cast<uint16_t>(isn));
  h.frag_off = htons(IP_DF);
  h.ttl = 64;
  h.protocol = IPPROTO_TCP;
  h.saddr = src;
  h.daddr = dst;
  h.check = htons(csum_fold(csum_add(0, &h, sizeof h)));
  std::memcpy(f + sizeof(ether_header), &h, sizeof h);
  const iphdr* ip = &h;
  uint8_t* t = f + sizeof(ether_header) + sizeof(iphdr);
  std::memset(t, 0, kTcpLen);
  const uint16_t sp = htons(sport), dp = htons(dport);
  const uint32_t seq = htonl(isn);
  std::memcpy(t, &sp, 2);
  std::memcpy(t + 2, &dp, 2);
  std::memcpy(t + 4, &seq, 4);
  t[12] = (kTcpLen / 4) << 4;
  t[13] = 0x02;  // SYN
  t[14] = 0xff;  // window 65535
  t[15] = 0xff;
  t[20] = 2;  // MSS 1460
  t[21] = 4;
  t[22] = 1460 >> 8;
  t[23] = 1460 & 0xff;
  uint32_t s = 0;
  s = csum_add(s, &ip->saddr, 4);
  s = csum_add(s, &ip->daddr, 4);
  s += IPPROTO_TCP + kTcpLen;
  s = csum_add(s, t, kTcpLen);
  const uint16_t c = htons(csum_fold(s));
  std::memcpy(t + 16, &c, 2);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  uint8_t dmac[6];
  if (std::sscanf(o.dst_mac.c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
                  &dmac[3], &dmac[4], &dmac[5]) != 6)
    usage("--dst-mac '" + o.dst_mac + "': want xx:xx:xx:xx:xx:xx");
  in_addr dst{}, net{};
  if (inet_pton(AF_INET, o.dst.c_str(), &dst) != 1) usage("--dst '" + o.dst + "': not IPv4");
  if (inet_pton(AF_INET, (o.src_net + ".0.0").c_str(), &net) != 1)
    usage("--src-net '" + o.src_net + "': want A.B");
  const uint32_t hnet = ntohl(net.s_addr);
  if ((hnet & 0xfffe0000u) != 0xc6120000u) usage("--src-net must be inside 198.18.0.0/15");

  const int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) return std::perror("socket(AF_PACKET)"), 1;
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", o.ifname.c_str());
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return std::perror("SIOCGIFINDEX"), 1;
  const int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return std::perror("SIOCGIFHWADDR"), 1;
  uint8_t smac[6];
  std::memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_IP);
  sll.sll_ifindex = ifindex;
  sll.sll_halen = 6;
  std::memcpy(sll.sll_addr, dmac, 6);

  constexpr unsigned kBatch = 64;
  std::vector<std::array<uint8_t, kFrame>> frames(kBatch);
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  for (unsigned i = 0; i < kBatch; ++i) {
    iov[i] = {frames[i].data(), kFrame};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &sll;
    msgs[i].msg_hdr.msg_namelen = sizeof sll;
  }
  std::mt19937_64 rng(o.seed);
  const auto t0 = std::chrono::steady_clock::now();
  const auto end = t0 + std::chrono::duration<double>(o.seconds);
  uint64_t sent = 0, errors = 0;
  while (sent < o.count && std::chrono::steady_clock::now() < end) {
    const unsigned n = static_cast<unsigned>(std::min<uint64_t>(kBatch, o.count - sent));
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t r = rng();
      const uint32_t src = htonl(hnet | static_cast<uint32_t>(r & 0xffff));
      build(frames[i].data(), smac, dmac, src, dst.s_addr,
            static_cast<uint16_t>(1024 + (r >> 16) % 64000), o.port,
            static_cast<uint32_t>(r >> 32));
    }
    const int k = sendmmsg(fd, msgs.data(), n, 0);
    if (k > 0)
      sent += static_cast<unsigned>(k);
    else
      ++errors;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("sent %llu frames in %.1f s: %.0f frames/s (%llu send errors)\n",
              static_cast<unsigned long long>(sent), secs, sent / secs,
              static_cast<unsigned long long>(errors));
  close(fd);
  return 0;
}
