// Port bring-up from a profile: configure, queues, start, link, stop.
// Control plane only (main lcore); workers never call these.
#pragma once

#include "profile.hpp"

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pmx::port {

struct PortState {
  uint16_t id = 0;
  std::string driver;
  Profile profile;
  uint16_t nb_queues = 0;
  uint64_t rx_offloads = 0;  // granted: requested & supported
  uint64_t tx_offloads = 0;
  uint64_t rss_hf = 0;
  uint16_t mtu = 0;
  rte_ether_addr mac{};
  bool started = false;
  bool paused = false;  // started, but no worker polls or sends on it
};

// Reads the driver name of port id.
std::string driver_name(uint16_t id);

// Configures port id with nb_queues RX/TX queue pairs (one per worker).
// Offloads, RSS hash functions and an MTU the port cannot do are dropped with
// a log line; a port that cannot give nb_queues is a ConfigError.
PortState configure_port(uint16_t id, const Profile& prof, uint16_t nb_queues, rte_mempool* pool);

// Starts the port and waits up to the profile's link_wait_ms for link up
// (a link still down is logged, not fatal). Returns an error text or "".
std::string start_port(PortState& p);
void stop_port(PortState& p);

// Makes a configured port receive frames to the Ethernet multicast groups
// (IPv6 neighbour discovery's), as its profile's `multicast` says. A PMD
// without the control asked for is logged and left as it is (the virtual
// ones deliver every frame). With all set (groups of a large address range)
// a `filter` profile takes all multicast too. Control plane, before the
// workers run.
void receive_multicast(const PortState& p, const std::vector<rte_ether_addr>& groups,
                       bool all = false);

}  // namespace pmx::port
