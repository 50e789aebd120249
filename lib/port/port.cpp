#include "port.hpp"

#include "stats/log.hpp"

#include <rte_cycles.h>

#include <cstring>
#include <vector>

namespace pmx::port {

std::string driver_name(uint16_t id) {
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(id, &info) != 0 || !info.driver_name) return "?";
  return info.driver_name;
}

namespace {

// Keeps the supported part of `want`, logging each flag dropped.
uint64_t grant(uint16_t id, const char* what, uint64_t want, uint64_t have,
               std::string (*names)(uint64_t)) {
  uint64_t lacking = want & ~have;
  if (lacking)
    PMX_LOG(NOTICE, "port %u: %s not supported, not requested: %s", id, what,
            names(lacking).c_str());
  return want & have;
}

std::string rss_names(uint64_t f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(f));
  return buf;
}

void setup_rss(PortState& p, const rte_eth_dev_info& info, rte_eth_conf& conf,
               std::vector<uint8_t>& key) {
  if (p.nb_queues < 2 || !p.profile.rss_hf) return;
  p.rss_hf =
      grant(p.id, "RSS hash functions", p.profile.rss_hf, info.flow_type_rss_offloads, rss_names);
  if (!p.rss_hf) return;
  conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
  conf.rx_adv_conf.rss_conf.rss_hf = p.rss_hf;
  if (p.profile.rss_key == RssKey::Symmetric && info.hash_key_size > 0) {
    key = symmetric_rss_key(info.hash_key_size);
    conf.rx_adv_conf.rss_conf.rss_key = key.data();
    conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
  }
}

void check(int rc, uint16_t id, const char* what) {
  if (rc < 0)
    throw ConfigError("port " + std::to_string(id) + ": " + what +
                      " failed: " + std::strerror(-rc));
}

}  // namespace

PortState configure_port(uint16_t id, const Profile& prof, uint16_t nb_queues, rte_mempool* pool) {
  PortState p;
  p.id = id;
  p.profile = prof;
  p.nb_queues = nb_queues;
  rte_eth_dev_info info;
  check(rte_eth_dev_info_get(id, &info), id, "rte_eth_dev_info_get");
  p.driver = info.driver_name ? info.driver_name : "?";

  uint16_t limit = std::min(info.max_rx_queues, info.max_tx_queues);
  if (prof.max_queues) limit = std::min(limit, prof.max_queues);
  if (nb_queues > limit)
    throw ConfigError("port " + std::to_string(id) + " (" + p.driver + ") gives " +
                      std::to_string(limit) + " queue pairs but " + std::to_string(nb_queues) +
                      " workers need one each" +
                      (p.driver == "net_af_packet" ? " (set qpairs= on the vdev)" : ""));

  rte_eth_conf conf{};
  p.rx_offloads =
      grant(id, "rx offloads", prof.rx_offloads, info.rx_offload_capa, rx_offloads_to_string);
  p.tx_offloads =
      grant(id, "tx offloads", prof.tx_offloads, info.tx_offload_capa, tx_offloads_to_string);
  conf.rxmode.offloads = p.rx_offloads;
  conf.txmode.offloads = p.tx_offloads;
  std::vector<uint8_t> key;
  setup_rss(p, info, conf, key);
  check(rte_eth_dev_configure(id, nb_queues, nb_queues, &conf), id, "rte_eth_dev_configure");

  uint16_t rxd = prof.rx_desc, txd = prof.tx_desc;
  check(rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd), id, "adjusting descriptors");
  const int socket = rte_eth_dev_socket_id(id);
  for (uint16_t q = 0; q < nb_queues; ++q) {
    rte_eth_rxconf rxc = info.default_rxconf;
    rxc.offloads = p.rx_offloads;
    check(rte_eth_rx_queue_setup(id, q, rxd, socket, &rxc, pool), id, "rx queue setup");
    rte_eth_txconf txc = info.default_txconf;
    txc.offloads = p.tx_offloads;
    check(rte_eth_tx_queue_setup(id, q, txd, socket, &txc), id, "tx queue setup");
  }

  uint16_t cur = 0;
  rte_eth_dev_get_mtu(id, &cur);
  if (cur != prof.mtu) {
    int rc = rte_eth_dev_set_mtu(id, prof.mtu);
    if (rc != 0)
      PMX_LOG(NOTICE, "port %u: MTU %u not accepted (%s), keeping %u", id, prof.mtu,
              std::strerror(-rc), cur);
  }
  rte_eth_dev_get_mtu(id, &p.mtu);
  check(rte_eth_macaddr_get(id, &p.mac), id, "reading the MAC address");
  PMX_LOG(INFO, "port %u: %s, profile %s, %u queue pairs, %u/%u descriptors, mtu %u", id,
          p.driver.c_str(), prof.name.c_str(), nb_queues, rxd, txd, p.mtu);
  return p;
}

