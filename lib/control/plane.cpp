#include "control/plane.hpp"

#include "cli/cli.hpp"
#include "cli/ctl_server.hpp"
#include "config/listen_spec.hpp"
#include "control/control_queue.hpp"
#include "control/gen_control.hpp"
#include "control/scenario_control.hpp"
#include "export/http_server.hpp"
#include "export/metrics.hpp"
#include "export/telemetry.hpp"
#include "net/nd_build.hpp"
#include "net/route.hpp"
#include "net/vlan.hpp"
#include "stats/log.hpp"
#include "stats/metric_writer.hpp"

#include <poll.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace pmx::control {

volatile std::sig_atomic_t Plane::signalled = 0;

namespace {
constexpr int kPollMs = 100;  // the control loop's sleep
constexpr uint64_t kAckWaitMs = 2000;

worker::Tsc timer_now() { return worker::Tsc{rte_get_timer_cycles()}; }
worker::Tsc ack_deadline() { return timer_now() + rte_get_timer_hz() * kAckWaitMs / 1000; }

// Acks are sequence numbers from this thread only: compare wrap-safely.
bool acked(const worker::Worker& w, uint32_t seq) {
  return static_cast<int32_t>(w.acked() - seq) >= 0;
}

// Sleeps until w acked seq, stopped running, or deadline passed; true: acked.
bool wait_ack(const worker::Worker& w, uint32_t seq, worker::Tsc deadline) {
  while (!acked(w, seq) && w.running() && timer_now() < deadline) rte_delay_us_sleep(100);
  return acked(w, seq);
}
constexpr unsigned kMempoolCache = 256;
constexpr auto kScrapeWait = std::chrono::milliseconds(5000);

int launch(void* w) { return static_cast<worker::Worker*>(w)->run(); }

// At most PortIp::kMaxAddrs ranges and kMaxPortAddrs addresses per
// interface and family; adds count to total.
void check_port_limits(const net::PortIp& ip, size_t ranges, uint32_t& total, uint32_t count,
                       const char* family) {
  const std::string name = "port " + net::iface_name(ip);
  if (ranges == net::PortIp::kMaxAddrs)
    throw OptionError("--addr: " + name + " has more than " +
                      std::to_string(net::PortIp::kMaxAddrs) + " " + family +
                      " addresses or ranges");
  if (uint64_t{total} + count > net::PortIp::kMaxPortAddrs)
    throw OptionError("--addr: " + name + " has more than " +
                      std::to_string(net::PortIp::kMaxPortAddrs) + " " + family + " addresses");
  total += count;
}

}  // namespace

Plane::Plane(Options opt) : opt_(std::move(opt)) {}

Plane::~Plane() = default;

void Plane::create_pool() {
  // Enough for every RX/TX ring, each worker's bursts and neighbour queues,
  // and the per-lcore caches; --mbufs overrides.
  unsigned n = opt_.mbufs;
  if (n == 0) {
    unsigned nq = rte_lcore_count() - 1;
    for (const auto& p : ports_)
      n += nq * (p.profile.rx_desc + p.profile.tx_desc + 2 * p.profile.burst);
    n += nq * 4 * 64 + rte_lcore_count() * kMempoolCache + 1024;
    // A TSO segment is a chain of up to 33 mbufs; two bursts of them per
    // queue may wait in a worker's TX buffer.
    for (const auto& p : ports_)
      if (p.tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) n += nq * 2 * p.profile.burst * 32;
    n += static_cast<unsigned>(kernel_.size()) * nq * 512;  // a TAP's 256-descriptor queue pairs
  }
  pool_ = rte_pktmbuf_pool_create("pmx_mbufs", n, kMempoolCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  rte_socket_id());
  if (!pool_)
    throw std::runtime_error("cannot create a pool of " + std::to_string(n) + " mbufs: " +
                             rte_strerror(rte_errno) + " (lower --mbufs or add memory)");
  PMX_LOG(INFO, "mbuf pool: %u mbufs of %u bytes", n, RTE_MBUF_DEFAULT_BUF_SIZE);
}

// The most payload a TSO segment may carry on port id: what the IP length
// fields hold (65,535 with a 20-byte IPv4 header and 60 bytes of TCP header,
// so both families fit), and no more mbufs than the device takes per frame.
uint32_t Plane::tso_max(uint16_t id) const {
  uint32_t n = 65535 - 20 - 60;
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(id, &info) == 0 && info.tx_desc_lim.nb_seg_max) {
    const uint32_t room = RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM;
    const uint32_t by_segs = info.tx_desc_lim.nb_seg_max * room;
    n = std::min(n, by_segs > 200 ? by_segs - 200 : 0);  // the first mbuf also holds headers
  }
  return n;
}

