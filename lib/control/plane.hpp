// The control plane: owns ports, workers and the CLI endpoints; runs on the
// main lcore, never spins (it sleeps in poll()), and reaches workers only
// through their inboxes and their published counters.
#pragma once

#include "config/options.hpp"
#include "port/kernel_ring.hpp"
#include "port/port.hpp"
#include "scenario/scenario.hpp"
#include "worker/worker.hpp"

#include <rte_mempool.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct cmdline;

namespace pmx::control {

class Cli;
class CtlServer;
class GenControl;
class ScenarioControl;
class ControlQueue;
class Exporter;
class HttpServer;

class Plane {
 public:
  explicit Plane(Options opt);
  ~Plane();

  // Ports, mempool, workers. Throws port::ConfigError / std::runtime_error.
  void setup();
  // Runs until quit or a signal; returns the exit status.
  int run();
  // Stops workers and ports, prints final statistics.
  void shutdown();

  // --- Used by CLI commands (control thread only).
  const Options& options() const { return opt_; }
  uint16_t nb_ports() const { return static_cast<uint16_t>(ports_.size()); }
  // --kernel-port: the TAP (ethdev id, interface name) of data port id.
  struct KernelPort {
    uint16_t tap;
    std::string ifname;
  };
  const KernelPort* kernel_port(uint16_t id) const {
    auto it = kernel_.find(id);
    return it == kernel_.end() ? nullptr : &it->second;
  }
  const port::PortState& port(uint16_t id) const { return ports_[id]; }
  const worker::Shared& shared() const { return shared_; }
  const std::vector<std::unique_ptr<worker::Worker>>& workers() const { return workers_; }
  rte_mempool* pool() const { return pool_; }
  // IPv6 addresses of interface i that failed duplicate address detection
  // at start (RFC 4862 5.4.5): configured, not used.
  const std::vector<net::Ifaddr6>& duplicates6(uint16_t i) const { return dad_dups_[i]; }
  // Interface i receives frames: a VLAN one always, a port's untagged one
  // unless every interface configured on the port is a VLAN.
  bool iface_enabled(uint16_t i) const {
    const net::PortIp& ip = shared_.ifaces[i];
    return shared_.ports[ip.port_id].iface_of_vlan[ip.vlan] == i;
  }

  // Stops/starts a port with the workers' agreement. "" or an error text.
  std::string port_stop(uint16_t id);
  std::string port_start(uint16_t id);
  // Workers stop (resume) polling and sending on a started port; the device
  // stays up. Pausing both ends of a memif/vhost pair before either stops
  // keeps a worker from reading rings its peer's disconnect unmaps.
  std::string port_pause(uint16_t id);
  std::string port_resume(uint16_t id);
  // Every worker's neighbour rows.
  std::vector<worker::NeighRow> neighbours();
  void request_quit() { quit_ = true; }
  bool quit_requested() const { return quit_; }

  // TCP: listeners are added on every worker; "" or an error text.
  std::string tcp_listen(const tcp::ListenSpec& s);
  std::string tcp_unlisten(const net::IpAddr& ip, uint16_t port);
  const std::vector<tcp::ListenSpec>& listen_specs() const { return listen_specs_; }
  // Every worker's connections, by message (never by reading their tables).
  std::vector<tcp::ConnRow> connections();
  // Per worker (index = worker index); false where a worker did not answer.
  std::vector<worker::FlowInfo> flow_info();
  // The kernel's ring counts of a net_af_packet port since start, read now
  // (PACKET_STATISTICS resets on read: every reader goes through here);
  // nullopt for other PMDs. Control thread only.
  std::optional<port::KernelRingStats> kernel_ring(uint16_t id);
  // Per worker: its listener table entries (used ones only), by message.
  std::vector<std::vector<tcp::Listener>> listener_info();

