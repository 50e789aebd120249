#include "control/conn_table.hpp"

#include "control/plane.hpp"
#include "net/addr.hpp"

#include <rte_byteorder.h>

namespace pmx::control {

namespace {
std::string endpoint(uint32_t ip_be, uint16_t port_be) {
  return net::to_string(net::Ipv4Addr{ip_be}) + ":" + std::to_string(rte_be_to_cpu_16(port_be));
}
}  // namespace

std::vector<ConnLine> connection_lines(Plane& pl) {
  const auto rows = pl.connections();
  std::vector<ConnLine> out;
  out.reserve(pl.listen_specs().size() + rows.size());
  for (const auto& l : pl.listen_specs())
    out.push_back({"tcp", "0", "0",
                   net::to_string(net::Ipv4Addr{l.ip}) + ":" + std::to_string(l.port), "0.0.0.0:*",
                   "LISTEN", "-"});
  for (const auto& r : rows)
    out.push_back({"tcp", std::to_string(r.recv_q), std::to_string(r.send_q),
                   endpoint(r.key.local_ip, r.key.local_port),
                   endpoint(r.key.remote_ip, r.key.remote_port),
                   std::string(tcp::state_name(r.state)), std::to_string(r.lcore)});
  return out;
}

std::vector<ListenerRow> listener_rows(Plane& pl) {
  const auto per_worker = pl.listener_info();
  std::vector<ListenerRow> out;
  for (const auto& s : pl.listen_specs()) {
    ListenerRow r{s, net::to_string(net::Ipv4Addr{s.ip}) + ":" + std::to_string(s.port)};
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