void Plane::build_shared() {
  shared_.pool = pool_;
  shared_.hz = rte_get_tsc_hz();
  shared_.neigh_capacity = opt_.neigh_entries;
  shared_.neigh_times = {shared_.hz * opt_.neigh_reachable_s, shared_.hz, 3};
  shared_.ports.resize(ports_.size());
  for (const auto& p : ports_) {
    worker::PortConfig& pc = shared_.ports[p.id];
    pc.burst = p.profile.burst;
    pc.rx_ip_cksum = p.rx_offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    pc.rx_tcp_cksum = p.rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    pc.vlan_insert = p.tx_offloads & RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
    // TX checksums by the device only when it has them for both families'
    // TCP (one TCP_CKSUM bit covers both); IPV4_CKSUM is separate (virtio
    // has none: the header checksum stays in software there).
    pc.tx_csum.l4 = p.tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
    pc.tx_csum.ip = pc.tx_csum.l4 && (p.tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
    pc.tso = pc.tx_csum.l4 && (p.tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) &&
             (p.tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
  }
  build_ifaces();
  for (const auto& [port, k] : kernel_) {
    shared_.ports[port].kernel_port = k.tap;
    shared_.ifaces[port].kernel = true;  // the untagged interface only
    shared_.kernel_any = true;
  }
  if (!opt_.kernel_tcp_ports.empty()) {
    std::fill(shared_.kernel_tcp.begin(), shared_.kernel_tcp.end(), uint8_t{0});
    for (auto [lo, hi] : opt_.kernel_tcp_ports)
      for (uint32_t p = lo; p <= hi; ++p)
        shared_.kernel_tcp[p >> 3] =
            static_cast<uint8_t>(shared_.kernel_tcp[p >> 3] | (1u << (p & 7)));
  }
  tcp::EngineConfig& t = shared_.tcp;
  t.max_flows = opt_.max_flows;
  t.buf_size = opt_.tcp_buffer_kb * 1024;
  t.nbufs = opt_.tcp_buffers;
  t.msl_ms = opt_.msl_ms;
  t.keepalive = opt_.tcp_keepalive;
  t.tso_max.assign(shared_.ifaces.size(), 0);
  for (size_t i = 0; i < shared_.ifaces.size(); ++i)
    if (shared_.ports[shared_.ifaces[i].port_id].tso)
      t.tso_max[i] = tso_max(shared_.ifaces[i].port_id);
  // The MSS we announce fits the smallest port MTU (RFC 6691).
  t.mtu = 1500;
  for (const auto& p : ports_)
    if (p.mtu >= 576) t.mtu = std::min<uint16_t>(t.mtu, p.mtu);
  // RFC 6528: a secret per process. All workers share it.
  if (getrandom(t.isn_key.data(), t.isn_key.size(), 0) != static_cast<ssize_t>(t.isn_key.size()))
    throw std::runtime_error("getrandom() failed: no ISN secret");
  if (getrandom(t.cookie_key.data(), t.cookie_key.size(), 0) !=
      static_cast<ssize_t>(t.cookie_key.size()))
    throw std::runtime_error("getrandom() failed: no SYN cookie secret");
  t.syncookies = opt_.syncookies;
  shared_.listen = opt_.listen;
  listen_specs_ = opt_.listen;
  add_addrs();
}

// Interfaces (docs/architecture.md, "Interfaces and VLANs"): port p's
// untagged one at index p, then one per (port, VLAN) the options name, in
// the order first named. A port with VLAN interfaces and nothing configured
// untagged takes no untagged frames (vlan_untagged).
void Plane::build_ifaces() {
  const size_t nports = ports_.size();
  shared_.ifaces.assign(nports, {});
  iface_index_.clear();
  std::vector<bool> untagged(nports, false), tagged(nports, false);
  auto add = [&](IfaceId id) {
    (id.vlan ? tagged : untagged)[id.port] = true;
    if (iface_index_.count(id)) return;
    if (shared_.ifaces.size() == worker::kMaxIfaces)
      throw OptionError("port " + net::iface_name(id.port, id.vlan) + ": more than " +
                        std::to_string(worker::kMaxIfaces) + " interfaces (ports and VLANs)");
    iface_index_[id] = static_cast<uint16_t>(shared_.ifaces.size());
    shared_.ifaces.emplace_back().vlan = id.vlan;
  };
  for (const auto& p : ports_) iface_index_[IfaceId{p.id}] = p.id;
  for (const auto& a : opt_.addrs) add({a.port, a.vlan});
  for (const auto& a : opt_.addrs6) add({a.port, a.vlan});
  for (const auto& g : opt_.gateways) add(g.first);
  for (const auto& g : opt_.gateways6) add(g.first);
  for (const auto& [id, i] : iface_index_) {
    net::PortIp& ip = shared_.ifaces[i];
    const port::PortState& p = ports_[id.port];
    ip.port_id = p.id;
    ip.mac = p.mac;
    // RFC 4862 5.3: every interface has its link-local address, always (a
    // VLAN's is the port's: each VLAN is a link of its own).
    ip.link_local = net::link_local_from_mac(p.mac);
    if (id.vlan || !tagged[id.port] || untagged[id.port])
      shared_.ports[id.port].iface_of_vlan[id.vlan] = i;
  }
}

// The options' addresses and gateways onto their interfaces. Overlaps on
// one interface were refused by the options; here the per-interface limits.
void Plane::add_addrs() {
  const size_t nif = shared_.ifaces.size();
  std::vector<uint32_t> total(nif, 0);
  for (const auto& a : opt_.addrs) {
    const uint16_t i = iface_index({a.port, a.vlan});
    net::PortIp& ip = shared_.ifaces[i];
    check_port_limits(ip, ip.naddrs, total[i], a.addr.count, "IPv4");
    ip.addrs[ip.naddrs++] = a.addr;
  }
  for (const auto& [id, gw] : opt_.gateways) {
    net::PortIp& ip = shared_.ifaces[iface_index(id)];
    const std::string name = net::iface_name(ip);
    if (ip.next_hop(gw) != gw)
      throw OptionError("--gateway " + name + "=" + net::to_string(gw) +
                        ": not on any subnet of port " + name);
    ip.gateway = gw;
  }
  // IPv6: the configured addresses are tentative until run_dad().
  tentative_.assign(nif, {});
  dad_dups_.assign(nif, {});
  total.assign(nif, 0);
  for (const auto& a : opt_.addrs6) {
    const uint16_t i = iface_index({a.port, a.vlan});
    auto& t = tentative_[i];
    check_port_limits(shared_.ifaces[i], t.size(), total[i], a.addr.count, "IPv6");
    t.push_back(a.addr);
  }
  for (const auto& [id, gw] : opt_.gateways6) {
    const uint16_t i = iface_index(id);
    const std::string name = net::iface_name(shared_.ifaces[i]);
    // On-link: link-local, or on the subnet of a configured address (even
    // one DAD may refuse later: the route stays as configured).
    bool on_link = gw.is_link_local();
    for (const auto& x : tentative_[i]) on_link = on_link || x.on_link(gw);
    if (!on_link)
      throw OptionError("--gateway " + name + "=" + net::to_string(gw) +
                        ": not link-local and not on any IPv6 subnet of port " + name);
    shared_.ifaces[i].gateway6 = gw;
  }
  assign_routes();
}

// Each --route goes to the one interface (a port's untagged one or a VLAN)
// with its gateway on-link: on a subnet of its IPv4 ranges, or of its IPv6
// ranges (tentative: as for --gateway, a range DAD refuses later leaves the
// route configured), or link-local (then there must be one interface only:
// fe80::/64 is on every link). Set after the ranges, and on-link is tested directly, not
// by next_hop(), which would also follow the routes themselves.
void Plane::assign_routes() {
  auto fail = [](const auto& r, const std::string& why) {
    throw OptionError("--route " + net::to_string(r) + ": " + why);
  };
  // The interface for r among those where on(index) holds; gw for messages.
  const auto& ifaces = shared_.ifaces;
  auto choose = [&](const auto& r, const std::string& gw, auto on) {
    uint16_t port = UINT16_MAX;
    for (uint16_t i = 0; i < ifaces.size(); ++i) {
      if (!iface_enabled(i) || !on(i)) continue;
      if (port != UINT16_MAX)
        fail(r, "gateway " + gw + " is on the subnets of ports " + net::iface_name(ifaces[port]) +
                    " and " + net::iface_name(ifaces[i]));
      port = i;
    }
    if (port == UINT16_MAX) fail(r, "gateway " + gw + " is on no port's subnet");
    return port;
  };
  auto add = [&](auto& table, const auto& r, uint16_t port, const char* family) {
    if (table.add(r) == net::RouteAdd::Full)
      fail(r, "port " + net::iface_name(ifaces[port]) + " has " + std::to_string(net::kMaxRoutes) +
                  " " + family + " routes already");
  };
  for (const auto& r : opt_.routes) {
    const uint16_t port = choose(r, net::to_string(r.gateway), [&](uint16_t id) {
      const net::PortIp& ip = shared_.ifaces[id];
      for (uint8_t i = 0; i < ip.naddrs; ++i)
        if (ip.addrs[i].on_link(r.gateway)) return true;
      return false;
    });
    add(shared_.ifaces[port].routes, r, port, "IPv4");
  }
  for (const auto& r : opt_.routes6) {
    const uint16_t port = choose(r, net::to_string(r.gateway), [&](uint16_t id) {
      if (r.gateway.is_link_local()) return true;
      for (const auto& x : tentative_[id])
        if (x.on_link(r.gateway)) return true;
      return false;
    });
    add(shared_.ifaces[port].routes6, r, port, "IPv6");
  }
}

// Duplicate address detection (RFC 4862 5.4), all ports at once: one NS
// from :: per tentative address to its solicited-node group (5.4.2,
// DupAddrDetectTransmits 1), then every RX queue of every port is polled
// for RetransTimer (--dad-ms) for an NA for one of them or another node's
// DAD NS for it (5.4.3, 5.4.4). Nothing else is up yet: every frame
// received meanwhile is freed. Deviations (docs/architecture.md): no
// random delay before the NS (5.4.2 asks for one only when many hosts start
// at once), and the link-local address, made from the port's MAC, is not
// probed.
void Plane::run_dad() {
  // The probed addresses and, for each, the index of its range in
  // tentative_: every address of a range of at most net::kAnnounceAll, else
  // the first and the last (a probe per address of 2^20 would flood the link).
  const size_t nif = shared_.ifaces.size();
  std::vector<std::vector<net::Ipv6Addr>> tent(nif);
  std::vector<std::vector<size_t>> range_of(nif);
  size_t total = 0;
  // Per port, the groups ND needs on its interfaces: all-nodes, and the
  // solicited-node group of each link-local and configured address (DAD
  // probes for them arrive there too). A range beyond the probed addresses
  // has more groups than a filter holds: all multicast then.
  std::vector<std::vector<rte_ether_addr>> groups(ports_.size());
  std::vector<bool> all(ports_.size(), false);
  auto join = [&](uint16_t port, const net::Ipv6Addr& g) {
    const rte_ether_addr m = net::multicast_mac(g);
    auto& v = groups[port];
    if (std::none_of(v.begin(), v.end(),
                     [&](const rte_ether_addr& x) { return rte_is_same_ether_addr(&x, &m); }))
      v.push_back(m);
  };
  for (uint16_t i = 0; i < nif; ++i) {
    if (!iface_enabled(i)) continue;
    const net::PortIp& ip = shared_.ifaces[i];
    for (size_t r = 0; r < tentative_[i].size(); ++r) {
      const net::Ifaddr6& a = tentative_[i][r];
      for (uint32_t k = 0; k < a.announced(); ++k) {
        tent[i].push_back(a.announced(k));
        range_of[i].push_back(r);
      }
      all[ip.port_id] = all[ip.port_id] || a.count > net::kAnnounceAll;
    }
    total += tent[i].size();
    join(ip.port_id, net::Ipv6Addr::all_nodes());
    join(ip.port_id, ip.link_local.solicited_node());
    for (const auto& a : tent[i]) join(ip.port_id, a.solicited_node());
  }
  for (const auto& p : ports_) port::receive_multicast(p, groups[p.id], all[p.id]);
  std::vector<std::vector<bool>> dup(nif);
  for (uint16_t i = 0; i < nif; ++i) dup[i].assign(tentative_[i].size(), false);
  if (opt_.dad_ms > 0 && total > 0) {
    for (uint16_t i = 0; i < nif; ++i)
      for (const auto& a : tent[i]) send_dad_probe(shared_.ifaces[i], a);
    const uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * opt_.dad_ms / 1000;
    PMX_LOG(INFO, "duplicate address detection: %zu IPv6 address(es), %u ms", total, opt_.dad_ms);
    while (rte_get_timer_cycles() < deadline) {
      bool any = false;
      for (const auto& p : ports_) {
        for (uint16_t q = 0; q < p.nb_queues; ++q) {
          rte_mbuf* pkts[32];
          const uint16_t n = rte_eth_rx_burst(p.id, q, pkts, 32);
          any |= n > 0;
          for (uint16_t j = 0; j < n; ++j) {
            if (auto hit = dad_answer(p.id, pkts[j], tent))
              dup[hit->first][range_of[hit->first][hit->second]] = true;
            rte_pktmbuf_free(pkts[j]);
          }
        }
      }
      if (!any) rte_delay_us_sleep(1000);
    }
  }
  for (uint16_t i = 0; i < nif; ++i) {
    net::PortIp& ip = shared_.ifaces[i];
    ip.naddrs6 = 0;
    for (size_t r = 0; r < tentative_[i].size(); ++r) {
      const net::Ifaddr6& a = tentative_[i][r];
      if (dup[i][r]) {
        PMX_LOG(ERR, "port %s: IPv6 address %s is in use on the link (DAD): not used",
                net::iface_name(ip).c_str(), net::to_string(a).c_str());
        dad_dups_[i].push_back(a);
        continue;
      }
      ip.addrs6[ip.naddrs6++] = a;
    }
  }
}

// One DAD probe (RFC 4862 5.4.2) for a on ip's interface, tagged in
// software on a VLAN (the workers do not run yet).
void Plane::send_dad_probe(const net::PortIp& ip, const net::Ipv6Addr& a) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (!m) throw std::runtime_error("duplicate address detection: no mbuf");
  m->data_len = m->pkt_len = net::write_ns_dad(rte_pktmbuf_mtod(m, uint8_t*), ip.mac, a);
  if (ip.vlan) {  // a fresh mbuf has RTE_PKTMBUF_HEADROOM: prepend cannot fail
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, net::kVlanTagLen));
    if (!p) throw std::runtime_error("duplicate address detection: no headroom for a VLAN tag");
    net::tag(p, ip.vlan);
  }
  if (rte_eth_tx_burst(ip.port_id, 0, &m, 1) != 1) {
    rte_pktmbuf_free(m);
    PMX_LOG(WARNING, "port %s: DAD probe for %s not sent (TX queue full)",
            net::iface_name(ip).c_str(), net::to_string(a).c_str());
  }
}

