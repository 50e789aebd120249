#include "config/options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace pmx::control {
namespace {

Options parse(std::vector<std::string> a) { return parse_options(a); }

// The error is one line and names the bad value.
void expect_error(std::vector<std::string> a, const std::string& names) {
  try {
    parse(a);
    ADD_FAILURE() << "accepted: " << names;
  } catch (const OptionError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(names), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Options, AddressesGatewaysAndFlags) {
  auto o = parse({"--addr", "0=198.18.0.1/24", "--addr", "0=198.18.1.1/24", "--addr",
                  "1=198.19.0.1/16", "--gateway", "0=198.18.0.254", "-i", "--stats-period", "2",
                  "--cli-socket", "/tmp/x.sock"});
  ASSERT_EQ(o.addrs.size(), 3u);
  EXPECT_EQ(o.addrs[1].port, 0);
  EXPECT_EQ(net::to_string(o.addrs[1].addr.addr), "198.18.1.1");
  EXPECT_EQ(o.addrs[2].port, 1);
  EXPECT_EQ(o.addrs[2].addr.prefix, 16);
  EXPECT_EQ(net::to_string(o.gateways.at(0)), "198.18.0.254");
  EXPECT_TRUE(o.interactive);
  EXPECT_EQ(o.stats_period, 2u);
  EXPECT_EQ(o.cli_socket, "/tmp/x.sock");
}

TEST(Options, Defaults) {
  auto o = parse({});
  EXPECT_FALSE(o.interactive);
  EXPECT_EQ(o.stats_period, 0u);
  EXPECT_FALSE(o.profile_dir.empty());
  EXPECT_TRUE(o.addrs.empty());
}

TEST(Options, BadValuesNameThemselves) {
  expect_error({"--addr", "0=198.18.0.300/24"}, "198.18.0.300/24");
  expect_error({"--addr", "198.18.0.1/24"}, "198.18.0.1/24");
  expect_error({"--addr", "x=198.18.0.1/24"}, "'x'");
  expect_error({"--addr", "99=198.18.0.1/24"}, "'99'");
  expect_error({"--addr", "0=224.0.0.1/4"}, "224.0.0.1");
  expect_error({"--gateway", "0=1.2.3"}, "1.2.3");
  expect_error({"--gateway", "0=198.18.0.254", "--gateway", "0=198.18.0.253"}, "198.18.0.253");
  expect_error({"--stats-period", "soon"}, "soon");
  expect_error({"--bogus"}, "--bogus");
  expect_error({"--cmdline-file", "/nonexistent/cmds"}, "/nonexistent/cmds");
  expect_error({"--neigh-entries", "0"}, "--neigh-entries 0");
  expect_error({"--config", "/nonexistent.ini"}, "/nonexistent.ini");
  // Found by fuzz_options: a value with a newline must not split the line.
  expect_error({"--addr\x01\n=198.18..02"}, "--addr\\x01\\x0a");
  expect_error({"--addr", "0=198.18.0.1/24\n"}, "\\x0a");
  // Found by fuzz_options: Boost 1.74 loops forever formatting these.
  expect_error({"-t%original_token%HH"}, "%original_token%");
  expect_error({"--stats-period", "%value%"}, "%value%");
  EXPECT_EQ(parse({"--cli-socket", "/tmp/100%.sock"}).cli_socket, "/tmp/100%.sock");
}

TEST(Options, ConfigFileTakesTheSameKeys) {
  const std::string path = ::testing::TempDir() + "/pmx_opts.ini";
  {
    std::ofstream f(path);
    f << "# comment\naddr = 0=198.18.0.1/24\naddr = 0=198.18.2.1/24\ngateway = 0=198.18.0.254\n"
         "stats-period = 5\ninteractive = true\nmetrics = 127.0.0.1:9464\n";
  }
  auto o = parse({"--config", path, "--addr", "1=198.19.0.1/16", "--stats-period", "1"});
  EXPECT_EQ(o.addrs.size(), 3u);  // both sources compose
  EXPECT_EQ(o.stats_period, 1u);  // the command line wins
  EXPECT_EQ(o.metrics_port, 9464);
  EXPECT_TRUE(o.interactive);
  EXPECT_EQ(o.gateways.size(), 1u);
  {
    std::ofstream f(path);
    f << "adr = 0=198.18.0.1/24\n";
  }
  expect_error({"--config", path}, "adr");
  std::remove(path.c_str());
}

TEST(Options, ListenSpecs) {
  auto o = parse({"--listen", "0.0.0.0:80=http,size=1000,backlog=16", "--listen",
                  "198.18.0.1:7=echo", "--listen", "0.0.0.0:9=discard,cc=cubic", "--max-flows",
                  "1024", "--msl-ms", "500", "--tcp-buffer-kb", "16", "--tcp-keepalive"});
  ASSERT_EQ(o.listen.size(), 3u);
  EXPECT_EQ(o.listen[0].ip, 0u);
  EXPECT_EQ(o.listen[0].port, 80);
  EXPECT_EQ(o.listen[0].service.kind, tcp::ServiceKind::Http);
  EXPECT_EQ(o.listen[0].service.http_size, 1000u);
  EXPECT_EQ(o.listen[0].backlog, 16u);
  EXPECT_EQ(o.listen[1].ip, net::parse_ipv4("198.18.0.1")->be);
  EXPECT_EQ(o.listen[1].service.kind, tcp::ServiceKind::Echo);
  EXPECT_EQ(o.listen[2].service.kind, tcp::ServiceKind::Discard);
  EXPECT_EQ(o.listen[0].cc, tcp::CcKind::NewReno);
  EXPECT_EQ(o.listen[2].cc, tcp::CcKind::Cubic);
  EXPECT_EQ(o.max_flows, 1024u);
  EXPECT_EQ(o.msl_ms, 500u);
  EXPECT_EQ(o.tcp_buffer_kb, 16u);
  EXPECT_TRUE(o.tcp_keepalive);
}

TEST(Options, BadListenSpecsNameThemselves) {
  expect_error({"--listen", "0.0.0.0:80"}, "0.0.0.0:80");
  expect_error({"--listen", "0.0.0.0:0=http"}, "'0'");
  expect_error({"--listen", "0.0.0.0:70000=http"}, "'70000'");
  expect_error({"--listen", "1.2.3:80=http"}, "'1.2.3'");
  expect_error({"--listen", "0.0.0.0:80=ftp"}, "'ftp'");
  expect_error({"--listen", "0.0.0.0:80=http,size"}, "'size'");
  expect_error({"--listen", "0.0.0.0:80=http,size=x"}, "'x'");
  expect_error({"--listen", "0.0.0.0:80=echo,size=10"}, "'size'");
  expect_error({"--listen", "0.0.0.0:80=http,cc=bbr"}, "'bbr' (newreno|cubic)");
  expect_error({"--listen", "0.0.0.0:80=http,backlog=0"}, "'0'");
  expect_error({"--max-flows", "4"}, "4");
  expect_error({"--msl-ms", "0"}, "0");
}

TEST(Options, ListenFromTheConfigFile) {
  const std::string path = ::testing::TempDir() + "/pmx_listen.ini";
  {
    std::ofstream f(path);
    f << "listen = 0.0.0.0:80=http,size=10\nlisten = 0.0.0.0:7=echo\nmsl-ms = 100\n";
  }
  auto o = parse({"--config", path});
  ASSERT_EQ(o.listen.size(), 2u);
  EXPECT_EQ(o.listen[0].service.http_size, 10u);
  EXPECT_EQ(o.msl_ms, 100u);
  std::remove(path.c_str());
}

TEST(Options, MetricsAddress) {
  EXPECT_TRUE(parse({}).metrics_addr.empty());
  auto o = parse({"--metrics", "127.0.0.1:9464"});
  EXPECT_EQ(o.metrics_addr, "127.0.0.1");
  EXPECT_EQ(o.metrics_port, 9464);
  o = parse({"--metrics", "[::1]:0"});
  EXPECT_EQ(o.metrics_addr, "::1");
  EXPECT_EQ(o.metrics_port, 0);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:65536", "::1:80",
                          "localhost:80", "1.2.3.4:80x", "[::1:80"})
    expect_error({"--metrics", bad}, std::string("--metrics '") + bad + "'");
}

TEST(Options, UsageListsEveryOption) {
  const std::string u = usage();
  for (const char* opt :
       {"--addr", "--gateway", "--interactive", "--cmdline-file", "--cli-socket", "--stats-period",
        "--config", "--port-profile", "--help", "--listen", "--max-flows", "--msl-ms",
        "--tcp-buffer-kb", "--tcp-buffers", "--tcp-keepalive", "--metrics"})
    EXPECT_NE(u.find(opt), std::string::npos) << opt;
}

}  // namespace
}  // namespace pmx::control