namespace {
// Spreads the RSS redirection table round robin over the workers' queues.
// Most NICs start that way, but not all (net_null's table reads back all
// zeros): the generator computes which queue a reply reaches from the table
// it reads back (steer.cpp), so a known table makes that the same on every
// PMD. A PMD that cannot update it keeps its own, which is what is read.
void program_reta(const PortState& p) {
  if (!p.rss_hf || p.nb_queues < 2) return;
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(p.id, &info) != 0 || info.reta_size == 0) return;
  std::vector<rte_eth_rss_reta_entry64> reta((info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                             RTE_ETH_RETA_GROUP_SIZE);
  for (uint16_t i = 0; i < info.reta_size; ++i) {
    auto& g = reta[i / RTE_ETH_RETA_GROUP_SIZE];
    g.mask |= uint64_t{1} << (i % RTE_ETH_RETA_GROUP_SIZE);
    g.reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(i % p.nb_queues);
  }
  const int rc = rte_eth_dev_rss_reta_update(p.id, reta.data(), info.reta_size);
  if (rc != 0)
    PMX_LOG(WARNING, "port %u: cannot program the RSS table (%s); keeping the PMD's", p.id,
            std::strerror(-rc));
}
}  // namespace

std::string start_port(PortState& p) {
  if (p.started) return "";
  int rc = rte_eth_dev_start(p.id);
  if (rc < 0) return "port " + std::to_string(p.id) + ": start failed: " + std::strerror(-rc);
  p.started = true;
  program_reta(p);
  rte_eth_link link{};
  const uint64_t deadline =
      rte_get_timer_cycles() + rte_get_timer_hz() * p.profile.link_wait_ms / 1000;
  do {
    rte_eth_link_get_nowait(p.id, &link);
    if (link.link_status == RTE_ETH_LINK_UP) break;
    rte_delay_us_sleep(10 * 1000);
  } while (rte_get_timer_cycles() < deadline);
  char text[RTE_ETH_LINK_MAX_STR_LEN];
  rte_eth_link_to_str(text, sizeof text, &link);
  PMX_LOG(INFO, "port %u: started, %s", p.id, text);
  return "";
}

void receive_multicast(const PortState& p, const std::vector<rte_ether_addr>& groups, bool all) {
  if (p.profile.multicast == Multicast::None) return;
  if (p.profile.multicast == Multicast::Filter && !all) {
    std::vector<rte_ether_addr> list = groups;
    const int rc =
        rte_eth_dev_set_mc_addr_list(p.id, list.data(), static_cast<uint32_t>(list.size()));
    if (rc == 0) {
      PMX_LOG(INFO, "port %u: multicast filter set to %zu IPv6 group(s)", p.id, list.size());
      return;
    }
    PMX_LOG(NOTICE, "port %u: cannot set the multicast filter (%s): all multicast instead", p.id,
            std::strerror(-rc));
  }
  const int rc = rte_eth_allmulticast_enable(p.id);
  if (rc == 0)
    PMX_LOG(INFO, "port %u: receiving all multicast (IPv6 neighbour discovery)", p.id);
  else
    PMX_LOG(NOTICE,
            "port %u: cannot enable all-multicast (%s); IPv6 neighbour discovery needs the "
            "port to deliver 33:33:xx frames (profile key multicast, drivers_cfg/README.md)",
            p.id, std::strerror(-rc));
}

void stop_port(PortState& p) {
  if (!p.started) return;
  int rc = rte_eth_dev_stop(p.id);
  if (rc < 0) PMX_LOG(WARNING, "port %u: stop failed: %s", p.id, std::strerror(-rc));
  p.started = false;
}

}  // namespace pmx::port