// Whether frame m, received on port during DAD, says one of the probed
// addresses is taken: (interface, index in tent[interface]).
std::optional<std::pair<uint16_t, size_t>> Plane::dad_answer(
    uint16_t port, rte_mbuf* m, const std::vector<std::vector<net::Ipv6Addr>>& tent) const {
  if (m->nb_segs != 1) return std::nullopt;
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  const uint16_t len = rte_pktmbuf_data_len(m);
  net::Untagged u;
  std::optional<uint16_t> stripped;
  if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) stripped = m->vlan_tci;
  if (net::untag(p, len, u, stripped)) return std::nullopt;
  const uint16_t i = shared_.ports[port].iface_of_vlan[u.vlan];
  if (i == worker::kNoIface || tent[i].empty()) return std::nullopt;
  const int k = net::dad_conflict(p + u.off, static_cast<uint16_t>(len - u.off),
                                  shared_.ifaces[i].mac, tent[i].data(), tent[i].size());
  if (k < 0) return std::nullopt;
  return std::pair{i, static_cast<size_t>(k)};
}

// The TAP ports app/portmux.cpp asked EAL for (--vdev=net_tap_pmxkP per
// --kernel-port P): found by name, after every data port (EAL probes our
// vdevs last). Returns how many data ports there are.
uint16_t Plane::find_kernel_ports(uint16_t total) {
  const auto nk = static_cast<uint16_t>(opt_.kernel_ports.size());
  if (nk > total) throw std::runtime_error("--kernel-port: EAL made no TAP port");
  const uint16_t ndata = static_cast<uint16_t>(total - nk);
  for (const auto& [port, name] : opt_.kernel_ports) {
    uint16_t id = 0;
    const std::string dev = "net_tap_pmxk" + std::to_string(port);
    if (rte_eth_dev_get_port_by_name(dev.c_str(), &id) != 0 || id < ndata)
      throw std::runtime_error("--kernel-port " + std::to_string(port) + ": no TAP port " + dev +
                               " after the data ports");
    if (port >= ndata)
      throw OptionError("--kernel-port: no port " + std::to_string(port) + " (" +
                        std::to_string(ndata) + " found)");
    kernel_[port] = KernelPort{id, name};
  }
  return ndata;
}

