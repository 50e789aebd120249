#include "config/options.hpp"

#include "config/listen_spec.hpp"
#include "net/vlan.hpp"
#include "service/catalog.hpp"

#include "portmux_config.h"

#include <boost/program_options.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pmx::control {

namespace po = boost::program_options;

namespace {

// --listen's help: the services and their keys from service/services.def.
std::string listen_help() {
  std::string keys;
  for (auto column : {&service::Info::arg_key, &service::Info::timeout_key})
    for (std::string_view k : service::keys(column)) keys += std::string(k) + ", ";
  return "IP:PORT=SERVICE[,key=value...]: serve " + service::names("|") + " (keys: " + keys +
         "idle_timeout, backlog, cc)";
}

po::options_description describe() {
  po::options_description d("portmux options (after EAL options and --)");
  const std::string listen = listen_help();
  // clang-format off
  d.add_options()
    ("addr", po::value<std::vector<std::string>>()->composing(),
     "PORT=IP/PREFIX or PORT=FIRST-LAST/PREFIX: an IPv4 or IPv6 address or address range "
     "(up to 1048576 addresses) of ours on PORT (repeatable, several per port, both families); "
     "PORT.VLAN=...: on 802.1Q VLAN 1-4094 of PORT, an interface of its own")
    ("gateway", po::value<std::vector<std::string>>()->composing(),
     "PORT[.VLAN]=IP: next hop for destinations off the interface's subnets (one IPv4 and one "
     "IPv6 per interface)")
    ("route", po::value<std::vector<std::string>>()->composing(),
     "PREFIX/LEN=GATEWAY: send to PREFIX through GATEWAY (IPv4 or IPv6, repeatable); the port is "
     "the one with GATEWAY on one of its subnets; the longest prefix wins, before --gateway")
    ("dad-ms", po::value<unsigned>()->default_value(1000),
     "MS: duplicate address detection of each IPv6 address at start waits this long for an "
     "answer (RFC 4862 5.4; 0: off)")
    ("interactive,i", po::bool_switch(), "run the CLI on stdin")
    ("cmdline-file", po::value<std::string>(), "FILE: run these CLI commands after start-up")
    ("cli-socket", po::value<std::string>(), "PATH: serve the CLI on this unix socket (portmux-ctl)")
    ("stats-period", po::value<unsigned>()->default_value(0),
     "SEC: print port rates, connections and CPS every SEC seconds (0: off)")
    ("metrics", po::value<std::string>(),
     "ADDR:PORT: serve GET /metrics (Prometheus text format) on the kernel's TCP stack")
    ("port-profile", po::value<std::vector<std::string>>()->composing(),
     "PORT=NAME|FILE: use this profile instead of the one the driver picks")
    ("profile-dir", po::value<std::string>()->default_value(PORTMUX_PROFILE_DIR),
     "DIR: where driver profiles (*.ini) live")
    ("mbufs", po::value<unsigned>()->default_value(0), "N: mbufs in the pool (0: sized from the ports)")
    ("neigh-entries", po::value<unsigned>()->default_value(1024), "N: ARP entries per worker")
    ("neigh-reachable", po::value<unsigned>()->default_value(30),
     "SEC: an ARP answer stays fresh this long (RFC 1122 2.3.2.1)")
    ("listen", po::value<std::vector<std::string>>()->composing(), listen.c_str())
    ("max-flows", po::value<unsigned>()->default_value(65536), "N: connections per worker")
    ("msl-ms", po::value<unsigned>()->default_value(30000), "MS: maximum segment lifetime (TIME_WAIT = 2 MSL)")
    ("tcp-buffer-kb", po::value<unsigned>()->default_value(64), "KB: send and receive buffer per connection")
    ("tcp-buffers", po::value<unsigned>()->default_value(4096), "N: buffers per worker (2 per connection)")
    ("tcp-keepalive", po::bool_switch(), "send RFC 1122 keepalives on idle connections")
    ("syncookies", po::value<std::string>()->default_value("auto"),
     "auto|always|off: answer SYNs with RFC 4987 cookies when a backlog is full or the pool nearly is (auto), always, or never")
    ("gen", po::value<std::string>(),
     "\"DST-IP DST-PORT [mode ..] [conns N] ...\": run the traffic generator at start-up, then exit"
     " (words as for 'gen start')")
    ("gen-report", po::value<std::string>(), "FILE: write the --gen run's final report there (JSON)")
    ("scenario", po::value<std::string>(),
     "FILE: run the YAML scenario (docs/scenarios.md) at start-up, then exit: 0 pass, 1 a criterion"
     " failed, 2 bad scenario, 3 could not start")
    ("out", po::value<std::string>(), "DIR: where --scenario writes timeline.jsonl, report.json, report.html")
    ("ephemeral-ports", po::value<std::string>()->default_value("49152-65535"),
     "LO-HI: source ports of the generator's connections")
    ("kernel-port", po::value<std::vector<std::string>>()->composing(),
     "PORT[=IFNAME]: a TAP interface IFNAME (default pmxkPORT) to the host's kernel, which gets "
     "what PORT does not consume (other protocols, other addresses, TCP for no listener)")
    ("kernel-tcp-ports", po::value<std::string>(),
     "LIST: only these local TCP ports' unclaimed segments go to the kernel port (e.g. 22,179,"
     "8000-8099; default: all)")
    ("config", po::value<std::string>(), "FILE: INI file with these same keys (addr = 0=198.18.0.1/24, addr = 0=2001:2::1/64)")
    ("help,h", po::bool_switch(), "show this help");
  // clang-format on
  return d;
}

// "PORT=VALUE" -> (port, value); the error names the option and its value.
std::pair<uint16_t, std::string> split_port(const std::string& opt, const std::string& v) {
  auto eq = v.find('=');
  unsigned port = 0;
  if (eq == std::string::npos || eq == 0)
    throw OptionError("--" + opt + " '" + v + "': expected PORT=VALUE");
  auto [p, ec] = std::from_chars(v.data(), v.data() + eq, port);
  if (ec != std::errc() || p != v.data() + eq || port >= 32)
    throw OptionError("--" + opt + " '" + v + "': bad port id '" + v.substr(0, eq) + "'");
  return {static_cast<uint16_t>(port), v.substr(eq + 1)};
}

// "LO-HI", 1 <= LO <= HI <= 65535.
void parse_port_range(const std::string& v, Options& o) {
  unsigned lo = 0, hi = 0;
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data(), end, lo);
  bool ok = ec == std::errc() && p != end && *p == '-';
  if (ok) {
    auto [q, ec2] = std::from_chars(p + 1, end, hi);
    ok = ec2 == std::errc() && q == end && lo >= 1 && lo <= hi && hi <= 65535;
  }
  if (!ok) throw OptionError("--ephemeral-ports '" + v + "': expected LO-HI within 1-65535");
  o.ephemeral_lo = static_cast<uint16_t>(lo);
  o.ephemeral_hi = static_cast<uint16_t>(hi);
}

