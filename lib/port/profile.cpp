#include "profile.hpp"

#include <rte_ethdev.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pmx::port {

namespace po = boost::program_options;

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

template <class NameFn>
uint64_t offload_from_name(const std::string& name, NameFn fn) {
  const std::string want = upper(name);
  for (int bit = 0; bit < 64; ++bit) {
    const char* n = fn(uint64_t{1} << bit);
    if (n && want == n) return uint64_t{1} << bit;
  }
  return 0;
}

template <class NameFn>
std::string offloads_to_string(uint64_t flags, NameFn fn) {
  std::string out;
  for (int bit = 0; bit < 64; ++bit) {
    if (!(flags & (uint64_t{1} << bit))) continue;
    if (!out.empty()) out += ' ';
    const char* n = fn(uint64_t{1} << bit);
    out += n ? n : "?";
  }
  return out.empty() ? "none" : out;
}

// Parses a space-separated list through lookup; a name it does not know is a
// ConfigError naming key and value.
template <class Lookup>
uint64_t parse_flags(const std::string& path, const char* key, const std::string& value,
                     Lookup lookup) {
  uint64_t flags = 0;
  for (const auto& w : words(value)) {
    uint64_t f = lookup(w);
    if (!f) throw ConfigError(path + ": unknown " + key + " value '" + w + "'");
    flags |= f;
  }
  return flags;
}

template <class T>
T checked(const std::string& path, const char* key, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi)
    throw ConfigError(path + ": " + key + " = " + std::to_string(v) + " is outside [" +
                      std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<T>(v);
}

// "a=1,b=2" -> {"a=1", "b=2"}, spaces around items dropped, empty items skipped.
std::vector<std::string> split_devargs(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    const auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    out.push_back(item.substr(b, item.find_last_not_of(" \t") - b + 1));
  }
  return out;
}

std::string devarg_key(const std::string& item) { return item.substr(0, item.find('=')); }

const Profile* profile_for_vdev(const std::vector<Profile>& all, std::string name) {
  // RTE_PMD_REGISTER_ALIAS: eth_<x> names the same driver as net_<x>.
  if (name.starts_with("eth_")) name = "net_" + name.substr(4);
  const Profile* best = nullptr;
  size_t best_len = 0;  // the longest driver name that prefixes the device name
  for (const auto& p : all)
    for (const auto& d : p.drivers)
      if (name.starts_with(d) && d.size() > best_len) best = &p, best_len = d.size();
  return best;
}

}  // namespace

std::string apply_vdev_defaults(const std::vector<Profile>& all, const std::string& devargs) {
  const std::string name = devargs.substr(0, devargs.find(','));
  const Profile* p = profile_for_vdev(all, name);
  if (!p || p->vdev_defaults.empty()) return devargs;
  const auto given = split_devargs(devargs.substr(name.size()));
  std::string out = devargs;
  for (const auto& def : split_devargs(p->vdev_defaults)) {
    const std::string key = devarg_key(def);
    if (std::none_of(given.begin(), given.end(),
                     [&](const std::string& g) { return devarg_key(g) == key; }))
      out += "," + def;
  }
  return out;
}