// Each TAP: a queue pair per worker, the data port's MAC (what the kernel
// sends leaves with it), started; the kernel side is the operator's to
// address (ip addr add ... dev IFNAME).
void Plane::setup_kernel_ports(uint16_t nworkers) {
  for (const auto& [port, k] : kernel_) {
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(k.tap, nworkers, nworkers, &conf) != 0)
      throw std::runtime_error("kernel port " + k.ifname + ": cannot configure the TAP");
    for (uint16_t q = 0; q < nworkers; ++q)
      if (rte_eth_rx_queue_setup(k.tap, q, 256, rte_eth_dev_socket_id(k.tap), nullptr, pool_) !=
              0 ||
          rte_eth_tx_queue_setup(k.tap, q, 256, rte_eth_dev_socket_id(k.tap), nullptr) != 0)
        throw std::runtime_error("kernel port " + k.ifname + ": cannot set up TAP queue " +
                                 std::to_string(q));
    rte_ether_addr mac = ports_[port].mac;
    if (rte_eth_dev_default_mac_addr_set(k.tap, &mac) != 0)
      throw std::runtime_error("kernel port " + k.ifname + ": cannot give the TAP port " +
                               std::to_string(port) + "'s MAC");
    if (rte_eth_dev_start(k.tap) != 0)
      throw std::runtime_error("kernel port " + k.ifname + ": cannot start the TAP");
    PMX_LOG(INFO, "port %u: kernel port %s (TAP, ethdev %u)", port, k.ifname.c_str(), k.tap);
  }
}

