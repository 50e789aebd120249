// portmux-ctl: runs one CLI command on a running portmux through its
// --cli-socket and prints the output. Exit status: 0 ok, 1 the command
// failed, 2 unknown command, 3 bad arguments, 4 ambiguous, 5 no appliance.
// --json: a show command's content as one JSON document (docs/api.md); the
// line goes to the appliance as "--json COMMAND".
#include "cli/ctl_server.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

int usage() {
  std::fprintf(stderr, "usage: portmux-ctl -s SOCKET [--json] COMMAND [WORDS...]\n");
  return 2;
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, line;
  int i = 1;
  for (; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-s") && i + 1 < argc) {
      path = argv[++i];
    } else if (!std::strcmp(argv[i], "--json")) {
      line = "--json";
    } else if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      usage();
      return 0;
    } else {
      break;
    }
  }
  for (; i < argc; ++i) line += (line.empty() ? "" : " ") + std::string(argv[i]);
  if (path.empty() || line.empty() || line == "--json") return usage();
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    std::fprintf(stderr, "portmux-ctl: socket path '%s' too long\n", path.c_str());
    return 2;
  }
  if (line.size() > pmx::control::kMaxLine) {
    std::fprintf(stderr, "portmux-ctl: command longer than %u bytes\n", pmx::control::kMaxLine);
    return 2;
  }

  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::fprintf(stderr, "portmux-ctl: cannot connect to '%s': %s\n", path.c_str(),
                 std::strerror(errno));
    return 5;
  }
  if (!write_all(fd, line + "\n")) {
    std::fprintf(stderr, "portmux-ctl: write to '%s' failed: %s\n", path.c_str(),
                 std::strerror(errno));
    return 5;
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // The reply ends with the trailer: separator, status digit, newline.
  const size_t t = out.rfind(pmx::control::kTrailer);
  if (t == std::string::npos || t + 1 >= out.size()) {
    std::fputs(out.c_str(), stdout);
    std::fprintf(stderr, "portmux-ctl: reply ended early (appliance stopped?)\n");
    return 5;
  }
  const int status = std::atoi(out.c_str() + t + 1);
  std::fwrite(out.data(), 1, t, status ? stderr : stdout);
  return status;
}
