// pmx-idle-conns N [PORT] [SERVER_CPU] [CLIENT_CPU] [SOURCES]
//
// Kernel memory per idle TCP connection on Linux (the Linux side of the
// concurrency comparison, scripts/bench/linux.sh linux_idle). Run as root
// (for /proc/slabinfo) inside a fresh network namespace with lo up.
//
// Forked servers (pinned to SERVER_CPU, default 1) listen on 127.0.0.1 and
// accept everything, registering each accepted socket with epoll as an
// event-driven server does, and hold it. Forked clients (CLIENT_CPU, default
// 0) open N blocking connections, connection i from
// 127.0.0.(2 + i % SOURCES):(10000 + i / SOURCES) (SOURCES = 8 by default:
// 50,000 ports each covers 400,000 connections), and hold them. One server
// and one client process (server k on PORT + k) per RLIMIT_NOFILE's worth of
// connections: the hard limit is raised to N + 64 where allowed
// (CAP_SYS_RESOURCE, fs.nr_open), else the connections are split over K
// pairs of processes. All processes exist before the first reading.
//
// Method: /proc/slabinfo is read at four moments (every cache, in bytes =
// active objects x (bytes per slab / objects per slab), i.e. the slab
// pages the objects occupy, slack included):
//   S0 before connecting;  S1 with all N connections established (each one
//   a client socket and a server socket: TCP sock, socket inode, dentry,
//   file, bind buckets, epoll item, ...);  S2 after the client closed its N
//   sockets with RST (SO_LINGER 0: nothing left behind, no TIME_WAIT) while
//   the server still holds its N sockets, now CLOSED but still allocated
//   with the same objects;  S3 after the server exited (should be ~S0).
// Both ends per connection = (S1 - S0) / N; server side = (S2 - S0) / N.
// Only caches that changed by at least N/100 objects count: the others are
// background noise of a shared machine (summed to stderr as "other").
// Established is confirmed by the server's accept count and by the
// namespace's /proc/net/sockstat ("TCP: inuse" = 2N + the K listeners).
// /proc/meminfo (Slab, KernelStack, PageTables, VmallocUsed) deltas go to
// stderr as a cross-check: they also see fd tables (8 bytes per fd, vmalloc),
// /proc inodes and everything else the machine does meanwhile, and whole
// slab pages: after the clients' objects are freed, the slabs they shared
// with the servers' objects stay allocated, so the server figure is high.
//
// stdout: conns N / errors E / bytes_per_conn SERVER / bytes_per_conn_both BOTH
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Cache {
  long active;       // active objects
  double obj_bytes;  // slab bytes per object, slack included
};
using Slabs = std::map<std::string, Cache>;

Slabs read_slabinfo() {
  Slabs s;
  std::ifstream f("/proc/slabinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string name;
    long active, num, objsize, per_slab, pages;
    if (in >> name >> active >> num >> objsize >> per_slab >> pages && per_slab > 0)
      s[name] = {active, static_cast<double>(pages * sysconf(_SC_PAGESIZE)) /
                             static_cast<double>(per_slab)};
  }
  return s;
}

// The caches SLUB merged with `name` (slabinfo shows a merged group under one
// name: e.g. eventpoll_epi also holds tcp_bind_bucket and tcp_bind2_bucket).
std::string aliases(const std::string& name) {
  char target[256], t2[256];
  std::string dir = "/sys/kernel/slab/", out;
  ssize_t len = readlink((dir + name).c_str(), target, sizeof target - 1);
  if (len <= 0) return out;
  target[len] = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      ssize_t l2 = readlink((dir + e->d_name).c_str(), t2, sizeof t2 - 1);
      if (l2 > 0 && (t2[l2] = 0, strcmp(t2, target) == 0) && name != e->d_name)
        out += std::string(" ") + e->d_name;
    }
    closedir(d);
  }
  return out.empty() ? out : " (with" + out + ")";
}

// Sum of the caches that moved by >= min_objs objects; the rest goes to *other.
// Not counted: the inodes and dentries of /proc/PID/fd/N, which appear when
// any process on the machine lists our fds (ps, lsof, ss -p, a supervisor):
// proc_inode_cache is left out, and dentry and lsm_inode_cache (an LSM blob
// per inode) reduced by as many objects. Counted: the kmalloc-* arrays that
// memcg accounting adds to every slab of a SLAB_ACCOUNT cache (TCP, inodes,
// files, ...: 8 bytes per object).
double slab_delta(const Slabs& a, const Slabs& b, long min_objs, double* other, bool print) {
  auto delta = [&](const std::string& name) {
    auto ia = a.find(name), ib = b.find(name);
    return (ib == b.end() ? 0 : ib->second.active) - (ia == a.end() ? 0 : ia->second.active);
  };
  long proc = delta("proc_inode_cache");
  double sum = 0;
  *other = 0;
  for (const auto& [name, cb] : b) {
    long d = delta(name);
    if (name == "proc_inode_cache") continue;
    if (name == "dentry" || name == "lsm_inode_cache") d -= std::max(0L, proc);
    double bytes = static_cast<double>(d) * cb.obj_bytes;
    if (labs(d) < min_objs) {
      *other += bytes;
      continue;
    }
    sum += bytes;
    if (print)
      fprintf(stderr, "  %-18s %+9ld objects x %5.0f B = %+11.0f B%s\n", name.c_str(), d,
              cb.obj_bytes, bytes, aliases(name).c_str());
  }
  if (print && proc != 0)
    fprintf(stderr, "  (not counted: %+ld /proc fd inodes and their dentries)\n", proc);
  return sum;
}

