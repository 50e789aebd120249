#include "cli/ctl_server.hpp"

#include "cli/cli.hpp"
#include "stats/log.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace pmx::control {

namespace {
constexpr int kClientTimeoutMs = 2000;

// Reads one line from a client within the timeout. False on timeout, EOF
// before a newline, or a line longer than kMaxLine.
bool read_line(int fd, std::string& line) {
  char buf[512];
  while (line.size() <= kMaxLine) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kClientTimeoutMs) <= 0) return false;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return !line.empty();  // a client may shut down without '\n'
    line.append(buf, static_cast<size_t>(n));
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      return true;
    }
  }
  return false;
}
}  // namespace

CtlServer::CtlServer(Cli& cli, std::string path) : cli_(cli), path_(std::move(path)) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("--cli-socket: socket: " + std::string(strerror(errno)));
  unlink(path_.c_str());  // a stale socket from a previous run
  const mode_t old = umask(0077);
  const int rc = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  umask(old);
  if (rc != 0 || listen(fd_, 16) != 0) {
    const std::string err = strerror(errno);
    close(fd_);
    throw std::runtime_error("--cli-socket '" + path_ + "': " + err);
  }
  PMX_LOG(INFO, "CLI socket at %s", path_.c_str());
}

CtlServer::~CtlServer() {
  if (fd_ >= 0) close(fd_);
  unlink(path_.c_str());
}

void CtlServer::serve_one() {
  const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return;
  std::string line;
  int status;
  if (read_line(c, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    // "--json COMMAND": the command's content as JSON (docs/api.md).
    constexpr std::string_view kJson = "--json ";
    cli_.json = line.starts_with(kJson);
    if (cli_.json) line.erase(0, kJson.size());
    status = cli_.execute(c, line);
    cli_.json = false;
  } else {
    fd_printf(c, "error: expected one command line of at most %u bytes\n", kMaxLine);
    status = 3;
  }
  const char trailer[] = {kTrailer, static_cast<char>('0' + status), '\n'};
  if (write(c, trailer, sizeof trailer) < 0) {
    // The client hung up; nothing to tell it.
  }
  close(c);
}

}  // namespace pmx::control
