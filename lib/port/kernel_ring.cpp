#include "kernel_ring.hpp"

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace pmx::port {

std::vector<int> packet_sockets(unsigned ifindex) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& ent : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = ent.path().filename().string();
    char* end = nullptr;
    const long fd = std::strtol(name.c_str(), &end, 10);
    if (*end != '\0' || fd < 0) continue;
    int domain = 0;
    socklen_t len = sizeof domain;
    // Not a socket (ENOTSOCK), or the directory's own descriptor: skipped.
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        domain != AF_PACKET)
      continue;
    sockaddr_ll sll{};
    socklen_t slen = sizeof sll;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&sll), &slen) != 0) continue;
    if (sll.sll_ifindex > 0 && static_cast<unsigned>(sll.sll_ifindex) == ifindex)
      out.push_back(static_cast<int>(fd));
  }
  return out;
}

unsigned read_packet_stats(const std::vector<int>& fds, KernelRingStats& acc) {
  unsigned n = 0;
  for (int fd : fds) {
    tpacket_stats st{};
    socklen_t len = sizeof st;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) continue;
    acc.add(st.tp_packets, st.tp_drops);
    ++n;
  }
  return n;
}

}  // namespace pmx::port