// "22,179,8000-8099": ports and ranges within 1-65535.
std::vector<std::pair<uint16_t, uint16_t>> parse_tcp_port_list(const std::string& v) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  size_t i = 0;
  while (i <= v.size()) {
    const size_t j = std::min(v.find(',', i), v.size());
    const std::string item = v.substr(i, j - i);
    unsigned lo = 0, hi = 0;
    const char* b = item.data();
    const char* e = b + item.size();
    auto [p, ec] = std::from_chars(b, e, lo);
    bool ok = ec == std::errc() && p != b;
    hi = lo;
    if (ok && p != e) {
      auto [q, ec2] = std::from_chars(p + 1, e, hi);
      ok = *p == '-' && ec2 == std::errc() && q == e && q != p + 1;
    }
    if (!ok || lo < 1 || lo > hi || hi > 65535)
      throw OptionError("--kernel-tcp-ports '" + v + "': bad item '" + item +
                        "' (expected PORT or LO-HI within 1-65535, comma-separated)");
    out.emplace_back(static_cast<uint16_t>(lo), static_cast<uint16_t>(hi));
    i = j + 1;
  }
  return out;
}

// Why an IPv6 address cannot be one of ours or a next hop (RFC 4291
// 2.5.2, 2.5.3, 2.5.5.2, 2.7), or nullptr.
const char* bad_unicast6(const net::Ipv6Addr& a) {
  if (a.is_zero()) return "is the unspecified address";
  if (a.is_multicast()) return "is multicast";
  if (a.is_loopback()) return "is the loopback address";
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.b.data(), kMapped, 12) == 0)
    return "is IPv4-mapped (use the IPv4 address itself)";
  return nullptr;
}

