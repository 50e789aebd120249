// The CLI on a unix stream socket, for portmux-ctl. One command per
// connection: the client writes one line (at most kMaxLine bytes) and reads
// until EOF. The reply is the command's output followed by a trailer of
// kTrailer and the exit status digit and '\n' (0 ok; see Cli::execute()).
#pragma once

#include <string>

namespace pmx::control {

class Cli;

inline constexpr char kTrailer = '\x1e';  // ASCII record separator
inline constexpr unsigned kMaxLine = 4096;

class CtlServer {
 public:
  CtlServer(Cli& cli, std::string path);  // throws std::runtime_error
  ~CtlServer();
  CtlServer(const CtlServer&) = delete;
  CtlServer& operator=(const CtlServer&) = delete;

  int fd() const { return fd_; }
  // Serves one pending client (call when fd() is readable).
  void serve_one();

 private:
  Cli& cli_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace pmx::control
