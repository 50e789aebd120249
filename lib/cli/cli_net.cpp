// CLI: layer 2/3. show arp, show neigh, show routes, show ip stats.
#include "cli/cli.hpp"
#include "cli/cli_tokens.hpp"
#include "control/plane.hpp"
#include "net/addr.hpp"
#include "net/route.hpp"

#include <algorithm>
#include <cinttypes>
#include <string>
#include <vector>

namespace pmx::control {
namespace {

// --- show arp
struct ShowArp {
  cmdline_fixed_string_t show, arp;
};
cmdline_parse_token_string_t show_arp_show = PMX_KEYWORD(ShowArp, show, "show");
cmdline_parse_token_string_t show_arp_arp = PMX_KEYWORD(ShowArp, arp, "arp");

// One row per entry of every worker's neighbour table; v4_only: the IPv4
// rows (show arp). The address column fits the longest address shown.
// Port: the interface the neighbour is on ("0", or "0.100" on VLAN 100).
void print_neigh(cmdline* cl, const Plane& pl, const std::vector<worker::NeighRow>& rows,
                 bool v4_only) {
  int width = 15;  // "255.255.255.255"
  for (const auto& r : rows)
    if (!v4_only || !r.ip.v6)
      width = std::max(width, static_cast<int>(net::to_string(r.ip).size()));
  cmdline_printf(cl, "%-6s %-7s %-*s %-17s %-10s %10s %7s\n", "Lcore", "Port", width, "Address",
                 "HWaddress", "State", "Age(ms)", "Pending");
  for (const auto& r : rows) {
    if (v4_only && r.ip.v6) continue;
    const bool resolved = r.state != net::NeighState::Incomplete;
    cmdline_printf(cl, "%-6u %-7s %-*s %-17s %-10s %10s %7u\n", r.lcore,
                   net::iface_name(pl.shared().ifaces[r.iface]).c_str(), width,
                   net::to_string(r.ip).c_str(), resolved ? net::to_string(r.mac).c_str() : "-",
                   net::to_string(r.state), resolved ? std::to_string(r.age_ms).c_str() : "-",
                   r.pending);
  }
}

// {"neighbours": [{"lcore", "interface", "address", "mac" (null while
// incomplete), "state", "age_ms" (null while incomplete), "pending"}]}
void neigh_json(cmdline* cl, const Plane& pl, const std::vector<worker::NeighRow>& rows,
                bool v4_only) {
  Json j;
  j.obj().key("neighbours").arr();
  for (const auto& r : rows) {
    if (v4_only && r.ip.v6) continue;
    const bool resolved = r.state != net::NeighState::Incomplete;
    j.obj()
        .kv("lcore", r.lcore)
        .kv("interface", net::iface_name(pl.shared().ifaces[r.iface]))
        .kv("address", net::to_string(r.ip));
    j.key("mac");
    resolved ? j.str(net::to_string(r.mac)) : j.null();
    j.kv("state", std::string_view(net::to_string(r.state))).key("age_ms");
    resolved ? j.num(uint64_t{r.age_ms}) : j.null();
    j.kv("pending", r.pending).end();
  }
  emit(cl, j.end().end());
}

void show_arp(void*, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  Plane& pl = c.plane;
  if (c.json) return neigh_json(cl, pl, pl.neighbours(), true);
  print_neigh(cl, pl, pl.neighbours(), true);
}

cmdline_parse_inst_t cmd_show_arp = {show_arp,
                                     nullptr,
                                     "show arp: every worker's IPv4 neighbours (ARP)",
                                     {(cmdline_parse_token_hdr_t*)&show_arp_show,
                                      (cmdline_parse_token_hdr_t*)&show_arp_arp, nullptr}};

// --- show neigh
struct ShowNeigh {
  cmdline_fixed_string_t show, neigh;
};
cmdline_parse_token_string_t show_neigh_show = PMX_KEYWORD(ShowNeigh, show, "show");
cmdline_parse_token_string_t show_neigh_neigh = PMX_KEYWORD(ShowNeigh, neigh, "neigh");

void show_neigh(void*, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  Plane& pl = c.plane;
  if (c.json) return neigh_json(cl, pl, pl.neighbours(), false);
  print_neigh(cl, pl, pl.neighbours(), false);
}

cmdline_parse_inst_t cmd_show_neigh = {
    show_neigh,
    nullptr,
    "show neigh: every worker's neighbour table, IPv4 (ARP) and IPv6 (ND)",
    {(cmdline_parse_token_hdr_t*)&show_neigh_show, (cmdline_parse_token_hdr_t*)&show_neigh_neigh,
     nullptr}};

// --- show routes
struct ShowRoutes {
  cmdline_fixed_string_t show, routes;
};
cmdline_parse_token_string_t show_routes_show = PMX_KEYWORD(ShowRoutes, show, "show");
cmdline_parse_token_string_t show_routes_routes = PMX_KEYWORD(ShowRoutes, routes, "routes");

// One row: port, destination prefix, gateway ("-": on-link), kind.
struct RouteRow {
  std::string port;  // the interface: "0", or "0.100" on VLAN 100
  std::string dst, gw;
  const char* kind;
};

// A port's rows of one family in the order PortIp::next_hop tries them:
// the subnets of its ranges (each once), the routes longest first, the
// default gateway. conn: the connected prefixes (PREFIX/LEN strings).
template <class A>
void family_rows(std::vector<RouteRow>& out, const std::string& port,
                 const std::vector<std::string>& conn, const net::RouteTable<A>& routes,
                 const A& gw, const char* any) {
  for (const auto& c : conn) out.push_back({port, c, "-", "connected"});
  for (const auto& r : routes)
    out.push_back({port, net::prefix_string(r), net::to_string(r.gateway), "route"});
  if (!gw.is_zero()) out.push_back({port, any, net::to_string(gw), "default"});
}

template <class R>
void add_once(std::vector<std::string>& v, const R& r) {
  std::string s = net::prefix_string(r);
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

void show_routes(void*, cmdline* cl, void* data) {
  const Plane& pl = cli_of(data).plane;
  std::vector<RouteRow> rows;
  for (uint16_t f = 0; f < pl.shared().ifaces.size(); ++f) {
    if (!pl.iface_enabled(f)) continue;
    const net::PortIp& ip = pl.shared().ifaces[f];
    const std::string p = net::iface_name(ip);  // "0", or "0.100" for a VLAN
    std::vector<std::string> conn;
    for (uint8_t i = 0; i < ip.naddrs; ++i) {
      const net::Ifaddr& a = ip.addrs[i];
      add_once(conn, net::Route4{net::masked(a.addr, a.prefix), a.prefix, {}});
    }
    family_rows(rows, p, conn, ip.routes, ip.gateway, "0.0.0.0/0");
    conn = {"fe80::/64"};  // the link-local address's (RFC 4291 2.5.6)
    for (uint8_t i = 0; i < ip.naddrs6; ++i) {
      const net::Ifaddr6& a = ip.addrs6[i];
      add_once(conn, net::Route6{net::masked(a.addr, a.prefix), a.prefix, {}});
    }
    family_rows(rows, p, conn, ip.routes6, ip.gateway6, "::/0");
  }
  if (cli_of(data)
          .json) {  // {"routes": [{"interface", "destination", "gateway" (null: on-link), "kind"}]}
    Json j;
    j.obj().key("routes").arr();
    for (const auto& r : rows) {
      j.obj().kv("interface", r.port).kv("destination", r.dst).key("gateway");
      r.gw == "-" ? j.null() : j.str(r.gw);
      j.kv("kind", std::string_view(r.kind)).end();
    }
    return emit(cl, j.end().end());
  }
  int wd = 18, wg = 15;  // "255.255.255.255/32", "255.255.255.255"
  for (const auto& r : rows) {
    wd = std::max(wd, static_cast<int>(r.dst.size()));
    wg = std::max(wg, static_cast<int>(r.gw.size()));
  }
  cmdline_printf(cl, "%-7s %-*s %-*s %s\n", "Port", wd, "Destination", wg, "Gateway", "Kind");
  for (const auto& r : rows)
    cmdline_printf(cl, "%-7s %-*s %-*s %s\n", r.port.c_str(), wd, r.dst.c_str(), wg, r.gw.c_str(),
                   r.kind);
}

cmdline_parse_inst_t cmd_show_routes = {
    show_routes,
    nullptr,
    "show routes: per port, both families, in lookup order: connected subnets, routes, default",
    {(cmdline_parse_token_hdr_t*)&show_routes_show, (cmdline_parse_token_hdr_t*)&show_routes_routes,
     nullptr}};

// --- show ip stats
struct ShowIpStats {
  cmdline_fixed_string_t show, ip, stats;
};
cmdline_parse_token_string_t show_ip_show = PMX_KEYWORD(ShowIpStats, show, "show");
cmdline_parse_token_string_t show_ip_ip = PMX_KEYWORD(ShowIpStats, ip, "ip");
cmdline_parse_token_string_t show_ip_stats = PMX_KEYWORD(ShowIpStats, stats, "stats");

void show_ip_stats_fn(void*, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  if (c.json) {
    Json j;
    j.obj();
    counter_table_json(c.plane, j, "");
    return emit(cl, j.end());
  }
  print_counter_table(c.plane, cl, "");
}

cmdline_parse_inst_t cmd_show_ip_stats = {
    show_ip_stats_fn,
    nullptr,
    "show ip stats: Ethernet/ARP/IPv4/ICMP counters and drops by reason",
    {(cmdline_parse_token_hdr_t*)&show_ip_show, (cmdline_parse_token_hdr_t*)&show_ip_ip,
     (cmdline_parse_token_hdr_t*)&show_ip_stats, nullptr}};

}  // namespace

// One row per counter: name, total over workers, then each worker's value.
// Events first, then drops (each dropped frame is in exactly one drop row).
// The TCP counters (named tcp_*) go to `show tcp stats`, the generator's
// (gen_*) to `show gen stats`, the others here.
void print_counter_table(const Plane& pl, cmdline* cl, std::string_view prefix) {
  const auto area = [](std::string_view name) -> std::string_view {
    for (std::string_view p : {"tcp_", "gen_"})
      if (name.starts_with(p)) return p;
    return "";
  };
  const auto& ws = pl.workers();
  for (bool drops : {false, true}) {
    bool any = false;  // the generator has no drop counters: no empty section
    for (const auto& info : stats::kCounterInfo)
      any |= info.drop == drops && area(info.name) == prefix;
    if (!any) continue;
    cmdline_printf(cl, "%s %-26s %12s", drops ? "\nDrops" : "Events", "", "total");
    for (const auto& w : ws) cmdline_printf(cl, " %11s%-3u", "lcore", w->lcore());
    cmdline_printf(cl, "\n");
    for (size_t i = 0; i < stats::kNumCounters; ++i) {
      const auto& info = stats::kCounterInfo[i];
      if (info.drop != drops || area(info.name) != prefix) continue;
      cmdline_printf(cl, "  %-30.*s %12" PRIu64, static_cast<int>(info.name.size()),
                     info.name.data(), pl.counter_total(i));
      for (const auto& w : ws) cmdline_printf(cl, " %14" PRIu64, w->counters().load(i));
      cmdline_printf(cl, "\n");
    }
  }
}

void register_net_commands(std::vector<cmdline_parse_inst_t*>& out) {
  out.insert(out.end(), {&cmd_show_arp, &cmd_show_neigh, &cmd_show_routes, &cmd_show_ip_stats});
}

void counter_table_json(const Plane& pl, Json& j, std::string_view prefix) {
  const auto area = [](std::string_view name) -> std::string_view {
    for (std::string_view p : {"tcp_", "gen_"})
      if (name.starts_with(p)) return p;
    return "";
  };
  for (bool drops : {false, true}) {
    bool any = false;
    for (const auto& info : stats::kCounterInfo)
      any |= info.drop == drops && area(info.name) == prefix;
    if (!any) continue;
    j.key(drops ? "drops" : "events").obj();
    for (size_t i = 0; i < stats::kNumCounters; ++i) {
      const auto& info = stats::kCounterInfo[i];
      if (info.drop != drops || area(info.name) != prefix) continue;
      j.key(info.name).obj().kv("total", pl.counter_total(i)).key("lcores").obj();
      for (const auto& w : pl.workers()) j.kv(std::to_string(w->lcore()), w->counters().load(i));
      j.end().end();
    }
    j.end();
  }
}

}  // namespace pmx::control