// The key side of --addr/--gateway: "PORT=VALUE" or "PORT.VLAN=VALUE"
// (IEEE 802.1Q: VLAN ids 1..4094; 0 is "no VLAN" and 4095 reserved).
std::pair<IfaceId, std::string> split_iface(const std::string& opt, const std::string& v) {
  const auto eq = v.find('=');
  const auto dot = v.find('.');
  if (dot == std::string::npos || eq == std::string::npos || dot > eq) {
    auto [port, rest] = split_port(opt, v);
    return {IfaceId{port}, rest};
  }
  auto [port, rest] = split_port(opt, v.substr(0, dot) + v.substr(eq));
  unsigned vlan = 0;
  const char* b = v.data() + dot + 1;
  const char* e = v.data() + eq;
  auto [p, ec] = std::from_chars(b, e, vlan);
  if (ec != std::errc() || p != e || vlan < 1 || vlan > net::kMaxVlan)
    throw OptionError("--" + opt + " '" + v + "': bad VLAN id '" + std::string(b, e) +
                      "' (1-4094)");
  return {IfaceId{port, static_cast<uint16_t>(vlan)}, rest};
}

// The value side of --addr PORT=VALUE (the key side is split_iface()):
// "ADDR/LEN" or "FIRST-LAST/LEN" of either family, checked against the
// port's other ranges of that family. v is the whole option for messages.
void add_addr_value(Options& o, IfaceId ifc, const std::string& v, const std::string& rest) {
  const net::AddrValue a = net::parse_addr_value(rest);
  if (!a.err.empty()) throw OptionError("--addr '" + v + "': " + a.err);
  const std::string where = " on port " + net::iface_name(ifc.port, ifc.vlan);
  if (a.v6) {
    for (const net::Ipv6Addr& e : {a.v6->addr, a.v6->last()}) {
      if (auto why = bad_unicast6(e))
        throw OptionError("--addr '" + v + "': " + net::to_string(e) + " " + why);
      if (e.is_link_local())
        throw OptionError("--addr '" + v + "': " + net::to_string(e) +
                          " is link-local: each port's comes from its MAC");
    }
    // The same address may be ours on two interfaces (two VLANs are two
    // links), not twice on one.
    for (const auto& x : o.addrs6)
      if (IfaceId{x.port, x.vlan} == ifc && net::overlaps(x.addr, *a.v6))
        throw OptionError("--addr '" + v + "': overlaps " + net::to_string(x.addr) + where);
    o.addrs6.push_back({ifc.port, *a.v6, ifc.vlan});
    return;
  }
  for (const net::Ipv4Addr e : {a.v4->addr, a.v4->last()})
    if (e.is_martian_source())
      throw OptionError("--addr '" + v + "': " + net::to_string(e) + " is not a unicast address");
  for (const auto& x : o.addrs)
    if (IfaceId{x.port, x.vlan} == ifc && net::overlaps(x.addr, *a.v4))
      throw OptionError("--addr '" + v + "': overlaps " + net::to_string(x.addr) + where);
  o.addrs.push_back({ifc.port, *a.v4, ifc.vlan});
}

// One --route value: "PREFIX/LEN=GATEWAY" of either family (net::parse_route),
// each prefix once. Which port takes it is the control plane's choice (the
// one with the gateway on-link: Plane::assign_routes()).
void add_route(Options& o, const std::string& v) {
  const net::RouteValue r = net::parse_route(v);
  if (!r.err.empty()) throw OptionError("--route '" + v + "': " + r.err);
  auto dup = [&](const auto& have, const auto& x) {
    for (const auto& y : have)
      if (y.len == x.len && y.prefix == x.prefix)
        throw OptionError("--route '" + v + "': " + net::prefix_string(x) +
                          " has a route already (" + net::to_string(y) + ")");
  };
  if (r.v6) {
    dup(o.routes6, *r.v6);
    o.routes6.push_back(*r.v6);
    return;
  }
  dup(o.routes, *r.v4);
  o.routes.push_back(*r.v4);
}

template <class T>
std::vector<T> list(const po::variables_map& vm, const char* key) {
  return vm.count(key) ? vm[key].as<std::vector<T>>() : std::vector<T>{};
}