long meminfo_kb(const char* key) {
  std::ifstream f("/proc/meminfo");
  std::string k;
  long v;
  while (f >> k >> v) {
    if (k == std::string(key) + ":") return v;
    f.ignore(256, '\n');
  }
  return 0;
}

long kernel_kb() {
  return meminfo_kb("Slab") + meminfo_kb("KernelStack") + meminfo_kb("PageTables") +
         meminfo_kb("VmallocUsed");
}

long sockstat_tcp(const char* field) {  // this namespace's "TCP: inuse X ... mem Y"
  std::ifstream f("/proc/net/sockstat");
  std::string line, w;
  while (std::getline(f, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream in(line.substr(4));
    long v;
    while (in >> w >> v)
      if (w == field) return v;
  }
  return -1;
}

// Pins the calling process; a worker also dies with the coordinator.
void pin(int cpu, bool worker = true) {
  if (worker) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(1);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) perror("sched_setaffinity");
}

long ask(int ctl, char cmd) {  // one command to a worker, one long back
  long v = -1;
  if (write(ctl, &cmd, 1) != 1 || read(ctl, &v, sizeof v) != sizeof v) return -1;
  return v;
}

// Server worker: accept, register with epoll, hold. 'c' on ctl: reply the
// accept count; EOF: exit.
[[noreturn]] void serve(int lfd, int ctl) {
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.u64 = 1;
  epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &ev);
  long accepted = 0;
  epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u64 == 0) {
        int fd;
        while ((fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;  // reported once, ignored
          cev.data.u64 = 2;
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
          accepted++;
        }
      } else if (evs[i].data.u64 == 1) {
        char c;
        if (read(ctl, &c, 1) != 1) _exit(0);
        if (write(ctl, &accepted, sizeof accepted) != sizeof accepted) _exit(1);
      }
    }
  }
}

// Client worker for connections [first, last) to 127.0.0.1:port. 'o': open
// them all, reply the failures; 'r': close them all with RST, reply 0; EOF: exit.
[[noreturn]] void client(long first, long last, long sources, int port, int ctl) {
  std::vector<int> fds;
  char cmd;
  while (read(ctl, &cmd, 1) == 1) {
    long reply = 0;
    if (cmd == 'o') {
      sockaddr_in dst{}, src{};
      dst.sin_family = src.sin_family = AF_INET;
      dst.sin_port = htons(static_cast<uint16_t>(port));
      dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      timeval tmo{3, 0};  // a connect that waits for a SYN retransmit fails and counts
      for (long i = first; i < last; i++) {
        src.sin_port = htons(static_cast<uint16_t>(10000 + i / sources));
        src.sin_addr.s_addr = htonl(0x7f000002u + static_cast<uint32_t>(i % sources));
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof tmo);
        if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) < 0 ||
            connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) < 0) {
          if (reply++ < 3) fprintf(stderr, "connection %ld: %s\n", i, strerror(errno));
          if (fd >= 0) close(fd);
          continue;
        }
        fds.push_back(fd);
      }
    } else if (cmd == 'r') {
      linger lg{1, 0};
      for (int fd : fds) {
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
      }
      fds.clear();
    }
    if (write(ctl, &reply, sizeof reply) != sizeof reply) _exit(1);
  }
  _exit(0);
}