  // The traffic generator's control side.
  GenControl& gen() { return *gen_; }
  const GenControl& gen() const { return *gen_; }
  // Scenario runs (`scenario run`, --scenario).
  ScenarioControl& scenario() { return *scenario_; }
  // --scenario: the loaded scenario, run by run(), whose exit status it returns.
  void set_scenario(scenario::Scenario s) { batch_scenario_ = std::move(s); }
  // GenControl's requests, to every worker in index order; "" or the first
  // worker that did not answer. plan must stay alive until a later
  // gen_start() succeeded on every worker (workers keep pointing into it).
  std::string gen_start(const gen::RunSet* set);
  std::string gen_stop();
  // The Prometheus exporter (exists after setup()), for add_section().
  Exporter& exporter() { return *exporter_; }

  // Sum over workers of counter i.
  uint64_t counter_total(size_t i) const;

  static volatile std::sig_atomic_t signalled;

 private:
  // Posts one request (worker::make_msg) to one worker, stamped with the
  // next sequence number, and waits (sleeping) for its ack.
  bool ask(worker::Worker& w, worker::Msg m);
  // Posts a request to every worker and waits (sleeping) for all to ack.
  std::string broadcast(worker::Msg m);
  void build_shared();
  uint32_t tso_max(uint16_t id) const;
  uint16_t find_kernel_ports(uint16_t total);
  void setup_kernel_ports(uint16_t nworkers);
  // shared_.ifaces and each port's VLAN map from the options' interfaces.
  void build_ifaces();
  uint16_t iface_index(IfaceId id) const { return iface_index_.at(id); }
  void add_addrs();
  // RFC 4862 5.4 for every configured IPv6 address, before the workers run
  // (this thread owns every queue then); commits the unique ones to
  // shared_.ifaces[].addrs6.
  void run_dad();
  void assign_routes();
  void send_dad_probe(const net::PortIp& ip, const net::Ipv6Addr& a);
  std::optional<std::pair<uint16_t, size_t>> dad_answer(
      uint16_t port, rte_mbuf* m, const std::vector<std::vector<net::Ipv6Addr>>& tent) const;
  void create_pool();
  void print_periodic_stats();
  void init_pdump();
  void start_exporters();
  void stop_exporters();

  Options opt_;
  std::vector<port::PortState> ports_;
  std::map<uint16_t, KernelPort> kernel_;  // data port -> its TAP (--kernel-port)
  worker::Shared shared_;
  rte_mempool* pool_ = nullptr;
  std::vector<std::unique_ptr<worker::Worker>> workers_;
  std::unique_ptr<worker::HandoffRings> handoff_;
  std::vector<port::KernelRingStats>
      kring_;  // per port: kernel_ring()'s sums  // after workers_: freed before them
  std::unique_ptr<Cli> cli_;
  std::unique_ptr<CtlServer> ctl_;
  std::unique_ptr<GenControl> gen_;
  std::unique_ptr<ScenarioControl> scenario_;
  std::optional<scenario::Scenario> batch_scenario_;
  // Calls from the metrics and telemetry threads, run in the control loop.
  std::shared_ptr<ControlQueue> calls_;
  std::unique_ptr<Exporter> exporter_;
  std::unique_ptr<HttpServer> metrics_;
  bool pdump_ = false;
  std::map<IfaceId, uint16_t> iface_index_;           // (port, VLAN) -> interface index
  std::vector<std::vector<net::Ifaddr6>> tentative_;  // per interface: --addr v6, before DAD
  std::vector<std::vector<net::Ifaddr6>> dad_dups_;   // per interface: found in use
  std::vector<worker::NeighRow> neigh_buf_;
  worker::NeighSnapshot neigh_req_{};
  std::vector<tcp::ListenSpec> listen_specs_;
  // Request buffers the workers write into: members, so that a worker
  // answering late still writes into live memory.
  std::vector<tcp::ConnRow> conn_buf_;
  worker::ConnSnapshot conn_snap_{};
  worker::FlowInfo flow_buf_{};
  std::vector<worker::TcpRequest> tcp_req_;
  std::vector<tcp::Listener> listener_buf_;
  worker::ListenerSnapshot listener_req_{};
  uint32_t seq_ = 0;
  bool quit_ = false;
  bool launched_ = false;
  // --stats-period bookkeeping
  std::vector<uint64_t> last_rx_, last_tx_, last_rxb_, last_txb_;
  uint64_t last_opens_ = 0;
  uint64_t last_stats_tsc_ = 0;
};

}  // namespace pmx::control