// --kernel-port PORT[=IFNAME] (IFNAME: a Linux interface name, 1-15 bytes
// of [A-Za-z0-9_.-]) and --kernel-tcp-ports.
void parse_kernel(const po::variables_map& vm, Options& o) {
  for (const auto& v : list<std::string>(vm, "kernel-port")) {
    const bool named = v.find('=') != std::string::npos;
    auto [port, name] = split_port("kernel-port", named ? v : v + "=");
    if (!named) name = "pmxk" + std::to_string(port);
    const bool ok_name =
        !name.empty() && name.size() <= 15 && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
        });
    if (!ok_name)
      throw OptionError("--kernel-port '" + v + "': bad interface name '" + name +
                        "' (1-15 of A-Z a-z 0-9 _ . -)");
    if (!o.kernel_ports.emplace(port, name).second)
      throw OptionError("--kernel-port '" + v + "': port " + std::to_string(port) +
                        " has a kernel port already");
  }
  if (vm.count("kernel-tcp-ports")) {
    const std::string v = vm["kernel-tcp-ports"].as<std::string>();
    if (o.kernel_ports.empty())
      throw OptionError("--kernel-tcp-ports '" + v + "': needs --kernel-port");
    o.kernel_tcp_ports = parse_tcp_port_list(v);
  }
}

Options build(const po::variables_map& vm) {
  Options o;
  for (const auto& v : list<std::string>(vm, "addr")) {
    auto [ifc, rest] = split_iface("addr", v);
    add_addr_value(o, ifc, v, rest);
  }
  for (const auto& v : list<std::string>(vm, "gateway")) {
    auto [ifc, rest] = split_iface("gateway", v);
    const std::string name = "port " + net::iface_name(ifc.port, ifc.vlan);
    if (rest.find(':') != std::string::npos) {
      auto a = net::parse_ipv6(rest);
      if (!a) throw OptionError("--gateway '" + v + "': bad IPv6 address '" + rest + "'");
      if (auto why = bad_unicast6(*a))
        throw OptionError("--gateway '" + v + "': " + net::to_string(*a) + " " + why);
      if (!o.gateways6.emplace(ifc, *a).second)
        throw OptionError("--gateway '" + v + "': " + name + " has an IPv6 one already");
      continue;
    }
    auto a = net::parse_ipv4(rest);
    if (!a) throw OptionError("--gateway '" + v + "': bad address '" + rest + "'");
    if (!o.gateways.emplace(ifc, *a).second)
      throw OptionError("--gateway '" + v + "': " + name + " has an IPv4 one already");
  }
  for (const auto& v : list<std::string>(vm, "route")) add_route(o, v);
  o.dad_ms = vm["dad-ms"].as<unsigned>();
  if (o.dad_ms > 60000)
    throw OptionError("--dad-ms " + std::to_string(o.dad_ms) + ": must be 0..60000");
  for (const auto& v : list<std::string>(vm, "port-profile")) {
    auto [port, rest] = split_port("port-profile", v);
    if (rest.empty()) throw OptionError("--port-profile '" + v + "': empty profile name");
    o.port_profiles[port] = rest;
  }
  o.interactive = vm["interactive"].as<bool>();
  o.help = vm["help"].as<bool>();
  if (vm.count("cmdline-file")) o.cmdline_file = vm["cmdline-file"].as<std::string>();
  if (vm.count("cli-socket")) o.cli_socket = vm["cli-socket"].as<std::string>();
  o.stats_period = vm["stats-period"].as<unsigned>();
  if (vm.count("metrics")) {
    const auto& v = vm["metrics"].as<std::string>();
    const auto a = parse_listen_addr(v);
    if (!a) throw OptionError("--metrics '" + v + "': expected ADDR:PORT (e.g. 127.0.0.1:9464)");
    o.metrics_addr = a->first;
    o.metrics_port = a->second;
  }
  o.profile_dir = vm["profile-dir"].as<std::string>();
  o.mbufs = vm["mbufs"].as<unsigned>();
  o.neigh_entries = vm["neigh-entries"].as<unsigned>();
  o.neigh_reachable_s = vm["neigh-reachable"].as<unsigned>();
  if (o.neigh_entries == 0 || o.neigh_entries > (1u << 20))
    throw OptionError("--neigh-entries " + std::to_string(o.neigh_entries) +
                      ": must be 1..1048576");
  if (o.neigh_reachable_s == 0) throw OptionError("--neigh-reachable 0: must be at least 1");
  if (!o.cmdline_file.empty() && !std::ifstream(o.cmdline_file))
    throw OptionError("--cmdline-file '" + o.cmdline_file + "': cannot read it");
  for (const auto& v : list<std::string>(vm, "listen")) o.listen.push_back(parse_listen_option(v));
  o.max_flows = vm["max-flows"].as<unsigned>();
  o.msl_ms = vm["msl-ms"].as<unsigned>();
  o.tcp_buffer_kb = vm["tcp-buffer-kb"].as<unsigned>();
  o.tcp_buffers = vm["tcp-buffers"].as<unsigned>();
  o.tcp_keepalive = vm["tcp-keepalive"].as<bool>();
  if (const std::string sc = vm["syncookies"].as<std::string>(); sc == "auto")
    o.syncookies = tcp::SynCookies::Auto;
  else if (sc == "always")
    o.syncookies = tcp::SynCookies::Always;
  else if (sc == "off")
    o.syncookies = tcp::SynCookies::Off;
  else
    throw OptionError("--syncookies '" + sc + "': want auto, always or off");
  if (o.max_flows < 8 || o.max_flows > (1u << 26))
    throw OptionError("--max-flows " + std::to_string(o.max_flows) + ": must be 8..67108864");
  if (o.msl_ms == 0 || o.msl_ms > 600000)
    throw OptionError("--msl-ms " + std::to_string(o.msl_ms) + ": must be 1..600000");
  if (o.tcp_buffer_kb < 4 || o.tcp_buffer_kb > 16384)
    throw OptionError("--tcp-buffer-kb " + std::to_string(o.tcp_buffer_kb) + ": must be 4..16384");
  if (o.tcp_buffers < 2)
    throw OptionError("--tcp-buffers " + std::to_string(o.tcp_buffers) + ": must be at least 2");
  if (vm.count("gen")) {
    try {
      o.gen = gen::parse_spec(vm["gen"].as<std::string>());
    } catch (const gen::SpecError& e) {
      throw OptionError(std::string("--gen: ") + e.what());
    }
  }
  if (vm.count("gen-report")) {
    o.gen_report = vm["gen-report"].as<std::string>();
    if (!o.gen) throw OptionError("--gen-report '" + o.gen_report + "': needs --gen");
  }
  if (vm.count("scenario")) {
    o.scenario = vm["scenario"].as<std::string>();
    if (o.gen)
      throw OptionError("--scenario '" + o.scenario +
                        "': not with --gen (a scenario has its clients)");
  }
  if (vm.count("out")) {
    o.out_dir = vm["out"].as<std::string>();
    if (o.scenario.empty()) throw OptionError("--out '" + o.out_dir + "': needs --scenario");
  }
  parse_port_range(vm["ephemeral-ports"].as<std::string>(), o);
  parse_kernel(vm, o);
  if (o.cli_socket.size() >= 108)
    throw OptionError("--cli-socket '" + o.cli_socket + "': path longer than 107 bytes");
  return o;
}

}  // namespace

