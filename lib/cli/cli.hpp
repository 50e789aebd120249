// The testpmd-style CLI on DPDK's cmdline library. Commands live in one file
// per area (cli_port.cpp, cli_net.cpp, cli_misc.cpp), each adding its
// instances through a register function; this class owns the context and the
// endpoints (stdin, --cmdline-file, and single commands for portmux-ctl).
#pragma once

#include <cmdline.h>
#include <cmdline_parse.h>

#include "stats/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pmx::control {

using stats::Json;

class Plane;

class Cli {
 public:
  explicit Cli(Plane& plane);
  ~Cli();

  // Runs the commands in path, one per line; output to stdout.
  void run_file(const std::string& path);

  // Interactive use on stdin (prompt, editing, completion, history).
  void open_stdin();
  // Feeds what stdin has; false when stdin closed or the CLI quit.
  bool feed_stdin();
  void close_stdin();

  // Runs one command line with its output on fd. Returns 0 on success, 1 when
  // the command reported an error, 2 for an unknown command, 3 for bad
  // arguments, 4 for an ambiguous one.
  int execute(int fd, const std::string& line);

  Plane& plane;
  int status = 0;     // set to 1 by fail()
  bool json = false;  // this command's output as JSON (portmux-ctl --json; docs/api.md)

 private:
  std::vector<cmdline_parse_inst_t*> insts_;  // null-terminated context
  cmdline* stdin_cl_ = nullptr;
};

// printf to a descriptor. (Not dprintf: DPDK's cmdline_cirbuf.h defines
// dprintf as a debug macro that expands to nothing.)
void fd_printf(int fd, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// --- helpers for command files
Cli& cli_of(void* data);
// Prints "error: ..." on cl and marks the command failed.
void fail(Cli& c, cmdline* cl, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// "all" or a port id below nb_ports; on error, fail() and nullopt.
std::optional<std::vector<uint16_t>> port_list(Cli& c, cmdline* cl, const char* word);

void register_port_commands(std::vector<cmdline_parse_inst_t*>& out);
void register_net_commands(std::vector<cmdline_parse_inst_t*>& out);
void register_misc_commands(std::vector<cmdline_parse_inst_t*>& out);
void register_tcp_commands(std::vector<cmdline_parse_inst_t*>& out);
void register_gen_commands(std::vector<cmdline_parse_inst_t*>& out);
void register_scenario_commands(std::vector<cmdline_parse_inst_t*>& out);
void register_all_commands(std::vector<cmdline_parse_inst_t*>& out);
// The per-lcore counter table of one area: `show tcp stats` ("tcp_*"),
// `show gen stats` ("gen_*") or `show ip stats` (prefix "": all the others).
void print_counter_table(const Plane& pl, cmdline* cl, std::string_view prefix);
// The same table as JSON: {"events": {NAME: {"total": N, "lcores": {"LCORE": N, ...}}},
// "drops": {...}} (the "drops" key only where the area has drop counters).
void counter_table_json(const Plane& pl, Json& j, std::string_view prefix);
// Prints j's text and a newline.
void emit(cmdline* cl, const Json& j);

}  // namespace pmx::control