void Plane::setup() {
  const uint16_t nports = find_kernel_ports(rte_eth_dev_count_avail());
  if (nports == 0) throw std::runtime_error("no ports: give EAL a device (-a PCI or --vdev)");
  if (nports > worker::kMaxPorts)
    throw std::runtime_error(std::to_string(nports) + " ports: at most " +
                             std::to_string(worker::kMaxPorts) + " are supported");
  if (rte_lcore_count() < 2)
    throw std::runtime_error("no worker lcore: give EAL two or more lcores (e.g. -l 0,1)");
  auto check_port = [&](uint16_t p, const char* opt) {
    if (p >= nports)
      throw OptionError(std::string("--") + opt + ": no port " + std::to_string(p) + " (" +
                        std::to_string(nports) + " found)");
  };
  for (const auto& a : opt_.addrs) check_port(a.port, "addr");
  for (const auto& g : opt_.gateways) check_port(g.first.port, "gateway");
  for (const auto& a : opt_.addrs6) check_port(a.port, "addr");
  for (const auto& g : opt_.gateways6) check_port(g.first.port, "gateway");
  for (const auto& g : opt_.port_profiles) check_port(g.first, "port-profile");

  const auto profiles = port::load_profile_dir(opt_.profile_dir);
  const uint16_t nworkers = static_cast<uint16_t>(rte_lcore_count() - 1);
  std::vector<port::Profile> chosen;
  for (uint16_t id = 0; id < nports; ++id) {
    const std::string drv = port::driver_name(id);
    if (auto it = opt_.port_profiles.find(id); it != opt_.port_profiles.end()) {
      const std::string& v = it->second;
      const bool is_file = v.find('/') != std::string::npos || v.ends_with(".ini");
      chosen.push_back(port::load_profile(is_file ? v : opt_.profile_dir + "/" + v + ".ini"));
    } else if (const port::Profile* p = port::pick_profile(profiles, drv)) {
      chosen.push_back(*p);
    } else {
      throw port::ConfigError("port " + std::to_string(id) + ": no profile for driver '" + drv +
                              "' and no default.ini in " + opt_.profile_dir);
    }
    ports_.push_back({});
    ports_.back().id = id;  // shutdown() closes it even if setup fails later
    ports_.back().profile = chosen.back();
  }
  create_pool();
  for (uint16_t id = 0; id < nports; ++id)
    ports_[id] = port::configure_port(id, chosen[id], nworkers, pool_);
  setup_kernel_ports(nworkers);
  build_shared();

  unsigned idx = 0;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    workers_.push_back(std::make_unique<worker::Worker>(shared_, idx, lcore, idx, nworkers));
    ++idx;
  }
  std::vector<worker::Worker*> all;
  for (auto& w : workers_) all.push_back(w.get());
  for (auto& w : workers_) w->set_siblings(all);

  handoff_ = std::make_unique<worker::HandoffRings>(all);
  for (auto& p : ports_) {
    if (auto err = port::start_port(p); !err.empty()) throw std::runtime_error(err);
    // Read once the port runs (the RETA is programmed at start); the
    // workers' passive_owner() rule follows it.
    shared_.ports[p.id].steer = port::query_rss(p.id, nworkers);
    if (nworkers > 1)
      PMX_LOG(INFO, "port %u: connections owned by %s", p.id,
              shared_.ports[p.id].steer.mode == port::RssInfo::Mode::Unpredictable
                  ? "a hash of the 4-tuple (steering unpredictable: segments handed off)"
                  : "the queue the port steers them to");
  }
  run_dad();
  for (auto& w : workers_) rte_eal_remote_launch(launch, w.get(), w->lcore());
  launched_ = true;
  gen_ = std::make_unique<GenControl>(*this);
  scenario_ = std::make_unique<ScenarioControl>(*this);
  last_rx_.assign(nports, 0);
  last_tx_.assign(nports, 0);
  last_rxb_.assign(nports, 0);
  last_txb_.assign(nports, 0);
  exporter_ = std::make_unique<Exporter>(*this);
  exporter_->add_section([this](stats::MetricWriter& w) { gen_->write_metrics(w); });
  exporter_->add_section([this](stats::MetricWriter& w) { scenario_->write_metrics(w); });
  init_pdump();
}

