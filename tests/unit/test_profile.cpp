#include "port/profile.hpp"
#include "portmux_config.h"

#include <rte_ethdev.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace pmx::port {
namespace {

std::string write_tmp(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/pmx_profile_test.ini";
  std::ofstream(path) << text;
  return path;
}

TEST(Profile, EveryShippedProfileLoads) {
  auto all = load_profile_dir(PORTMUX_PROFILE_DIR);
  for (const char* drv :
       {"net_af_packet", "net_tap", "net_memif", "net_ring", "net_pcap", "net_null", "net_virtio",
        "net_ixgbe", "net_i40e", "net_ice", "mlx5_pci"}) {
    const Profile* p = pick_profile(all, drv);
    ASSERT_NE(p, nullptr) << drv;
    EXPECT_NE(p->name, "default") << drv << " falls back to default.ini";
  }
  const Profile* d = pick_profile(all, "net_unheard_of");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->name, "default");
}

TEST(Profile, ParsesFlagsByDpdkNames) {
  auto p = load_profile(write_tmp(
      "driver = net_x\ndriver = net_x_vf\nrx_desc = 2048\nmtu = 9000\n"
      "rx_offloads = ipv4_cksum TCP_CKSUM\ntx_offloads = MULTI_SEGS\nrss_hf = ipv4-tcp udp\n"
      "rss_key = symmetric\nburst = 64\n"));
  EXPECT_EQ(p.drivers, (std::vector<std::string>{"net_x", "net_x_vf"}));
  EXPECT_EQ(p.rx_desc, 2048);
  EXPECT_EQ(p.mtu, 9000);
  EXPECT_EQ(p.rx_offloads, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
  EXPECT_EQ(p.tx_offloads, RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
  EXPECT_EQ(p.rss_hf, RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_UDP);
  EXPECT_EQ(p.rss_key, RssKey::Symmetric);
  EXPECT_EQ(p.burst, 64);
}

TEST(Profile, MistakesNameTheValue) {
  struct C {
    const char* text;
    const char* names;
  };
  for (auto c :
       {C{"rx_offloads = IPV4_CKSUM WARP_DRIVE\n", "WARP_DRIVE"}, C{"rss_hf = ipv5\n", "ipv5"},
        C{"rss_key = secret\n", "secret"}, C{"mtu = 10\n", "mtu = 10"},
        C{"burst = 0\n", "burst = 0"}, C{"colour = blue\n", "colour"},
        C{"rx_desc = many\n", "rx_desc"}, C{"multicast = some\n", "'some'"}}) {
    try {
      load_profile(write_tmp(c.text));
      ADD_FAILURE() << c.text;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(c.names), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(load_profile("/nonexistent/x.ini"), ConfigError);
}

// How the port receives ND's multicast frames (issue 13): allmulti unless
// the profile says otherwise.
TEST(Profile, MulticastKey) {
  EXPECT_EQ(load_profile(write_tmp("driver = net_x\n")).multicast, Multicast::Allmulti);
  EXPECT_EQ(load_profile(write_tmp("multicast = filter\n")).multicast, Multicast::Filter);
  EXPECT_EQ(load_profile(write_tmp("multicast = none\n")).multicast, Multicast::None);
}

TEST(Profile, SymmetricKeyRepeats6d5a) {
  auto k = symmetric_rss_key(52);
  ASSERT_EQ(k.size(), 52u);
  for (size_t i = 0; i < k.size(); i += 2) {
    EXPECT_EQ(k[i], 0x6d);
    EXPECT_EQ(k[i + 1], 0x5a);
  }
}

TEST(Profile, VdevDefaultsParsed) {
  auto p = load_profile(write_tmp("driver = net_x\nvdev_defaults = framecnt=4096, framesz=2048\n"));
  EXPECT_EQ(p.vdev_defaults, "framecnt=4096, framesz=2048");
  EXPECT_THROW(load_profile(write_tmp("vdev_defaults = framecnt\n")), ConfigError);
  EXPECT_THROW(load_profile(write_tmp("vdev_defaults = =4\n")), ConfigError);
  EXPECT_THROW(load_profile(write_tmp("vdev_defaults = framecnt=\n")), ConfigError);
}

TEST(Profile, VdevDefaultsAppendOnlyMissingKeys) {
  std::vector<Profile> all(2);
  all[0].drivers = {"net_af_packet"};
  all[0].vdev_defaults = "framecnt=4096,blocksz=8192";
  all[1].drivers = {"net_null"};
  EXPECT_EQ(apply_vdev_defaults(all, "net_af_packet0,iface=v0,qpairs=2"),
            "net_af_packet0,iface=v0,qpairs=2,framecnt=4096,blocksz=8192");
  // The user's own value wins.
  EXPECT_EQ(apply_vdev_defaults(all, "net_af_packet1,iface=v0,framecnt=512"),
            "net_af_packet1,iface=v0,framecnt=512,blocksz=8192");
  // DPDK's alias, and a device name without devargs.
  EXPECT_EQ(apply_vdev_defaults(all, "eth_af_packet0"),
            "eth_af_packet0,framecnt=4096,blocksz=8192");
  // No defaults, or no profile: unchanged.
  EXPECT_EQ(apply_vdev_defaults(all, "net_null0,no-rx=1"), "net_null0,no-rx=1");
  EXPECT_EQ(apply_vdev_defaults(all, "net_ring0"), "net_ring0");
}

TEST(Profile, VdevDefaultsRewriteEalWords) {
  std::vector<Profile> all(1);
  all[0].drivers = {"net_af_packet"};
  all[0].vdev_defaults = "framecnt=4096";
  const std::vector<std::string> in{
      "portmux", "-l", "0-1", "--vdev=net_af_packet0,iface=a", "--vdev", "net_af_packet1,iface=b",
      "--no-pci"};
  const std::vector<std::string> want{"portmux", "-l",
                                      "0-1",     "--vdev=net_af_packet0,iface=a,framecnt=4096",
                                      "--vdev",  "net_af_packet1,iface=b,framecnt=4096",
                                      "--no-pci"};
  EXPECT_EQ(apply_vdev_defaults(all, in), want);
}

TEST(Profile, VdevDefaultsShippedAfPacket) {
  auto all = load_profile_dir(PORTMUX_PROFILE_DIR);
  EXPECT_EQ(apply_vdev_defaults(all, "net_af_packet0,iface=x"),
            "net_af_packet0,iface=x,framecnt=4096");
}

}  // namespace
}  // namespace pmx::port
