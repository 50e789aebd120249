// pmx-pingpong ADDRESS PORT SECONDS [SIZE]
//
// One-connection round-trip latency against an echo server (the Linux side of
// the ping-pong comparison, scripts/bench/linux.sh linux_pingpong): on one
// blocking TCP connection with TCP_NODELAY, send a SIZE-byte message (64 by
// default), wait until all SIZE bytes came back, repeat. The first 0.5 s (at
// least 1000 round trips) is warm-up and not recorded; then every round trip
// for SECONDS is timed with CLOCK_MONOTONIC (send to last byte back) and kept.
// Prints on stdout exact percentiles of the sorted samples (nearest rank):
//   p50_us X / p99_us X / p999_us X / min_us X / max_us X / count N
// Exits non-zero if the connection fails or the echo differs from what was sent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// One round trip; false on error or a wrong echo.
bool round_trip(int fd, const char* msg, char* back, size_t size) {
  for (size_t off = 0; off < size;) {
    ssize_t n = write(fd, msg + off, size - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  for (size_t got = 0; got < size;) {
    ssize_t n = read(fd, back + got, size - got);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return memcmp(msg, back, size) == 0;
}

double pct_us(const std::vector<uint64_t>& s, double p) {  // nearest rank
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(s.size()) + 0.999999);
  return static_cast<double>(s[std::clamp<size_t>(rank, 1, s.size()) - 1]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s ADDRESS PORT SECONDS [SIZE]\n", argv[0]);
    return 2;
  }
  double secs = atof(argv[3]);
  size_t size = argc > 4 ? static_cast<size_t>(atol(argv[4])) : 64;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || secs <= 0 || size == 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tmo{5, 0};  // a lost echo fails the run instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    perror("connect");
    return 1;
  }
  std::vector<char> msg(size), back(size);
  for (size_t i = 0; i < size; i++) msg[i] = static_cast<char>('a' + i % 26);

  uint64_t t = now_ns(), warm_end = t + 500000000u;
  for (int i = 0; i < 1000 || now_ns() < warm_end; i++) {
    if (!round_trip(fd, msg.data(), back.data(), size)) {
      fprintf(stderr, "warm-up round trip failed\n");
      return 1;
    }
  }
  std::vector<uint64_t> samples;
  samples.reserve(static_cast<size_t>(secs * 200000));  // grows if faster than 5 us/RTT
  uint64_t end = now_ns() + static_cast<uint64_t>(secs * 1e9);
  for (t = now_ns(); t < end;) {
    if (!round_trip(fd, msg.data(), back.data(), size)) {
      fprintf(stderr, "round trip %zu failed\n", samples.size());
      return 1;
    }
    uint64_t t2 = now_ns();
    samples.push_back(t2 - t);
    t = t2;
  }
  close(fd);
  std::sort(samples.begin(), samples.end());
  printf("p50_us %.2f\np99_us %.2f\np999_us %.2f\nmin_us %.2f\nmax_us %.2f\ncount %zu\n",
         pct_us(samples, 50), pct_us(samples, 99), pct_us(samples, 99.9),
         static_cast<double>(samples.front()) / 1000.0,
         static_cast<double>(samples.back()) / 1000.0, samples.size());
  return 0;
}