std::optional<std::pair<std::string, uint16_t>> parse_listen_addr(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return std::nullopt;
  std::string host = s.substr(0, colon);
  const bool v6 = host.front() == '[';
  if (v6) {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  unsigned char buf[16];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, host.c_str(), buf) != 1) return std::nullopt;
  unsigned port = 0;
  const char* b = s.data() + colon + 1;
  const char* e = s.data() + s.size();
  auto [p, ec] = std::from_chars(b, e, port);
  if (ec != std::errc() || p != e || port > 65535) return std::nullopt;
  return std::make_pair(host, static_cast<uint16_t>(port));
}

std::string usage() {
  std::ostringstream s;
  s << "usage: portmux [EAL options] -- [options]\n\n" << describe();
  return s.str();
}

namespace {
// Boost.Program_options 1.74 builds its error messages by replacing
// %placeholders% (%value%, %original_token%, ...) in a loop that never ends
// when the user's own text contains one (found by fuzz_options). Such words
// are refused before Boost sees them.
void refuse_placeholders(const std::string& where, const std::string& s) {
  for (size_t i = s.find('%'); i != std::string::npos; i = s.find('%', i + 1)) {
    size_t j = i + 1;
    while (j < s.size() && (std::islower(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
    if (j > i + 1 && j < s.size() && s[j] == '%')
      throw OptionError(where + "'" + s + "': '%name%' sequences are not accepted");
  }
}
}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  for (const auto& a : args) refuse_placeholders("", a);
  const auto desc = describe();
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("config")) {
      const auto path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in) throw OptionError("--config '" + path + "': cannot read it");
      for (std::string line; std::getline(in, line);) refuse_placeholders("--config: ", line);
      in.clear();
      in.seekg(0);
      // Command-line values win: store() keeps the first value of a key.
      po::store(po::parse_config_file(in, desc, false), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw OptionError(e.what());
  }
  return build(vm);
}

}  // namespace pmx::control