std::optional<port::KernelRingStats> Plane::kernel_ring(uint16_t id) {
  if (id >= ports_.size() || ports_[id].driver != "net_af_packet") return std::nullopt;
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(id, &info) != 0 || info.if_index == 0) return std::nullopt;
  kring_.resize(ports_.size());
  // The descriptors are looked up each time (a few dozen readdir entries):
  // nothing cached can go stale across port stop/start.
  port::read_packet_stats(port::packet_sockets(info.if_index), kring_[id]);
  return kring_[id];
}

int Plane::run() {
  cli_ = std::make_unique<Cli>(*this);
  if (!opt_.cli_socket.empty()) ctl_ = std::make_unique<CtlServer>(*cli_, opt_.cli_socket);
  if (!opt_.cmdline_file.empty()) cli_->run_file(opt_.cmdline_file);
  if (opt_.gen) {
    gen_->set_batch(opt_.gen_report);
    if (std::string err = gen_->start(*opt_.gen); !err.empty()) {
      PMX_LOG(ERR, "--gen: %s", err.c_str());
      return 1;
    }
  }
  if (batch_scenario_) {
    scenario_->set_batch();
    if (std::string err = scenario_->start(*batch_scenario_, opt_.out_dir); !err.empty()) {
      std::fprintf(stderr, "portmux: scenario %s: %s\n", batch_scenario_->file.c_str(),
                   err.c_str());
      return ScenarioControl::kCannotStart;
    }
  }
  if (opt_.interactive && !quit_) cli_->open_stdin();
  start_exporters();
  PMX_LOG(INFO, "running; %s", opt_.interactive ? "CLI on stdin" : "SIGINT or SIGTERM stops");

  last_stats_tsc_ = rte_get_timer_cycles();
  last_opens_ = counter_total(static_cast<size_t>(stats::Ctr::tcp_passive_opens)) +
                counter_total(static_cast<size_t>(stats::Ctr::tcp_active_opens));
  while (!quit_ && !signalled) {
    pollfd fds[3];
    nfds_t n = 0;
    if (opt_.interactive) fds[n++] = {STDIN_FILENO, POLLIN, 0};
    if (ctl_) fds[n++] = {ctl_->fd(), POLLIN, 0};
    fds[n++] = {calls_->fd(), POLLIN, 0};
    const int rc = poll(fds, n, kPollMs);
    for (nfds_t i = 0; rc > 0 && i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (fds[i].fd == STDIN_FILENO) {
        if (!cli_->feed_stdin()) quit_ = true;
      } else if (fds[i].fd == calls_->fd()) {
        calls_->run_pending();
      } else {
        ctl_->serve_one();
      }
    }
    gen_->poll();
    scenario_->poll();
    exporter_->tick();
    if (opt_.stats_period &&
        rte_get_timer_cycles() - last_stats_tsc_ >= opt_.stats_period * rte_get_timer_hz())
      print_periodic_stats();
  }
  if (signalled) PMX_LOG(INFO, "signal %d: stopping", static_cast<int>(signalled));
  stop_exporters();
  cli_->close_stdin();
  if (!batch_scenario_) return 0;
  // A scenario stopped by a signal before its end has no verdict.
  return scenario_->running() ? ScenarioControl::kFail : scenario_->run_status();
}

// Packet capture by dpdk-dumpcap / dpdk-pdump (secondary processes). The
// framework talks over EAL's multi-process channel, which --no-shconf and
// --in-memory turn off (rte_mp_action_register() then succeeds without
// doing anything), so look for the channel's socket first. Without it,
// capture is unavailable and nothing else changes.
void Plane::init_pdump() {
  const std::string mp_socket = std::string(rte_eal_get_runtime_dir()) + "/mp_socket";
  if (access(mp_socket.c_str(), F_OK) != 0) {
    PMX_LOG(INFO,
            "packet capture unavailable: no multi-process channel (--no-shconf or "
            "--in-memory)");
    return;
  }
  if (rte_pdump_init() != 0) {
    PMX_LOG(WARNING, "packet capture unavailable: rte_pdump_init: %s", rte_strerror(rte_errno));
    return;
  }
  pdump_ = true;
  if (!rte_eal_has_hugepages())
    PMX_LOG(WARNING,
            "packet capture: pdump ready, but with --no-huge dpdk-dumpcap cannot map "
            "this process's memory");
  else
    PMX_LOG(INFO, "packet capture: ready for dpdk-dumpcap --file-prefix=<this process's>");
}

// The metrics endpoint's thread and DPDK's telemetry thread reach the plane
// only through calls_, which this (control) thread runs in its loop.
void Plane::start_exporters() {
  calls_ = std::make_shared<ControlQueue>();
  telemetry_attach(calls_, *this);
  if (opt_.metrics_addr.empty()) return;
  std::weak_ptr<ControlQueue> q = calls_;
  metrics_ = std::make_unique<HttpServer>(opt_.metrics_addr, opt_.metrics_port, [q, this] {
    auto calls = q.lock();
    if (!calls) return std::optional<std::string>();
    return calls->call<std::string>([this] { return exporter_->render(); }, kScrapeWait);
  });
  PMX_LOG(INFO, "metrics: http://%s:%u/metrics", opt_.metrics_addr.c_str(), metrics_->port());
}

void Plane::stop_exporters() {
  telemetry_detach();
  if (calls_) calls_->close();  // waiting scrapes get 503 now
  metrics_.reset();             // joins the HTTP thread
}

