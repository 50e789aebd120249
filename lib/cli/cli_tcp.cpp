// CLI: TCP. show connections | listeners | flowtable | tcp stats,
// listen <ip> <port> <service> [key value]..., unlisten <ip> <port>.
#include "cli/cli.hpp"
#include "cli/cli_tokens.hpp"
#include "config/listen_spec.hpp"
#include "control/conn_table.hpp"
#include "control/plane.hpp"
#include "net/addr.hpp"
#include "service/catalog.hpp"

#include <algorithm>
#include <cinttypes>
#include <sstream>

namespace pmx::control {
namespace {

// --- show connections: netstat's shape, plus the owning lcore.
struct ShowConns {
  cmdline_fixed_string_t show, what;
};
cmdline_parse_token_string_t show_conns_show = PMX_KEYWORD(ShowConns, show, "show");
cmdline_parse_token_string_t show_conns_what = PMX_KEYWORD(ShowConns, what, "connections");

// {"connections": [{"proto", "recv_q", "send_q", "local", "foreign", "state",
// "lcore" (null for a listener)}]}: the same rows as the text.
void conns_json(cmdline* cl, Plane& pl) {
  Json j;
  j.obj().key("connections").arr();
  for (const auto& l : connection_lines(pl)) {
    j.obj()
        .kv("proto", l[0])
        .kv("recv_q", std::stoull(l[1]))
        .kv("send_q", std::stoull(l[2]))
        .kv("local", l[3])
        .kv("foreign", l[4])
        .kv("state", l[5])
        .key("lcore");
    l[6] == "-" ? j.null() : j.num(uint64_t{std::stoull(l[6])});
    j.end();
  }
  emit(cl, j.end().end());
}

void show_conns(void*, cmdline* cl, void* data) {
  if (cli_of(data).json) return conns_json(cl, cli_of(data).plane);
  const auto c = kConnColumns;
  cmdline_printf(cl, "%-5s %6s %6s %-23s %-23s %-11s %s\n", c[0], c[1], c[2], c[3], c[4], c[5],
                 c[6]);
  for (const auto& l : connection_lines(cli_of(data).plane))
    cmdline_printf(cl, "%-5s %6s %6s %-23s %-23s %-11s %s\n", l[0].c_str(), l[1].c_str(),
                   l[2].c_str(), l[3].c_str(), l[4].c_str(), l[5].c_str(), l[6].c_str());
}

cmdline_parse_inst_t cmd_show_conns = {
    show_conns,
    nullptr,
    "show connections: listeners and every worker's connections (netstat -tan style)",
    {(cmdline_parse_token_hdr_t*)&show_conns_show, (cmdline_parse_token_hdr_t*)&show_conns_what,
     nullptr}};

// --- show listeners
struct ShowListeners {
  cmdline_fixed_string_t show, what;
};
cmdline_parse_token_string_t show_lis_show = PMX_KEYWORD(ShowListeners, show, "show");
cmdline_parse_token_string_t show_lis_what = PMX_KEYWORD(ShowListeners, what, "listeners");

void show_listeners(void*, cmdline* cl, void* data) {
  Plane& pl = cli_of(data).plane;
  if (cli_of(data).json) {  // {"listeners": [{"address", "service", "backlog", ...}]}
    Json j;
    j.obj().key("listeners").arr();
    for (const auto& r : listener_rows(pl))
      j.obj()
          .kv("address", r.address)
          .kv("service", service::name(r.spec.service.kind))
          .kv("backlog", r.spec.backlog)
          .kv("syn_recv", r.syn_recv)
          .kv("accepted", r.accepted)
          .kv("overflows", r.overflows)
          .kv("options", describe(r.spec))
          .end();
    return emit(cl, j.end().end());
  }
  cmdline_printf(cl, "%-21s %-8s %8s %8s %10s %10s  %s\n", "Address", "Service", "Backlog",
                 "SynRecv", "Accepted", "Overflows", "Options");
  for (const auto& r : listener_rows(pl))
    cmdline_printf(cl, "%-21s %-8s %8u %8" PRIu64 " %10" PRIu64 " %10" PRIu64 "  %s\n",
                   r.address.c_str(), std::string(service::name(r.spec.service.kind)).c_str(),
                   r.spec.backlog, r.syn_recv, r.accepted, r.overflows, describe(r.spec).c_str());
}

cmdline_parse_inst_t cmd_show_listeners = {
    show_listeners,
    nullptr,
    "show listeners: listeners with SYN backlog use, handshakes completed, overflows",
    {(cmdline_parse_token_hdr_t*)&show_lis_show, (cmdline_parse_token_hdr_t*)&show_lis_what,
     nullptr}};

// --- show flowtable
struct ShowFlows {
  cmdline_fixed_string_t show, what;
};
cmdline_parse_token_string_t show_flows_show = PMX_KEYWORD(ShowFlows, show, "show");
cmdline_parse_token_string_t show_flows_what = PMX_KEYWORD(ShowFlows, what, "flowtable");

void show_flows(void*, cmdline* cl, void* data) {
  Plane& pl = cli_of(data).plane;
  const auto info = pl.flow_info();
  if (cli_of(data).json) {  // {"lcores": [{"lcore", "entries", "capacity", ...}]}
    Json j;
    j.obj().key("lcores").arr();
    for (size_t i = 0; i < info.size(); ++i)
      j.obj()
          .kv("lcore", pl.workers()[i]->lcore())
          .kv("entries", info[i].entries)
          .kv("capacity", info[i].capacity)
          .kv("insert_failures", info[i].insert_failures)
          .kv("connections", info[i].conns)
          .kv("buffers_used", info[i].bufs_in_use)
          .kv("buffers", info[i].bufs_total)
          .end();
    return emit(cl, j.end().end());
  }
  cmdline_printf(cl, "%-6s %10s %10s %15s %12s %14s\n", "Lcore", "Entries", "Capacity",
                 "InsertFailures", "Connections", "Buffers(used)");
  for (size_t i = 0; i < info.size(); ++i) {
    const auto& f = info[i];
    cmdline_printf(cl,
                   "%-6u %10" PRIu64 " %10" PRIu64 " %15" PRIu64 " %12" PRIu64 " %7" PRIu64
                   "/%-6" PRIu64 "\n",
                   pl.workers()[i]->lcore(), f.entries, f.capacity, f.insert_failures, f.conns,
                   f.bufs_in_use, f.bufs_total);
  }
}

cmdline_parse_inst_t cmd_show_flows = {
    show_flows,
    nullptr,
    "show flowtable: per-lcore flow table entries, capacity and insert failures",
    {(cmdline_parse_token_hdr_t*)&show_flows_show, (cmdline_parse_token_hdr_t*)&show_flows_what,
     nullptr}};

// --- show tcp stats
struct ShowTcpStats {
  cmdline_fixed_string_t show, tcp, stats;
};
cmdline_parse_token_string_t show_tcp_show = PMX_KEYWORD(ShowTcpStats, show, "show");
cmdline_parse_token_string_t show_tcp_tcp = PMX_KEYWORD(ShowTcpStats, tcp, "tcp");
cmdline_parse_token_string_t show_tcp_stats = PMX_KEYWORD(ShowTcpStats, stats, "stats");

// The per-interface rows of the MIB (stats::Counters::port), summed over
// workers, one column per interface (a port's untagged one is "portN", a
// VLAN's "portN.VLAN"): with the generator on one and the listeners on
// another, the client's and the servers' counts side by side.
void print_per_port(const Plane& pl, cmdline* cl) {
  using P = stats::Counters;
  const auto& ifaces = pl.shared().ifaces;
  std::vector<uint16_t> cols;
  for (uint16_t i = 0; i < ifaces.size() && i < P::kIfaces; ++i)
    if (pl.iface_enabled(i)) cols.push_back(i);
  const std::pair<const char*, P::PortCtr> rows[] = {
      {"ActiveOpens", P::kPortActiveOpens}, {"PassiveOpens", P::kPortPassiveOpens},
      {"Established", P::kPortEstablished}, {"AttemptFails", P::kPortAttemptFails},
      {"EstabResets", P::kPortEstabResets}, {"CurrEstab", P::kPortCurrEstab}};
  cmdline_printf(cl, "Per port/interface %11s", "");
  for (uint16_t i : cols)
    cmdline_printf(cl, " %12s", ("port" + net::iface_name(ifaces[i])).c_str());
  cmdline_printf(cl, "\n");
  for (const auto& [name, c] : rows) {
    cmdline_printf(cl, "  %-28s", name);
    for (uint16_t i : cols) {
      uint64_t v = 0;
      for (const auto& w : pl.workers()) v += w->counters().get_port(i, c);
      cmdline_printf(cl, " %12" PRIu64, v);
    }
    cmdline_printf(cl, "\n");
  }
}

// {"mib": {"ActiveOpens": N, ...}, "interfaces": {"0": {"ActiveOpens": N, ...}, "0.100": ...},
//  "demux": {"conn", "listen_exact", "listen_wildcard", "none"}, "events": ..., "drops": ...}
template <size_t M, size_t D>
void tcp_stats_json(const Plane& pl, cmdline* cl, const std::pair<const char*, uint64_t> (&mib)[M],
                    const std::pair<const char*, stats::Ctr> (&demux)[D]) {
  using P = stats::Counters;
  Json j;
  j.obj().key("mib").obj();
  for (const auto& [name, v] : mib) j.kv(name, v);
  j.end().key("interfaces").obj();
  const auto& ifaces = pl.shared().ifaces;
  const std::pair<const char*, P::PortCtr> rows[] = {
      {"ActiveOpens", P::kPortActiveOpens}, {"PassiveOpens", P::kPortPassiveOpens},
      {"Established", P::kPortEstablished}, {"AttemptFails", P::kPortAttemptFails},
      {"EstabResets", P::kPortEstabResets}, {"CurrEstab", P::kPortCurrEstab}};
  for (uint16_t i = 0; i < ifaces.size() && i < P::kIfaces; ++i) {
    if (!pl.iface_enabled(i)) continue;
    j.key(net::iface_name(ifaces[i])).obj();
    for (const auto& [name, c] : rows) {
      uint64_t v = 0;
      for (const auto& w : pl.workers()) v += w->counters().get_port(i, c);
      j.kv(name, v);
    }
    j.end();
  }
  j.end().key("demux").obj();
  static const char* const kKeys[] = {"conn", "listen_exact", "listen_wildcard", "none"};
  for (size_t k = 0; k < D; ++k)
    j.kv(kKeys[k], pl.counter_total(static_cast<size_t>(demux[k].second)));
  j.end();
  counter_table_json(pl, j, "tcp_");
  emit(cl, j.end());
}

// The RFC 4022 MIB view first (summed over workers), then per port, then the
// demultiplexing outcomes, then every TCP counter per lcore.
void show_tcp_stats_fn(void*, cmdline* cl, void* data) {
  const Plane& pl = cli_of(data).plane;
  auto total = [&](stats::Ctr c) { return pl.counter_total(static_cast<size_t>(c)); };
  using C = stats::Ctr;
  const uint64_t in_errs = total(C::tcp_too_short) + total(C::tcp_bad_offset) +
                           total(C::tcp_bad_checksum) + total(C::tcp_bad_port);
  const std::pair<const char*, uint64_t> mib[] = {
      {"ActiveOpens", total(C::tcp_active_opens)},
      {"PassiveOpens", total(C::tcp_passive_opens)},
      {"AttemptFails", total(C::tcp_attempt_fails)},
      {"EstabResets", total(C::tcp_estab_resets)},
      {"CurrEstab", total(C::tcp_curr_estab)},
      {"InSegs", total(C::tcp_in_segs)},
      {"OutSegs", total(C::tcp_out_segs)},
      {"RetransSegs", total(C::tcp_retrans_segs)},
      {"InErrs", in_errs},
      {"OutRsts", total(C::tcp_out_rsts)},
  };
  const std::pair<const char*, C> demux[] = {
      {"4-tuple match", C::tcp_demux_conn},
      {"listener, exact address", C::tcp_demux_listen_exact},
      {"listener, wildcard 0.0.0.0", C::tcp_demux_listen_wildcard},
      {"no match", C::tcp_demux_none}};
  if (cli_of(data).json) return tcp_stats_json(pl, cl, mib, demux);
  cmdline_printf(cl, "TCP MIB (RFC 4022)\n");
  for (const auto& [name, v] : mib) cmdline_printf(cl, "  %-30s %12" PRIu64 "\n", name, v);
  print_per_port(pl, cl);
  cmdline_printf(cl, "Demultiplexing (every segment in one row)\n");
  for (const auto& [name, c] : demux) cmdline_printf(cl, "  %-30s %12" PRIu64 "\n", name, total(c));
  cmdline_printf(cl, "\n");
  print_counter_table(pl, cl, "tcp_");
}

cmdline_parse_inst_t cmd_show_tcp_stats = {
    show_tcp_stats_fn,
    nullptr,
    "show tcp stats: the TCP MIB (total and per port/interface), demultiplexing outcomes, events "
    "and drops "
    "by reason",
    {(cmdline_parse_token_hdr_t*)&show_tcp_show, (cmdline_parse_token_hdr_t*)&show_tcp_tcp,
     (cmdline_parse_token_hdr_t*)&show_tcp_stats, nullptr}};

// --- listen <ip> <port> <service> [key value]...
struct Listen {
  cmdline_fixed_string_t listen, ip, port, service;
  cmdline_multi_string_t rest;
};
cmdline_parse_token_string_t listen_kw = PMX_KEYWORD(Listen, listen, "listen");
cmdline_parse_token_string_t listen_ip = PMX_WORD(Listen, ip);
cmdline_parse_token_string_t listen_port = PMX_WORD(Listen, port);
// The names of service/services.def.
cmdline_parse_token_string_t listen_service = PMX_KEYWORD(Listen, service, service::kChoices + 1);
cmdline_parse_token_string_t listen_rest =
    TOKEN_STRING_INITIALIZER(Listen, rest, TOKEN_STRING_MULTI);

void do_listen(cmdline* cl, void* data, const char* ip, const char* port, const char* service,
               const char* rest) {
  Cli& c = cli_of(data);
  std::istringstream words(rest);
  std::vector<std::pair<std::string, std::string>> kv;
  for (std::string k, v; words >> k;) {
    if (!(words >> v)) return fail(c, cl, "listen: key '%s' has no value", k.c_str());
    kv.emplace_back(k, v);
  }
  try {
    const tcp::ListenSpec s = make_listen_spec("listen: ", ip, port, service, kv);
    if (auto err = c.plane.tcp_listen(s); !err.empty())
      return fail(c, cl, "listen: %s", err.c_str());
    cmdline_printf(cl, "listening on %s\n", describe(s).c_str());
  } catch (const OptionError& e) {
    fail(c, cl, "%s", e.what());
  }
}

void listen_fn(void* parsed, cmdline* cl, void* data) {
  auto* r = static_cast<Listen*>(parsed);
  do_listen(cl, data, r->ip, r->port, r->service, r->rest);
}

cmdline_parse_inst_t cmd_listen = {
    listen_fn,
    nullptr,
    nullptr,  // listen_help(): the services' names and keys
    {(cmdline_parse_token_hdr_t*)&listen_kw, (cmdline_parse_token_hdr_t*)&listen_ip,
     (cmdline_parse_token_hdr_t*)&listen_port, (cmdline_parse_token_hdr_t*)&listen_service,
     (cmdline_parse_token_hdr_t*)&listen_rest, nullptr}};

// DPDK's cmdline never matches a TOKEN_STRING_MULTI against nothing, so
// 'listen <ip> <port> <service>' with no key/value pair needs its own instance.
struct ListenBare {
  cmdline_fixed_string_t listen, ip, port, service;
};
cmdline_parse_token_string_t listen_bare_kw = PMX_KEYWORD(ListenBare, listen, "listen");
cmdline_parse_token_string_t listen_bare_ip = PMX_WORD(ListenBare, ip);
cmdline_parse_token_string_t listen_bare_port = PMX_WORD(ListenBare, port);
cmdline_parse_token_string_t listen_bare_service =
    PMX_KEYWORD(ListenBare, service, service::kChoices + 1);

void listen_bare_fn(void* parsed, cmdline* cl, void* data) {
  auto* r = static_cast<ListenBare*>(parsed);
  do_listen(cl, data, r->ip, r->port, r->service, "");
}

cmdline_parse_inst_t cmd_listen_bare = {
    listen_bare_fn,
    nullptr,
    nullptr,  // listen_help()
    {(cmdline_parse_token_hdr_t*)&listen_bare_kw, (cmdline_parse_token_hdr_t*)&listen_bare_ip,
     (cmdline_parse_token_hdr_t*)&listen_bare_port,
     (cmdline_parse_token_hdr_t*)&listen_bare_service, nullptr}};

// --- unlisten <ip> <port>
struct Unlisten {
  cmdline_fixed_string_t unlisten, ip, port;
};
cmdline_parse_token_string_t unlisten_kw = PMX_KEYWORD(Unlisten, unlisten, "unlisten");
cmdline_parse_token_string_t unlisten_ip = PMX_WORD(Unlisten, ip);
cmdline_parse_token_string_t unlisten_port = PMX_WORD(Unlisten, port);

void unlisten_fn(void* parsed, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  auto* r = static_cast<Unlisten*>(parsed);
  try {
    const tcp::ListenSpec s = make_listen_spec("unlisten: ", r->ip, r->port, "echo", {});
    if (auto err = c.plane.tcp_unlisten(s.ip, s.port); !err.empty())
      return fail(c, cl, "unlisten %s %s: %s", r->ip, r->port, err.c_str());
    cmdline_printf(cl, "stopped listening on %s\n", net::endpoint_string(s.ip, s.port).c_str());
  } catch (const OptionError& e) {
    fail(c, cl, "%s", e.what());
  }
}

cmdline_parse_inst_t cmd_unlisten = {
    unlisten_fn,
    nullptr,
    "unlisten <ip> <port>: remove a listener (its SYN_RECV connections are reset)",
    {(cmdline_parse_token_hdr_t*)&unlisten_kw, (cmdline_parse_token_hdr_t*)&unlisten_ip,
     (cmdline_parse_token_hdr_t*)&unlisten_port, nullptr}};

// The listen commands' help, from service/services.def: "listen <ip>
// <port> echo|discard|http|chargen [size N] [rate N] [backlog N] [cc
// newreno|cubic] [hystart on|off]: add a listener". Built once, kept for the program's life.
const char* listen_help(bool bare) {
  static const std::string head = "listen <ip> <port> " + service::names("|");
  static const std::string with_keys = [] {
    std::string h = head;
    for (std::string_view k : service::keys(&service::Info::arg_key))
      h += " [" + std::string(k) + " N]";
    return h + " [backlog N] [cc newreno|cubic] [hystart on|off]: add a listener";
  }();
  static const std::string bare_help = head + ": add a listener with default options";
  return bare ? bare_help.c_str() : with_keys.c_str();
}

}  // namespace

void register_tcp_commands(std::vector<cmdline_parse_inst_t*>& out) {
  cmd_listen.help_str = listen_help(false);
  cmd_listen_bare.help_str = listen_help(true);
  out.insert(out.end(), {&cmd_show_conns, &cmd_show_listeners, &cmd_show_flows, &cmd_show_tcp_stats,
                         &cmd_listen, &cmd_listen_bare, &cmd_unlisten});
}

}  // namespace pmx::control
