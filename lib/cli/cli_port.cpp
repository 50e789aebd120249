// CLI: ports. show port info|stats|xstats, clear port stats, port start|stop.
#include "cli/cli.hpp"
#include "cli/cli_tokens.hpp"
#include "control/plane.hpp"
#include "net/addr.hpp"

#include <rte_ethdev.h>

#include <cinttypes>
#include <cstring>
#include <vector>

namespace pmx::control {
namespace {

// Interface i's layer 3, each line after indent.
void print_iface(cmdline* cl, const Plane& pl, uint16_t i, const char* in) {
  const net::PortIp& ip = pl.shared().ifaces[i];
  // A range prints as FIRST-LAST/LEN with its size (docs/cli.md).
  auto size = [](uint32_t n) { return n == 1 ? std::string() : " (" + std::to_string(n) + ")"; };
  for (uint8_t k = 0; k < ip.naddrs; ++k)
    cmdline_printf(cl, "%sIPv4 address: %s%s\n", in, net::to_string(ip.addrs[k]).c_str(),
                   size(ip.addrs[k].count).c_str());
  cmdline_printf(cl, "%sGateway: %s\n", in,
                 ip.gateway.is_zero() ? "none" : net::to_string(ip.gateway).c_str());
  cmdline_printf(cl, "%sIPv6 link-local: %s/64\n", in, net::to_string(ip.link_local).c_str());
  for (uint8_t k = 0; k < ip.naddrs6; ++k)
    cmdline_printf(cl, "%sIPv6 address: %s%s\n", in, net::to_string(ip.addrs6[k]).c_str(),
                   size(ip.addrs6[k].count).c_str());
  for (const auto& a : pl.duplicates6(i))
    cmdline_printf(cl, "%sIPv6 duplicate: %s (in use on the link: not used)\n", in,
                   net::to_string(a).c_str());
  cmdline_printf(cl, "%sIPv6 gateway: %s\n", in,
                 ip.gateway6.is_zero() ? "none" : net::to_string(ip.gateway6).c_str());
}

// Interface i's layer 3 as JSON members: "addresses" (IPv4), "gateway",
// "link_local", "addresses6", "duplicates6", "gateway6" (null: none);
// an address "ADDR/LEN" or "FIRST-LAST/LEN" as the text view prints it,
// with its size in "count".
void iface_json(Json& j, const Plane& pl, uint16_t i) {
  const net::PortIp& ip = pl.shared().ifaces[i];
  j.key("addresses").arr();
  for (uint8_t k = 0; k < ip.naddrs; ++k)
    j.obj().kv("address", net::to_string(ip.addrs[k])).kv("count", ip.addrs[k].count).end();
  j.end().key("gateway");
  ip.gateway.is_zero() ? j.null() : j.str(net::to_string(ip.gateway));
  j.kv("link_local", net::to_string(ip.link_local) + "/64").key("addresses6").arr();
  for (uint8_t k = 0; k < ip.naddrs6; ++k)
    j.obj().kv("address", net::to_string(ip.addrs6[k])).kv("count", ip.addrs6[k].count).end();
  j.end().key("duplicates6").arr();
  for (const auto& a : pl.duplicates6(i)) j.str(net::to_string(a));
  j.end().key("gateway6");
  ip.gateway6.is_zero() ? j.null() : j.str(net::to_string(ip.gateway6));
}

void info_json(Json& j, const Plane& pl, uint16_t id) {
  const port::PortState& p = pl.port(id);
  rte_eth_link link{};
  rte_eth_link_get_nowait(id, &link);
  j.obj()
      .kv("port", id)
      .kv("mac", net::to_string(p.mac))
      .kv("driver", p.driver)
      .key("profile")
      .obj()
      .kv("name", p.profile.name)
      .kv("path", p.profile.path)
      .end()
      .kv("state", std::string_view(!p.started ? "stopped"
                                    : p.paused ? "started, paused"
                                               : "started"))
      .key("link")
      .obj()
      .kv("up", link.link_status == RTE_ETH_LINK_UP)
      .kv("speed_mbps", link.link_speed)
      .kv("full_duplex", link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX)
      .end()
      .kv("mtu", p.mtu)
      .kv("queue_pairs", p.nb_queues)
      .kv("rx_offloads", port::rx_offloads_to_string(p.rx_offloads))
      .kv("tx_offloads", port::tx_offloads_to_string(p.tx_offloads))
      .kv("rss_hf", p.rss_hf);
  if (const Plane::KernelPort* k = pl.kernel_port(id))
    j.key("kernel_port").obj().kv("interface", k->ifname).kv("ethdev", k->tap).end();
  j.key("interfaces").arr();
  const auto& ifaces = pl.shared().ifaces;
  for (uint16_t i = 0; i < ifaces.size(); ++i) {
    if (ifaces[i].port_id != id) continue;
    j.obj().kv("interface", net::iface_name(ifaces[i])).kv("vlan", ifaces[i].vlan);
    j.kv("enabled", pl.iface_enabled(i));  // false: untagged frames dropped (VLANs only)
    if (pl.iface_enabled(i)) iface_json(j, pl, i);
    j.end();
  }
  j.end().end();
}

void stats_json(Json& j, Plane& pl, uint16_t id) {
  rte_eth_stats s{};
  rte_eth_stats_get(id, &s);
  j.obj()
      .kv("port", id)
      .kv("rx_packets", s.ipackets)
      .kv("rx_missed", s.imissed)
      .kv("rx_bytes", s.ibytes)
      .kv("rx_errors", s.ierrors)
      .kv("rx_nombuf", s.rx_nombuf)
      .kv("tx_packets", s.opackets)
      .kv("tx_errors", s.oerrors)
      .kv("tx_bytes", s.obytes);
  if (auto k = pl.kernel_ring(id))
    j.kv("rx_kernel_drops", k->drops).kv("rx_kernel_frames", k->frames);
  j.end();
}

void xstats_json(Json& j, Plane& pl, uint16_t id) {
  j.obj().kv("port", id).key("xstats").obj();
  const int n = rte_eth_xstats_get_names(id, nullptr, 0);
  std::vector<rte_eth_xstat_name> names(n > 0 ? n : 0);
  std::vector<rte_eth_xstat> vals(n > 0 ? n : 0);
  if (n > 0 && rte_eth_xstats_get_names(id, names.data(), n) == n &&
      rte_eth_xstats_get(id, vals.data(), n) == n)
    for (int i = 0; i < n; ++i) j.kv(names[vals[i].id].name, vals[i].value);
  if (auto k = pl.kernel_ring(id)) j.kv("rx_kernel_drops", k->drops);
  j.end().end();
}

void print_info(cmdline* cl, const Plane& pl, uint16_t id) {
  const port::PortState& p = pl.port(id);
  rte_eth_link link{};
  rte_eth_link_get_nowait(id, &link);
  char linktxt[RTE_ETH_LINK_MAX_STR_LEN];
  rte_eth_link_to_str(linktxt, sizeof linktxt, &link);
  cmdline_printf(cl, "\n********************* Infos for port %-2u *********************\n", id);
  cmdline_printf(cl, "MAC address: %s\n", net::to_string(p.mac).c_str());
  cmdline_printf(cl, "Driver name: %s\n", p.driver.c_str());
  cmdline_printf(cl, "Profile: %s (%s)\n", p.profile.name.c_str(), p.profile.path.c_str());
  cmdline_printf(cl, "Port state: %s\n",
                 !p.started ? "stopped"
                 : p.paused ? "started, paused"
                            : "started");
  cmdline_printf(cl, "Link: %s\n", linktxt);
  cmdline_printf(cl, "MTU: %u\n", p.mtu);
  cmdline_printf(cl, "Queue pairs: %u (one per worker)\n", p.nb_queues);
  cmdline_printf(cl, "RX offloads: %s\n", port::rx_offloads_to_string(p.rx_offloads).c_str());
  cmdline_printf(cl, "TX offloads: %s\n", port::tx_offloads_to_string(p.tx_offloads).c_str());
  cmdline_printf(cl, "RSS hash functions: 0x%" PRIx64 "\n", p.rss_hf);
  if (const Plane::KernelPort* k = pl.kernel_port(id))
    cmdline_printf(cl, "Kernel port: %s (TAP, ethdev %u)\n", k->ifname.c_str(), k->tap);
  const auto& ifaces = pl.shared().ifaces;
  for (uint16_t i = 0; i < ifaces.size(); ++i) {
    if (ifaces[i].port_id != id) continue;
    if (!pl.iface_enabled(i)) {
      cmdline_printf(cl, "Untagged frames: dropped (every interface of the port is a VLAN)\n");
      continue;
    }
    if (ifaces[i].vlan)
      cmdline_printf(cl, "VLAN %u (interface %s):\n", ifaces[i].vlan,
                     net::iface_name(ifaces[i]).c_str());
    print_iface(cl, pl, i, ifaces[i].vlan ? "  " : "");
  }
}

void print_stats(cmdline* cl, Plane& pl, uint16_t id) {
  rte_eth_stats s{};
  rte_eth_stats_get(id, &s);
  cmdline_printf(
      cl, "\n  ######################## NIC statistics for port %-2u ########################\n",
      id);
  cmdline_printf(cl,
                 "  RX-packets: %-10" PRIu64 " RX-missed: %-10" PRIu64 " RX-bytes:  %" PRIu64 "\n",
                 s.ipackets, s.imissed, s.ibytes);
  // net_af_packet: frames the kernel dropped, its ring full (RX-missed
  // stays 0 on that PMD; port/kernel_ring.hpp).
  if (auto k = pl.kernel_ring(id))
    cmdline_printf(cl, "  RX-kernel-drops: %-10" PRIu64 " RX-kernel-frames: %" PRIu64 "\n",
                   k->drops, k->frames);
  cmdline_printf(cl, "  RX-errors: %" PRIu64 "\n  RX-nombuf:  %-10" PRIu64 "\n", s.ierrors,
                 s.rx_nombuf);
  cmdline_printf(cl,
                 "  TX-packets: %-10" PRIu64 " TX-errors: %-10" PRIu64 " TX-bytes:  %" PRIu64 "\n",
                 s.opackets, s.oerrors, s.obytes);
  cmdline_printf(
      cl, "  ############################################################################\n");
}

void print_xstats(cmdline* cl, Plane& pl, uint16_t id) {
  const int n = rte_eth_xstats_get_names(id, nullptr, 0);
  if (n < 0) return;
  std::vector<rte_eth_xstat_name> names(n);
  std::vector<rte_eth_xstat> vals(n);
  if (rte_eth_xstats_get_names(id, names.data(), n) != n ||
      rte_eth_xstats_get(id, vals.data(), n) != n)
    return;
  cmdline_printf(cl, "###### NIC extended statistics for port %-2u\n", id);
  for (int i = 0; i < n; ++i)
    cmdline_printf(cl, "%s: %" PRIu64 "\n", names[vals[i].id].name, vals[i].value);
  if (auto k = pl.kernel_ring(id)) cmdline_printf(cl, "rx_kernel_drops: %" PRIu64 "\n", k->drops);
}

// --- show port info|stats|xstats <id|all>
struct ShowPort {
  cmdline_fixed_string_t show, port, what, which;
};
cmdline_parse_token_string_t show_port_show = PMX_KEYWORD(ShowPort, show, "show");
cmdline_parse_token_string_t show_port_port = PMX_KEYWORD(ShowPort, port, "port");
cmdline_parse_token_string_t show_port_what = PMX_KEYWORD(ShowPort, what, "info#stats#xstats");
cmdline_parse_token_string_t show_port_which = PMX_WORD(ShowPort, which);

void show_port(void* res, cmdline* cl, void* data) {
  auto* r = static_cast<ShowPort*>(res);
  Cli& c = cli_of(data);
  auto ports = port_list(c, cl, r->which);
  if (!ports) return;
  if (c.json) {  // {"ports": [one object per port]}
    Json j;
    j.obj().key("ports").arr();
    for (uint16_t id : *ports) {
      if (!std::strcmp(r->what, "info"))
        info_json(j, c.plane, id);
      else if (!std::strcmp(r->what, "stats"))
        stats_json(j, c.plane, id);
      else
        xstats_json(j, c.plane, id);
    }
    return emit(cl, j.end().end());
  }
  for (uint16_t id : *ports) {
    if (!std::strcmp(r->what, "info"))
      print_info(cl, c.plane, id);
    else if (!std::strcmp(r->what, "stats"))
      print_stats(cl, c.plane, id);
    else
      print_xstats(cl, c.plane, id);
  }
}

cmdline_parse_inst_t cmd_show_port = {
    show_port,
    nullptr,
    "show port info|stats|xstats <id|all>: port details and counters",
    {(cmdline_parse_token_hdr_t*)&show_port_show, (cmdline_parse_token_hdr_t*)&show_port_port,
     (cmdline_parse_token_hdr_t*)&show_port_what, (cmdline_parse_token_hdr_t*)&show_port_which,
     nullptr}};

// --- show interfaces: one row per interface (a port's untagged one, then
// the VLANs), with the frames each received and sent (summed over workers).
struct ShowIfaces {
  cmdline_fixed_string_t show, ifaces;
};
cmdline_parse_token_string_t show_ifaces_show = PMX_KEYWORD(ShowIfaces, show, "show");
cmdline_parse_token_string_t show_ifaces_ifaces = PMX_KEYWORD(ShowIfaces, ifaces, "interfaces");

std::string iface_addrs(const net::PortIp& ip) {
  std::string s;
  for (uint8_t k = 0; k < ip.naddrs; ++k) s += (s.empty() ? "" : " ") + net::to_string(ip.addrs[k]);
  for (uint8_t k = 0; k < ip.naddrs6; ++k)
    s += (s.empty() ? "" : " ") + net::to_string(ip.addrs6[k]);
  return s.empty() ? "-" : s;
}

// {"interfaces": [{"interface", "port", "vlan", "mac", "enabled", "rx_frames",
// "tx_frames" (null past the 16th interface), "addresses": [ADDR/LEN...]}]}
void ifaces_json(cmdline* cl, const Plane& pl) {
  using P = stats::Counters;
  Json j;
  j.obj().key("interfaces").arr();
  const auto& ifaces = pl.shared().ifaces;
  for (uint16_t i = 0; i < ifaces.size(); ++i) {
    const net::PortIp& ip = ifaces[i];
    j.obj()
        .kv("interface", net::iface_name(ip))
        .kv("port", ip.port_id)
        .kv("vlan", ip.vlan)
        .kv("mac", net::to_string(ip.mac))
        .kv("enabled", pl.iface_enabled(i));
    uint64_t rx = 0, tx = 0;
    for (const auto& w : pl.workers()) {
      if (i >= P::kIfaces) break;
      rx += w->counters().get_port(i, P::kIfaceRxFrames);
      tx += w->counters().get_port(i, P::kIfaceTxFrames);
    }
    const bool split = i < P::kIfaces && pl.iface_enabled(i);
    j.key("rx_frames");
    split ? j.num(rx) : j.null();
    j.key("tx_frames");
    split ? j.num(tx) : j.null();
    j.key("addresses").arr();
    for (uint8_t k = 0; k < ip.naddrs; ++k) j.str(net::to_string(ip.addrs[k]));
    for (uint8_t k = 0; k < ip.naddrs6; ++k) j.str(net::to_string(ip.addrs6[k]));
    j.end().end();
  }
  emit(cl, j.end().end());
}

void show_ifaces(void*, cmdline* cl, void* data) {
  const Plane& pl = cli_of(data).plane;
  if (cli_of(data).json) return ifaces_json(cl, pl);
  using P = stats::Counters;
  cmdline_printf(cl, "%-9s %-4s %-4s %-17s %12s %12s  %s\n", "Interface", "Port", "VLAN", "MAC",
                 "RX-frames", "TX-frames", "Addresses");
  const auto& ifaces = pl.shared().ifaces;
  for (uint16_t i = 0; i < ifaces.size(); ++i) {
    const net::PortIp& ip = ifaces[i];
    if (!pl.iface_enabled(i)) {
      cmdline_printf(cl, "%-9s %-4u %-4s %-17s %12s %12s  %s\n", net::iface_name(ip).c_str(),
                     ip.port_id, "-", net::to_string(ip.mac).c_str(), "-", "-",
                     "(untagged frames dropped: vlan_untagged)");
      continue;
    }
    uint64_t rx = 0, tx = 0;
    for (const auto& w : pl.workers()) {
      if (i >= P::kIfaces) break;
      rx += w->counters().get_port(i, P::kIfaceRxFrames);
      tx += w->counters().get_port(i, P::kIfaceTxFrames);
    }
    const std::string vlan = ip.vlan ? std::to_string(ip.vlan) : "-";
    const std::string nrx = i < P::kIfaces ? std::to_string(rx) : "-";
    const std::string ntx = i < P::kIfaces ? std::to_string(tx) : "-";
    cmdline_printf(cl, "%-9s %-4u %-4s %-17s %12s %12s  %s\n", net::iface_name(ip).c_str(),
                   ip.port_id, vlan.c_str(), net::to_string(ip.mac).c_str(), nrx.c_str(),
                   ntx.c_str(), iface_addrs(ip).c_str());
  }
}

cmdline_parse_inst_t cmd_show_ifaces = {
    show_ifaces,
    nullptr,
    "show interfaces: each port's untagged interface and its VLANs, addresses, frames",
    {(cmdline_parse_token_hdr_t*)&show_ifaces_show, (cmdline_parse_token_hdr_t*)&show_ifaces_ifaces,
     nullptr}};

// --- clear port stats <id|all>
struct ClearPort {
  cmdline_fixed_string_t clear, port, stats, which;
};
cmdline_parse_token_string_t clear_port_clear = PMX_KEYWORD(ClearPort, clear, "clear");
cmdline_parse_token_string_t clear_port_port = PMX_KEYWORD(ClearPort, port, "port");
cmdline_parse_token_string_t clear_port_stats = PMX_KEYWORD(ClearPort, stats, "stats");
cmdline_parse_token_string_t clear_port_which = PMX_WORD(ClearPort, which);

void clear_port(void* res, cmdline* cl, void* data) {
  auto* r = static_cast<ClearPort*>(res);
  Cli& c = cli_of(data);
  auto ports = port_list(c, cl, r->which);
  if (!ports) return;
  for (uint16_t id : *ports) {
    rte_eth_stats_reset(id);
    rte_eth_xstats_reset(id);
    cmdline_printf(cl, "  NIC statistics for port %u cleared\n", id);
  }
}

cmdline_parse_inst_t cmd_clear_port = {
    clear_port,
    nullptr,
    "clear port stats <id|all>: zero the port's counters",
    {(cmdline_parse_token_hdr_t*)&clear_port_clear, (cmdline_parse_token_hdr_t*)&clear_port_port,
     (cmdline_parse_token_hdr_t*)&clear_port_stats, (cmdline_parse_token_hdr_t*)&clear_port_which,
     nullptr}};

// --- port start|stop|pause|resume <id|all>
struct PortOp {
  cmdline_fixed_string_t port, op, which;
};
cmdline_parse_token_string_t port_op_port = PMX_KEYWORD(PortOp, port, "port");
cmdline_parse_token_string_t port_op_op = PMX_KEYWORD(PortOp, op, "start#stop#pause#resume");
cmdline_parse_token_string_t port_op_which = PMX_WORD(PortOp, which);

void port_op(void* res, cmdline* cl, void* data) {
  auto* r = static_cast<PortOp*>(res);
  Cli& c = cli_of(data);
  auto ports = port_list(c, cl, r->which);
  if (!ports) return;
  const std::string op = r->op;
  for (uint16_t id : *ports) {
    std::string err = op == "start"   ? c.plane.port_start(id)
                      : op == "stop"  ? c.plane.port_stop(id)
                      : op == "pause" ? c.plane.port_pause(id)
                                      : c.plane.port_resume(id);
    if (!err.empty())
      fail(c, cl, "%s", err.c_str());
    else
      cmdline_printf(cl, "Port %u %s\n", id,
                     (op == "stop"    ? "stopped"
                      : op == "start" ? "started"
                                      : op + "d")
                         .c_str());
  }
}

cmdline_parse_inst_t cmd_port_op = {
    port_op,
    nullptr,
    "port start|stop|pause|resume <id|all>: start or stop ports (workers pause them first); "
    "pause/resume polling only",
    {(cmdline_parse_token_hdr_t*)&port_op_port, (cmdline_parse_token_hdr_t*)&port_op_op,
     (cmdline_parse_token_hdr_t*)&port_op_which, nullptr}};

}  // namespace

void register_port_commands(std::vector<cmdline_parse_inst_t*>& out) {
  out.insert(out.end(), {&cmd_show_port, &cmd_show_ifaces, &cmd_clear_port, &cmd_port_op});
}

}  // namespace pmx::control