// testpmd-like, one line per port and one for TCP: rates over the period.
void Plane::print_periodic_stats() {
  const uint64_t now = rte_get_timer_cycles();
  const double secs = static_cast<double>(now - last_stats_tsc_) / rte_get_timer_hz();
  last_stats_tsc_ = now;
  auto total = [&](stats::Ctr c) { return counter_total(static_cast<size_t>(c)); };
  uint64_t drops = 0;
  for (size_t i = 0; i < stats::kNumCounters; ++i)
    if (stats::kCounterInfo[i].drop) drops += counter_total(i);
  for (uint16_t id = 0; id < nb_ports(); ++id) {
    rte_eth_stats s{};
    rte_eth_stats_get(id, &s);
    const double rxpps = (s.ipackets - last_rx_[id]) / secs;
    const double txpps = (s.opackets - last_tx_[id]) / secs;
    const double rxbps = 8.0 * (s.ibytes - last_rxb_[id]) / secs;
    const double txbps = 8.0 * (s.obytes - last_txb_[id]) / secs;
    last_rx_[id] = s.ipackets;
    last_tx_[id] = s.opackets;
    last_rxb_[id] = s.ibytes;
    last_txb_[id] = s.obytes;
    std::printf("port %u: rx %.0f pps %.3f Mbit/s, tx %.0f pps %.3f Mbit/s, rx-missed %" PRIu64
                "\n",
                id, rxpps, rxbps / 1e6, txpps, txbps / 1e6, s.imissed);
  }
  // Connections: every state but CLOSED, from the per-lcore state gauges.
  uint64_t conns = 0;
  for (const auto& w : workers_)
    for (size_t st = 1; st < stats::Counters::kStates; ++st) conns += w->counters().in_state(st);
  const uint64_t opens = total(stats::Ctr::tcp_passive_opens) + total(stats::Ctr::tcp_active_opens);
  std::printf("tcp: %" PRIu64 " connections (%" PRIu64 " established), %.0f CPS, drops %" PRIu64
              "\n",
              conns, total(stats::Ctr::tcp_curr_estab), (opens - last_opens_) / secs, drops);
  last_opens_ = opens;
  std::fflush(stdout);
}

uint64_t Plane::counter_total(size_t i) const {
  uint64_t sum = 0;
  for (const auto& w : workers_) sum += w->counters().load(i);
  return sum;
}

std::string Plane::broadcast(worker::Msg m) {
  const uint32_t seq = m.word = ++seq_;
  for (auto& w : workers_)
    if (!w->post(m)) return "worker " + std::to_string(w->index()) + ": inbox full";
  const worker::Tsc deadline = ack_deadline();
  // A worker that stopped running has nothing left to pause or resume.
  for (auto& w : workers_)
    if (!wait_ack(*w, seq, deadline) && w->running())
      return "worker " + std::to_string(w->index()) + " did not answer";
  return "";
}

std::string Plane::port_stop(uint16_t id) {
  if (!ports_[id].started) return "";
  if (auto err = port_pause(id); !err.empty()) return err;
  port::stop_port(ports_[id]);
  ports_[id].paused = false;  // port_start resumes the workers
  return "";
}

std::string Plane::port_pause(uint16_t id) {
  if (!ports_[id].started || ports_[id].paused) return "";
  if (auto err = broadcast(worker::make_msg<worker::MsgType::PortPause>(id)); !err.empty())
    return err;
  ports_[id].paused = true;
  return "";
}

std::string Plane::port_resume(uint16_t id) {
  if (!ports_[id].started || !ports_[id].paused) return "";
  if (auto err = broadcast(worker::make_msg<worker::MsgType::PortResume>(id)); !err.empty())
    return err;
  ports_[id].paused = false;
  return "";
}

std::string Plane::port_start(uint16_t id) {
  if (ports_[id].started) return "";
  if (auto err = port::start_port(ports_[id]); !err.empty()) return err;
  return broadcast(worker::make_msg<worker::MsgType::PortResume>(id));
}

bool Plane::ask(worker::Worker& w, worker::Msg m) {
  const uint32_t seq = m.word = ++seq_;
  if (!w.post(m)) return false;
  if (wait_ack(w, seq, ack_deadline())) return true;
  PMX_LOG(ERR, "worker %u did not answer request type %d", w.index(), static_cast<int>(m.type));
  return false;
}

std::string Plane::tcp_listen(const tcp::ListenSpec& s) {
  for (const auto& l : listen_specs_)
    if (l.ip == s.ip && l.port == s.port) return "already listening on " + describe(l);
  tcp_req_.assign(workers_.size(), worker::TcpRequest{s, 0});
  for (size_t i = 0; i < workers_.size(); ++i) {
    std::string err;
    if (!ask(*workers_[i], worker::make_msg<worker::MsgType::Listen>(&tcp_req_[i])))
      err = "worker " + std::to_string(i) + " did not answer";
    else if (tcp_req_[i].result < 0)
      err = "worker " + std::to_string(i) + ": " + std::strerror(-tcp_req_[i].result);
    if (err.empty()) continue;
    // All workers or none: take it back from those that added it.
    for (size_t j = 0; j < i; ++j)
      ask(*workers_[j], worker::make_msg<worker::MsgType::Unlisten>(&tcp_req_[j]));
    return err;
  }
  listen_specs_.push_back(s);
  return "";
}