double seconds_since(const timespec& t0) {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec - t0.tv_sec) +
         static_cast<double>(t.tv_nsec - t0.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s N [PORT] [SERVER_CPU] [CLIENT_CPU] [SOURCES]\n", argv[0]);
    return 2;
  }
  long n = atol(argv[1]);
  int port = argc > 2 ? atoi(argv[2]) : 5001;
  int server_cpu = argc > 3 ? atoi(argv[3]) : 1, client_cpu = argc > 4 ? atoi(argv[4]) : 0;
  long sources = argc > 5 ? atol(argv[5]) : 8;
  if (n <= 0 || sources < 1 || sources > 250 || n > sources * 50000) {
    fprintf(stderr, "bad N or SOURCES (N <= SOURCES * 50000, SOURCES <= 250)\n");
    return 2;
  }
  alarm(300);  // safety net: SIGALRM ends the run; the workers then see EOF
  rlimit rl{static_cast<rlim_t>(n + 64), static_cast<rlim_t>(n + 64)};
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {  // no CAP_SYS_RESOURCE: up to the hard limit
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  long per_proc = std::min(n, static_cast<long>(rl.rlim_cur) - 64);
  long procs = (n + per_proc - 1) / per_proc;
  fprintf(
      stderr,
      "idle_conns: %ld connections over %ld server + %ld client processes (RLIMIT_NOFILE %ld)\n", n,
      procs, procs, static_cast<long>(rl.rlim_cur));

  std::vector<int> sctl, cctl;
  std::vector<pid_t> pids;
  for (long k = 0; k < procs; k++) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port + k));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1, sp[2], cp[2];
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || listen(lfd, 65535) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, cp) < 0) {
      perror("listen/socketpair");
      return 1;
    }
    pid_t p = fork();
    if (p == 0) {
      for (int fd : sctl) close(fd);
      for (int fd : cctl) close(fd);
      close(sp[0]);
      close(cp[0]);
      close(cp[1]);
      pin(server_cpu);
      serve(lfd, sp[1]);
    }
    pids.push_back(p);
    close(lfd);
    close(sp[1]);
    sctl.push_back(sp[0]);
    p = fork();
    if (p == 0) {
      for (int fd : sctl) close(fd);
      for (int fd : cctl) close(fd);
      close(cp[0]);
      pin(client_cpu);
      client(k * per_proc, std::min(n, (k + 1) * per_proc), sources, port + static_cast<int>(k),
             cp[1]);
    }
    pids.push_back(p);
    close(cp[1]);
    cctl.push_back(cp[0]);
  }
  pin(client_cpu, false);
  for (int fd : sctl) ask(fd, 'c');  // every server is up
  sleep(1);
  Slabs s0 = read_slabinfo();
  long k0 = kernel_kb(), m0 = sockstat_tcp("mem");

  timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long failed = 0;
  for (int fd : cctl)  // all clients connect at once (one CPU anyway)
    if (write(fd, "o", 1) != 1) failed += per_proc;
  for (int fd : cctl) {
    long f = -1;
    failed += read(fd, &f, sizeof f) == sizeof f ? f : 0;
  }
  double secs = seconds_since(t0);
  long acc = 0;
  for (int i = 0; i < 100; i++) {  // the servers accepted everything (<= 10 s)
    acc = 0;
    for (int fd : sctl) acc += ask(fd, 'c');
    if (acc >= n - failed) break;
    usleep(100000);
  }
  sleep(1);  // request socks and RCU-freed objects settle
  long inuse = sockstat_tcp("inuse");
  long conns = std::min(acc, (inuse - procs) / 2);
  long errors = n - conns;
  fprintf(stderr,
          "idle_conns: %ld connect() failed, %ld ok in %.2f s (%.0f/s), %ld accepted, sockstat TCP "
          "inuse %ld\n",
          failed, n - failed, secs, static_cast<double>(n - failed) / secs, acc, inuse);
  Slabs s1 = read_slabinfo();
  long k1 = kernel_kb(), m1 = sockstat_tcp("mem");

  for (int fd : cctl) ask(fd, 'r');
  sleep(2);
  Slabs s2 = read_slabinfo();
  long k2 = kernel_kb();
  for (int fd : sctl) close(fd);  // EOF: the workers exit
  for (int fd : cctl) close(fd);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  sleep(2);
  Slabs s3 = read_slabinfo();

  long min_objs = std::max(1L, n / 100);
  double o1, o2, o3, nn = static_cast<double>(n);
  fprintf(stderr, "slab deltas, both ends (S1 - S0):\n");
  double both = slab_delta(s0, s1, min_objs, &o1, true);
  fprintf(stderr, "slab deltas, server side (S2 - S0):\n");
  double server = slab_delta(s0, s2, min_objs, &o2, true);
  double left = slab_delta(s0, s3, min_objs, &o3, false);
  fprintf(stderr,
          "other caches: %+.0f B (both), %+.0f B (server); after exit: %+.0f B (+%.0f B other)\n",
          o1, o2, left, o3);
  fprintf(stderr,
          "meminfo Slab+KernelStack+PageTables+VmallocUsed: %.0f B/conn both, %.0f B/conn server; "
          "sockstat TCP mem %+ld pages\n",
          (k1 - k0) * 1024.0 / nn, (k2 - k0) * 1024.0 / nn, m1 - m0);
  printf("conns %ld\nerrors %ld\nbytes_per_conn %.0f\nbytes_per_conn_both %.0f\n", conns, errors,
         server / nn, both / nn);
  return errors == 0 ? 0 : 1;
}