std::vector<std::string> apply_vdev_defaults(const std::vector<Profile>& all,
                                             const std::vector<std::string>& eal_args) {
  std::vector<std::string> out;
  out.reserve(eal_args.size());
  for (size_t i = 0; i < eal_args.size(); ++i) {
    const std::string& a = eal_args[i];
    if (a.starts_with("--vdev=")) {
      out.push_back("--vdev=" + apply_vdev_defaults(all, a.substr(7)));
    } else if (a == "--vdev" && i + 1 < eal_args.size()) {
      out.push_back(a);
      out.push_back(apply_vdev_defaults(all, eal_args[++i]));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

uint64_t rx_offload_from_name(const std::string& name) {
  return offload_from_name(name, rte_eth_dev_rx_offload_name);
}
uint64_t tx_offload_from_name(const std::string& name) {
  return offload_from_name(name, rte_eth_dev_tx_offload_name);
}
std::string rx_offloads_to_string(uint64_t f) {
  return offloads_to_string(f, rte_eth_dev_rx_offload_name);
}
std::string tx_offloads_to_string(uint64_t f) {
  return offloads_to_string(f, rte_eth_dev_tx_offload_name);
}

uint64_t rss_hf_from_name(const std::string& name) {
  struct Hf {
    const char* name;
    uint64_t flags;
  };
  static constexpr Hf kTable[] = {
      {"ip", RTE_ETH_RSS_IP},
      {"tcp", RTE_ETH_RSS_TCP},
      {"udp", RTE_ETH_RSS_UDP},
      {"ipv4", RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4},
      {"ipv4-tcp", RTE_ETH_RSS_NONFRAG_IPV4_TCP},
      {"ipv4-udp", RTE_ETH_RSS_NONFRAG_IPV4_UDP},
      {"ipv4-other", RTE_ETH_RSS_NONFRAG_IPV4_OTHER},
      {"ipv6", RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6},
      {"ipv6-tcp", RTE_ETH_RSS_NONFRAG_IPV6_TCP},
      {"ipv6-udp", RTE_ETH_RSS_NONFRAG_IPV6_UDP},
      {"l2-payload", RTE_ETH_RSS_L2_PAYLOAD},
  };
  for (const auto& h : kTable)
    if (name == h.name) return h.flags;
  return 0;
}

std::vector<uint8_t> symmetric_rss_key(size_t len) {
  std::vector<uint8_t> k(len);
  for (size_t i = 0; i < len; ++i) k[i] = (i % 2) ? 0x5a : 0x6d;
  return k;
}

Profile load_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read profile '" + path + "'");
  po::options_description d;
  uint64_t rx_desc, tx_desc, max_queues, mtu, link_wait, burst;
  std::string vdev_defaults;
  std::string rx_off, tx_off, rss_hf, rss_key, multicast;
  Profile p;
  d.add_options()("driver", po::value<std::vector<std::string>>(&p.drivers))(
      "rx_desc", po::value(&rx_desc)->default_value(p.rx_desc))(
      "tx_desc", po::value(&tx_desc)->default_value(p.tx_desc))(
      "max_queues", po::value(&max_queues)->default_value(p.max_queues))(
      "mtu", po::value(&mtu)->default_value(p.mtu))("rx_offloads",
                                                    po::value(&rx_off)->default_value(""))(
      "tx_offloads", po::value(&tx_off)->default_value(""))("rss_hf",
                                                            po::value(&rss_hf)->default_value(""))(
      "rss_key", po::value(&rss_key)->default_value("default"))(
      "link_wait_ms", po::value(&link_wait)->default_value(p.link_wait_ms))(
      "burst", po::value(&burst)->default_value(p.burst))(
      "vdev_defaults", po::value(&vdev_defaults)->default_value(""))(
      "multicast", po::value(&multicast)->default_value("allmulti"));
  po::variables_map vm;
  try {
    po::store(po::parse_config_file(in, d, false), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(path + ": " + e.what());
  }
  p.path = path;
  p.name = std::filesystem::path(path).stem().string();
  p.rx_desc = checked<uint16_t>(path, "rx_desc", rx_desc, 32, 32768);
  p.tx_desc = checked<uint16_t>(path, "tx_desc", tx_desc, 32, 32768);
  p.max_queues = checked<uint16_t>(path, "max_queues", max_queues, 0, RTE_MAX_QUEUES_PER_PORT);
  p.mtu = checked<uint16_t>(path, "mtu", mtu, RTE_ETHER_MIN_MTU, 9600);
  p.link_wait_ms = checked<uint32_t>(path, "link_wait_ms", link_wait, 0, 60000);
  p.burst = checked<uint16_t>(path, "burst", burst, 1, 512);
  p.rx_offloads = parse_flags(path, "rx_offloads", rx_off, rx_offload_from_name);
  p.tx_offloads = parse_flags(path, "tx_offloads", tx_off, tx_offload_from_name);
  p.rss_hf = parse_flags(path, "rss_hf", rss_hf, rss_hf_from_name);
  for (const auto& item : split_devargs(vdev_defaults)) {
    const auto eq = item.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == item.size())
      throw ConfigError(path + ": vdev_defaults item '" + item + "' is not key=value");
  }
  p.vdev_defaults = vdev_defaults;
  if (rss_key == "default")
    p.rss_key = RssKey::Default;
  else if (rss_key == "symmetric")
    p.rss_key = RssKey::Symmetric;
  else
    throw ConfigError(path + ": unknown rss_key value '" + rss_key + "'");
  if (multicast == "allmulti")
    p.multicast = Multicast::Allmulti;
  else if (multicast == "filter")
    p.multicast = Multicast::Filter;
  else if (multicast == "none")
    p.multicast = Multicast::None;
  else
    throw ConfigError(path + ": unknown multicast value '" + multicast +
                      "' (allmulti, filter or none)");
  return p;
}

std::vector<Profile> load_profile_dir(const std::string& dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& ent : std::filesystem::directory_iterator(dir, ec))
    if (ent.path().extension() == ".ini") paths.push_back(ent.path().string());
  if (ec) throw ConfigError("cannot read profile directory '" + dir + "': " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<Profile> out;
  for (const auto& p : paths) out.push_back(load_profile(p));
  return out;
}

const Profile* pick_profile(const std::vector<Profile>& all, const std::string& driver) {
  const Profile* fallback = nullptr;
  for (const auto& p : all) {
    if (std::find(p.drivers.begin(), p.drivers.end(), driver) != p.drivers.end()) return &p;
    if (p.name == "default") fallback = &p;
  }
  return fallback;
}

}  // namespace pmx::port
