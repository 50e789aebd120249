// Application options (after EAL's, past "--"), from the command line and,
// with the same keys, from an INI file given by --config.
#pragma once

#include "gen/spec.hpp"
#include "net/route.hpp"
#include "stats/text.hpp"
#include "tcp/listener.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pmx::control {

using stats::printable;

// A bad option or value; what() is one printable line naming it.
struct OptionError : std::runtime_error {
  explicit OptionError(const std::string& msg) : std::runtime_error(printable(msg)) {}
};

// An interface as the options name it: "PORT" (the port's untagged one)
// or "PORT.VLAN" (802.1Q VLAN id 1..4094 on that port).
struct IfaceId {
  uint16_t port = 0;
  uint16_t vlan = 0;  // 0: untagged
  IfaceId() = default;
  IfaceId(uint16_t p, uint16_t v = 0) : port(p), vlan(v) {}  // NOLINT: a port is its untagged one
  friend auto operator<=>(const IfaceId&, const IfaceId&) = default;
};

struct AddrOption {
  uint16_t port;
  net::Ifaddr addr;
  uint16_t vlan = 0;
};

struct AddrOption6 {
  uint16_t port;
  net::Ifaddr6 addr;  // tentative until duplicate address detection passes
  uint16_t vlan = 0;
};

struct Options {
  std::vector<AddrOption> addrs;               // --addr PORT[.VLAN]=v4
  std::map<IfaceId, net::Ipv4Addr> gateways;   // --gateway PORT[.VLAN]=v4
  std::vector<AddrOption6> addrs6;             // --addr PORT[.VLAN]=v6/len
  std::map<IfaceId, net::Ipv6Addr> gateways6;  // --gateway PORT[.VLAN]=v6
  // --route PREFIX/LEN=GATEWAY, in the order given, each prefix once
  std::vector<net::Route4> routes;
  std::vector<net::Route6> routes6;
  unsigned dad_ms =
      1000;  // RFC 4861 10 RetransTimer; 0: no DAD (RFC 4862 5.4 DupAddrDetectTransmits 0)
  std::map<uint16_t, std::string> port_profiles;  // port -> profile name or file
  std::string profile_dir;
  bool interactive = false;
  std::string cmdline_file;
  std::string cli_socket;
  unsigned stats_period = 0;  // seconds; 0: off
  // --metrics ADDR:PORT: Prometheus endpoint on the kernel's TCP stack
  std::string metrics_addr;  // empty: off
  uint16_t metrics_port = 0;
  unsigned mbufs = 0;  // 0: sized from the ports
  unsigned neigh_entries = 1024;
  unsigned neigh_reachable_s = 30;
  bool help = false;
  // TCP
  std::vector<tcp::ListenSpec> listen;
  unsigned max_flows = 65536;  // per worker
  unsigned msl_ms = 30000;
  unsigned tcp_buffer_kb = 64;  // send and receive buffer per connection
  unsigned tcp_buffers = 4096;  // buffers per worker (two per connection)
  bool tcp_keepalive = false;
  tcp::SynCookies syncookies = tcp::SynCookies::Auto;  // --syncookies
  // Traffic generator
  std::optional<gen::GenSpec> gen;                      // --gen: run it at start-up, then exit
  std::string gen_report;                               // --gen-report FILE (JSON)
  std::string scenario;                                 // --scenario FILE: run it, then exit
  std::string out_dir;                                  // --out DIR: the scenario's outputs
  uint16_t ephemeral_lo = 49152, ephemeral_hi = 65535;  // IANA (RFC 6335 6)
  // --kernel-port PORT[=IFNAME]: a TAP interface to the host's kernel for
  // what PORT does not consume (port -> interface name).
  std::map<uint16_t, std::string> kernel_ports;
  // --kernel-tcp-ports LIST: the TCP ports (local) whose unclaimed segments
  // go to the kernel; empty: all of them.
  std::vector<std::pair<uint16_t, uint16_t>> kernel_tcp_ports;
};

// "ADDR:PORT" (IPv4 dotted quad, or [IPv6] in brackets; port 0..65535) ->
// (addr, port); nullopt if malformed.
std::optional<std::pair<std::string, uint16_t>> parse_listen_addr(const std::string& s);

// Parses args (program options only, no argv[0]). Throws OptionError.
Options parse_options(const std::vector<std::string>& args);

// The --help text.
std::string usage();

}  // namespace pmx::control
