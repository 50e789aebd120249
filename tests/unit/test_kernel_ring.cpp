// The af_packet kernel ring counts (lib/port/kernel_ring.hpp): accumulation
// of PACKET_STATISTICS reads (each read resets the kernel's counts), and
// finding this process's AF_PACKET sockets by interface. The socket test
// needs CAP_NET_RAW and skips without it.
#include "port/kernel_ring.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace pmx::port {
namespace {

TEST(KernelRing, ReadsAccumulate) {
  KernelRingStats k;
  k.add(10, 2);  // a read: 10 frames offered, 2 of them dropped
  k.add(0, 0);   // nothing since
  k.add(5, 5);
  EXPECT_EQ(k.frames, 15u);
  EXPECT_EQ(k.drops, 7u);
  // 32-bit kernel counts add up past 2^32 in the 64-bit sums.
  k.add(0xffffffffu, 0xffffffffu);
  k.add(2, 1);
  EXPECT_EQ(k.frames, 15u + 0xffffffffull + 2);
  EXPECT_EQ(k.drops, 7u + 0xffffffffull + 1);
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

TEST(KernelRing, FindsThisProcesssPacketSocketsOnTheInterface) {
  const unsigned lo = if_nametoindex("lo");
  ASSERT_GT(lo, 0u);
  Fd pkt{socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))};
  if (pkt.fd < 0) GTEST_SKIP() << "no AF_PACKET socket (needs CAP_NET_RAW)";
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(lo);
  ASSERT_EQ(bind(pkt.fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);
  Fd udp{socket(AF_INET, SOCK_DGRAM, 0)};
  ASSERT_GE(udp.fd, 0);

  auto on_lo = packet_sockets(lo);
  EXPECT_NE(std::find(on_lo.begin(), on_lo.end(), pkt.fd), on_lo.end());
  EXPECT_EQ(std::find(on_lo.begin(), on_lo.end(), udp.fd), on_lo.end());  // not AF_PACKET
  auto elsewhere = packet_sockets(lo + 1000);
  EXPECT_EQ(std::find(elsewhere.begin(), elsewhere.end(), pkt.fd), elsewhere.end());

  // Traffic on lo reaches the socket: the read counts it.
  KernelRingStats k;
  read_packet_stats({pkt.fd}, k);  // from zero
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(9);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 5; ++i)
    sendto(udp.fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
  const KernelRingStats before = k;
  EXPECT_EQ(read_packet_stats({pkt.fd, udp.fd}, k), 1u);  // the UDP socket does not answer
  EXPECT_GE(k.frames - before.frames, 5u);
}

}  // namespace
}  // namespace pmx::port
