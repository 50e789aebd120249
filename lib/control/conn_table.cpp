#include "control/conn_table.hpp"

#include "control/plane.hpp"
#include "net/addr.hpp"

#include <rte_byteorder.h>

namespace pmx::control {

namespace {
// netstat's names: tcp for IPv4, tcp6 for IPv6.
std::string proto(bool v6) { return v6 ? "tcp6" : "tcp"; }
}  // namespace

std::vector<ConnLine> connection_lines(Plane& pl) {
  const auto rows = pl.connections();
  std::vector<ConnLine> out;
  out.reserve(pl.listen_specs().size() + rows.size());
  for (const auto& l : pl.listen_specs())
    out.push_back({proto(l.ip.v6), "0", "0", net::endpoint_string(l.ip, l.port),
                   l.ip.v6 ? "[::]:*" : "0.0.0.0:*", "LISTEN", "-"});
  for (const auto& r : rows)
    out.push_back(
        {proto(r.key.is_v6()), std::to_string(r.recv_q), std::to_string(r.send_q),
         net::endpoint_string(tcp::local_addr(r.key), rte_be_to_cpu_16(r.key.local_port)),
         net::endpoint_string(tcp::remote_addr(r.key), rte_be_to_cpu_16(r.key.remote_port)),
         std::string(tcp::state_name(r.state)), std::to_string(r.lcore)});
  return out;
}

std::vector<ListenerRow> listener_rows(Plane& pl) {
  const auto per_worker = pl.listener_info();
  std::vector<ListenerRow> out;
  for (const auto& s : pl.listen_specs()) {
    ListenerRow r{s, net::endpoint_string(s.ip, s.port)};
    for (const auto& w : per_worker)
      for (const auto& l : w)
        if (l.spec.ip == s.ip && l.spec.port == s.port) {
          r.syn_recv += l.syn_recv;
          r.accepted += l.accepted;
          r.overflows += l.overflows;
        }
    out.push_back(std::move(r));
  }
  return out;
}

std::string join(const ConnLine& l) {
  std::string s;
  for (const auto& c : l) {
    if (!s.empty()) s += ' ';
    s += c;
  }
  return s;
}

}  // namespace pmx::control
