#include "cli/cli.hpp"

#include "control/plane.hpp"

#include <cmdline_socket.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace pmx::control {

// Every command, in the order of `help`: one list for the parser and the
// help text alike.
void register_all_commands(std::vector<cmdline_parse_inst_t*>& out) {
  register_port_commands(out);
  register_net_commands(out);
  register_tcp_commands(out);
  register_gen_commands(out);
  register_scenario_commands(out);
  register_misc_commands(out);
}

Cli::Cli(Plane& p) : plane(p) {
  register_all_commands(insts_);
  for (auto* inst : insts_) inst->data = this;
  insts_.push_back(nullptr);
}

Cli::~Cli() { close_stdin(); }

void Cli::run_file(const std::string& path) {
  // Line by line through execute(), like the socket: each command is echoed
  // after the prompt, blank lines and '#' comments are skipped, and errors
  // print the same lines portmux-ctl shows. Stops early at 'quit'.
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "portmux: cannot open --cmdline-file '%s'\n", path.c_str());
    return;
  }
  std::fflush(stdout);
  for (std::string line; !plane.quit_requested() && std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    fd_printf(STDOUT_FILENO, "portmux> %s\n", line.c_str());
    execute(STDOUT_FILENO, line);
  }
}

void Cli::open_stdin() { stdin_cl_ = cmdline_stdin_new(insts_.data(), "portmux> "); }

bool Cli::feed_stdin() {
  char buf[256];
  const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) return false;
  // cmdline_in() returns -1 once the line editor saw EOF (^D) or quit.
  return cmdline_in(stdin_cl_, buf, static_cast<int>(n)) >= 0;
}

void Cli::close_stdin() {
  if (!stdin_cl_) return;
  cmdline_stdin_exit(stdin_cl_);
  stdin_cl_ = nullptr;
}

int Cli::execute(int fd, const std::string& line) {
  // cmdline_free() closes its output descriptor: give it a duplicate so the
  // caller's stays open.
  const int out = dup(fd);
  cmdline* cl = out < 0 ? nullptr : cmdline_new(insts_.data(), "", -1, out);
  if (!cl) {
    if (out >= 0) close(out);
    fd_printf(fd, "error: cannot run a command (out of descriptors or memory)\n");
    return 1;
  }
  status = 0;
  // cmdline_parse() returns the parsed length (>= 0) once a command ran.
  const int rc = cmdline_parse(cl, (line + "\n").c_str());
  int result = status;
  std::string err;
  switch (rc < 0 ? rc : CMDLINE_PARSE_SUCCESS) {
    case CMDLINE_PARSE_SUCCESS:
      break;
    case CMDLINE_PARSE_AMBIGUOUS:
      err = "ambiguous command '" + line + "'";
      result = 4;
      break;
    case CMDLINE_PARSE_BAD_ARGS:
      err = "bad arguments in '" + line + "' (try 'help')";
      result = 3;
      break;
    default:
      err = "unknown command '" + line + "' (try 'help')";
      result = 2;
      break;
  }
  if (!err.empty() && json)
    fd_printf(fd, "%s\n", Json().obj().kv("error", err).end().text().c_str());
  else if (!err.empty())
    fd_printf(fd, "error: %s\n", err.c_str());
  cmdline_free(cl);
  return result;
}

void fd_printf(int fd, const char* fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  char small[512];
  const int n = std::vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  std::string big;
  const char* out = small;
  if (n >= static_cast<int>(sizeof small)) {  // e.g. an echoed 4 KiB command line
    big.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(big.data(), big.size(), fmt, again);
    out = big.data();
  }
  va_end(again);
  if (n > 0 && write(fd, out, static_cast<size_t>(n)) < 0) {
    // The reader went away; nothing to do.
  }
}

Cli& cli_of(void* data) { return *static_cast<Cli*>(data); }

void emit(cmdline* cl, const Json& j) { cmdline_printf(cl, "%s\n", j.text().c_str()); }

void fail(Cli& c, cmdline* cl, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (c.json)
    cmdline_printf(cl, "%s\n",
                   Json().obj().kv("error", std::string_view(buf)).end().text().c_str());
  else
    cmdline_printf(cl, "error: %s\n", buf);
  c.status = 1;
}

std::optional<std::vector<uint16_t>> port_list(Cli& c, cmdline* cl, const char* word) {
  const uint16_t n = c.plane.nb_ports();
  std::vector<uint16_t> out;
  if (std::strcmp(word, "all") == 0) {
    for (uint16_t p = 0; p < n; ++p) out.push_back(p);
    return out;
  }
  char* end = nullptr;
  unsigned long v = std::strtoul(word, &end, 10);
  if (*word == '\0' || *end != '\0' || v >= n) {
    fail(c, cl, "bad port '%s': want 'all' or an id below %u", word, n);
    return std::nullopt;
  }
  out.push_back(static_cast<uint16_t>(v));
  return out;
}

}  // namespace pmx::control