std::string Plane::tcp_unlisten(const net::IpAddr& ip, uint16_t port) {
  auto it = std::find_if(listen_specs_.begin(), listen_specs_.end(),
                         [&](const tcp::ListenSpec& l) { return l.ip == ip && l.port == port; });
  if (it == listen_specs_.end()) return "no listener on that address and port";
  tcp::ListenSpec s = *it;
  tcp_req_.assign(workers_.size(), worker::TcpRequest{s, 0});
  listen_specs_.erase(it);
  for (size_t i = 0; i < workers_.size(); ++i)
    if (!ask(*workers_[i], worker::make_msg<worker::MsgType::Unlisten>(&tcp_req_[i])))
      return "worker " + std::to_string(i) + " did not answer";
  return "";
}

std::string Plane::gen_start(const gen::RunSet* set) {
  for (auto& w : workers_)
    if (!ask(*w, worker::make_msg<worker::MsgType::GenStart>(set)))
      return "worker " + std::to_string(w->index()) + " did not answer";
  return "";
}

std::string Plane::gen_stop() {
  for (auto& w : workers_)
    if (!ask(*w, worker::make_msg<worker::MsgType::GenStop>()))
      return "worker " + std::to_string(w->index()) + " did not answer";
  return "";
}

std::vector<tcp::ConnRow> Plane::connections() {
  std::vector<tcp::ConnRow> all;
  conn_buf_.resize(opt_.max_flows);
  for (auto& w : workers_) {
    conn_snap_ = worker::ConnSnapshot{conn_buf_.data(), conn_buf_.size(), 0};
    if (!ask(*w, worker::make_msg<worker::MsgType::ConnSnapshot>(&conn_snap_))) return all;
    all.insert(all.end(), conn_buf_.begin(), conn_buf_.begin() + static_cast<long>(conn_snap_.n));
  }
  return all;
}

std::vector<worker::FlowInfo> Plane::flow_info() {
  std::vector<worker::FlowInfo> all;
  for (auto& w : workers_) {
    flow_buf_ = worker::FlowInfo{};
    if (!ask(*w, worker::make_msg<worker::MsgType::FlowInfo>(&flow_buf_))) break;
    all.push_back(flow_buf_);
  }
  return all;
}

std::vector<std::vector<tcp::Listener>> Plane::listener_info() {
  std::vector<std::vector<tcp::Listener>> all;
  listener_buf_.resize(tcp::ListenerTable::kMax);
  for (auto& w : workers_) {
    listener_req_ = worker::ListenerSnapshot{listener_buf_.data(), listener_buf_.size(), 0};
    if (!ask(*w, worker::make_msg<worker::MsgType::ListenerSnapshot>(&listener_req_))) break;
    all.emplace_back(listener_buf_.begin(),
                     listener_buf_.begin() + static_cast<long>(listener_req_.n));
  }
  return all;
}

std::vector<worker::NeighRow> Plane::neighbours() {
  std::vector<worker::NeighRow> all;
  // A member, not a local: a worker that answers late still writes into
  // live memory.
  std::vector<worker::NeighRow>& rows = neigh_buf_;
  // A table of N entries has fewer than 4N slots at load <= 1/2 (neigh.hpp),
  // so 2N rows always hold a whole snapshot.
  rows.resize(2 * static_cast<size_t>(opt_.neigh_entries));
  for (auto& w : workers_) {
    // A member too: the worker writes its row count into it.
    neigh_req_ = worker::NeighSnapshot{rows.data(), rows.size(), 0};
    // One worker at a time: the buffer is reused.
    worker::Msg m = worker::make_msg<worker::MsgType::NeighSnapshot>(&neigh_req_);
    const uint32_t seq = m.word = ++seq_;
    if (!w->post(m)) continue;
    if (!wait_ack(*w, seq, ack_deadline())) {
      // The worker may still write into rows: never hand it a dead buffer.
      PMX_LOG(ERR, "worker %u did not answer a neighbour snapshot", w->index());
      return all;
    }
    all.insert(all.end(), rows.begin(), rows.begin() + static_cast<long>(neigh_req_.n));
  }
  return all;
}

void Plane::shutdown() {
  if (launched_) {
    worker::Msg m = worker::make_msg<worker::MsgType::Stop>();
    m.word = ++seq_;
    for (auto& w : workers_) w->post(m);
    rte_eal_mp_wait_lcore();
    launched_ = false;
  }
  ctl_.reset();
  stop_exporters();  // if run() threw
  if (pdump_) rte_pdump_uninit();
  for (auto& p : ports_) {
    rte_eth_stats s{};
    rte_eth_stats_get(p.id, &s);
    std::printf("port %u final: RX-packets %" PRIu64 " RX-missed %" PRIu64 " RX-bytes %" PRIu64
                " TX-packets %" PRIu64 " TX-errors %" PRIu64 " TX-bytes %" PRIu64 "\n",
                p.id, s.ipackets, s.imissed, s.ibytes, s.opackets, s.oerrors, s.obytes);
    if (auto k = kernel_ring(p.id))
      std::printf("port %u final: RX-kernel-drops %" PRIu64 " RX-kernel-frames %" PRIu64 "\n", p.id,
                  k->drops, k->frames);
    port::stop_port(p);
    rte_eth_dev_close(p.id);
  }
  for (const auto& [port, k] : kernel_) {
    rte_eth_dev_stop(k.tap);
    rte_eth_dev_close(k.tap);
  }
  uint64_t drops = 0;
  for (size_t i = 0; i < stats::kNumCounters; ++i)
    if (stats::kCounterInfo[i].drop) drops += counter_total(i);
  std::printf("workers final: rx-frames %" PRIu64 " tx-frames %" PRIu64 " drops %" PRIu64 "\n",
              counter_total(static_cast<size_t>(stats::Ctr::rx_frames)),
              counter_total(static_cast<size_t>(stats::Ctr::tx_frames)), drops);
  std::fflush(stdout);
}

}  // namespace pmx::control
