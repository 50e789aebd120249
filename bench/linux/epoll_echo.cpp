// pmx-epoll-echo ADDRESS PORT [MAX_SECONDS]
//
// The Linux baseline of the ping-pong comparison (scripts/bench/linux.sh,
// linux_pingpong): a single-threaded, level-triggered epoll TCP echo server
// that writes back whatever arrives, on any number of connections. Sockets
// are non-blocking with TCP_NODELAY (as the client), so a 64-byte message is
// answered by one 64-byte segment at once. Data not yet accepted by the
// kernel is kept per connection and reading pauses until it is written
// (EPOLLOUT), so a slow reader cannot make it buffer without bound.
// Runs until SIGTERM/SIGINT, or MAX_SECONDS (default 600) as a safety net.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct Conn {
  int fd;
  bool want_out;    // registered for EPOLLOUT instead of EPOLLIN
  size_t off, len;  // pending bytes buf[off, len)
  char buf[16384];
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void close_conn(int ep, Conn* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  delete c;
}

// Writes what is pending; returns false if the connection is dead.
bool flush(Conn* c) {
  while (c->off < c->len) {
    ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    c->off += static_cast<size_t>(n);
  }
  c->off = c->len = 0;
  return true;
}

// Reads and echoes until EAGAIN or until the kernel refuses more output.
bool serve(Conn* c) {
  for (;;) {
    if (c->len != 0) return true;  // still pending: wait for EPOLLOUT
    ssize_t n = read(c->fd, c->buf, sizeof c->buf);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    c->off = 0;
    c->len = static_cast<size_t>(n);
    if (!flush(c)) return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ADDRESS PORT [MAX_SECONDS]\n", argv[0]);
    return 2;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
    fprintf(stderr, "bad address %s\n", argv[1]);
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  alarm(argc > 3 ? static_cast<unsigned>(atoi(argv[3])) : 600);  // SIGALRM ends us

  int one = 1;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || listen(lfd, 1024) < 0) {
    perror("bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr = the listening socket
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

  epoll_event evs[64];
  while (!g_stop) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; i++) {
      auto* c = static_cast<Conn*>(evs[i].data.ptr);
      if (c == nullptr) {
        int fd;
        while ((fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto* nc = new Conn;
          nc->fd = fd;
          nc->want_out = false;
          nc->off = nc->len = 0;
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.ptr = nc;
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      bool ok = true;
      if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ok = flush(c);
      if (ok) ok = serve(c);
      if (!ok) {
        close_conn(ep, c);
        continue;
      }
      // Wait for output room while data is pending, for input otherwise
      // (one epoll_ctl only when that changes: none per message).
      if (c->want_out == (c->len != 0)) continue;
      c->want_out = c->len != 0;
      epoll_event cev{};
      cev.events = c->want_out ? EPOLLOUT : EPOLLIN;
      cev.data.ptr = c;
      epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
    }
  }
  return 0;
}
