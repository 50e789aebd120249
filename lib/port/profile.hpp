// Port profiles: one INI file per PMD family in drivers_cfg/ (format in
// drivers_cfg/README.md), chosen by the port's driver name.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pmx::port {

// A configuration mistake: the message is one line naming the bad value.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class RssKey : uint8_t { Default, Symmetric };

// How a port receives the IPv6 multicast frames neighbour discovery needs
// (33:33:00:00:00:01 and our solicited-node groups, 33:33:ff:xx:xx:xx; RFC
// 4861 7.2.1, RFC 2464 7): all multicast (rte_eth_allmulticast_enable), the
// MAC filter set to those groups (rte_eth_dev_set_mc_addr_list; allmulti if
// the PMD has none), or nothing (the PMD delivers every frame anyway).
enum class Multicast : uint8_t { Allmulti, Filter, None };

struct Profile {
  std::string name;  // file stem, e.g. "af_packet"
  std::string path;
  std::vector<std::string> drivers;
  uint16_t rx_desc = 512;
  uint16_t tx_desc = 512;
  uint16_t max_queues = 0;  // 0: as many as the device reports
  uint16_t mtu = 1500;
  uint64_t rx_offloads = 0;  // RTE_ETH_RX_OFFLOAD_* requested
  uint64_t tx_offloads = 0;  // RTE_ETH_TX_OFFLOAD_* requested
  uint64_t rss_hf = 0;       // RTE_ETH_RSS_* requested
  RssKey rss_key = RssKey::Default;
  uint32_t link_wait_ms = 3000;
  uint16_t burst = 32;
  Multicast multicast = Multicast::Allmulti;
  // key=value devargs added to a --vdev of this driver that does not set
  // that key itself (e.g. af_packet's framecnt=4096), as "k1=v1,k2=v2".
  std::string vdev_defaults;
};

// Reads one profile; throws ConfigError naming the file and the bad key/value.
Profile load_profile(const std::string& path);

// Reads every *.ini in dir (sorted by name).
std::vector<Profile> load_profile_dir(const std::string& dir);

// The profile that lists driver, else the one named "default", else nullptr.
const Profile* pick_profile(const std::vector<Profile>& all, const std::string& driver);

// A --vdev devargs string ("net_af_packet0,iface=x,qpairs=2") with the
// vdev_defaults of the profile whose driver names its device (the name up to
// the first comma starts with the driver name; DPDK's eth_ aliases count as
// net_) appended for every key the string does not set. Unchanged when no
// profile matches.
std::string apply_vdev_defaults(const std::vector<Profile>& all, const std::string& devargs);

// The same over EAL's words: "--vdev=ARGS" and "--vdev ARGS" are rewritten,
// everything else is copied.
std::vector<std::string> apply_vdev_defaults(const std::vector<Profile>& all,
                                             const std::vector<std::string>& eal_args);

// Name <-> flag translation, exposed for tests and the CLI.
uint64_t rx_offload_from_name(const std::string& name);  // 0 if unknown
uint64_t tx_offload_from_name(const std::string& name);
uint64_t rss_hf_from_name(const std::string& name);
std::string rx_offloads_to_string(uint64_t flags);
std::string tx_offloads_to_string(uint64_t flags);

// The 40-byte symmetric Toeplitz key (0x6d5a repeated), extended to len.
std::vector<uint8_t> symmetric_rss_key(size_t len);

}  // namespace pmx::port
