// Application options (after EAL's, past "--"), from the command line and,
// with the same keys, from an INI file given by --config.
#pragma once

#include "net/addr.hpp"

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace pmx::control {

// Escapes control bytes and non-ASCII as \xNN, so a message quoting user
// input stays one printable line.
std::string printable(const std::string& s);

// A bad option or value; what() is one printable line naming it.
struct OptionError : std::runtime_error {
  explicit OptionError(const std::string& msg) : std::runtime_error(printable(msg)) {}
};

struct AddrOption {
  uint16_t port;
  net::Ifaddr addr;
};

struct Options {
  std::vector<AddrOption> addrs;
  std::map<uint16_t, net::Ipv4Addr> gateways;
  std::map<uint16_t, std::string> port_profiles;  // port -> profile name or file
  std::string profile_dir;
  bool interactive = false;
  std::string cmdline_file;
  std::string cli_socket;
  unsigned stats_period = 0;  // seconds; 0: off
  unsigned mbufs = 0;         // 0: sized from the ports
  unsigned neigh_entries = 1024;
  unsigned neigh_reachable_s = 30;
  bool help = false;
};

// Parses args (program options only, no argv[0]). Throws OptionError.
Options parse_options(const std::vector<std::string>& args);

// The --help text.
std::string usage();

}  // namespace pmx::control
