#include "config/options.hpp"

#include "cli/cli.hpp"
#include "config/listen_spec.hpp"
#include "service/catalog.hpp"

#include <cmdline_parse_string.h>

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

TEST(Options, KernelPorts) {
  auto o = parse({"--kernel-port", "0", "--kernel-port", "1=host-1.a", "--kernel-tcp-ports",
                  "22,179,8000-8099"});
  ASSERT_EQ(o.kernel_ports.size(), 2u);
  EXPECT_EQ(o.kernel_ports.at(0), "pmxk0");
  EXPECT_EQ(o.kernel_ports.at(1), "host-1.a");
  ASSERT_EQ(o.kernel_tcp_ports.size(), 3u);
  EXPECT_EQ(o.kernel_tcp_ports[2], (std::pair<uint16_t, uint16_t>{8000, 8099}));
  EXPECT_TRUE(parse({}).kernel_ports.empty());
  EXPECT_TRUE(parse({"--kernel-port", "0"}).kernel_tcp_ports.empty());  // all ports
  expect_error({"--kernel-port", "x"}, "'x'");
  expect_error({"--kernel-port", "0=a/b"}, "'a/b'");
  expect_error({"--kernel-port", "0=a-name-far-too-long"}, "'a-name-far-too-long'");
  expect_error({"--kernel-port", "0", "--kernel-port", "0=again"}, "0=again");
  expect_error({"--kernel-port", "0", "--kernel-tcp-ports", "22,,80"}, "bad item ''");
  expect_error({"--kernel-port", "0", "--kernel-tcp-ports", "0"}, "bad item '0'");
  expect_error({"--kernel-port", "0", "--kernel-tcp-ports", "90-80"}, "bad item '90-80'");
  expect_error({"--kernel-port", "0", "--kernel-tcp-ports", "70000"}, "bad item '70000'");
  expect_error({"--kernel-tcp-ports", "22"}, "needs --kernel-port");
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

// IPv6 addresses and gateways mix with IPv4 ones on the same port (issue
// 13); a port may have one gateway of each family.
TEST(Options, Ipv6AddressesAndGateways) {
  auto o = parse({"--addr", "0=198.18.0.1/24", "--addr", "0=2001:2::1/64", "--addr",
                  "0=2001:2:0:1::1/64", "--addr", "1=2001:2:1::1/48", "--gateway", "0=198.18.0.254",
                  "--gateway", "0=2001:2::fe", "--gateway", "1=fe80::1", "--dad-ms", "50"});
  ASSERT_EQ(o.addrs.size(), 1u);
  ASSERT_EQ(o.addrs6.size(), 3u);
  EXPECT_EQ(o.addrs6[0].port, 0);
  EXPECT_EQ(net::to_string(o.addrs6[1].addr.addr), "2001:2:0:1::1");
  EXPECT_EQ(o.addrs6[1].addr.prefix, 64);
  EXPECT_EQ(o.addrs6[2].port, 1);
  EXPECT_EQ(o.addrs6[2].addr.prefix, 48);
  EXPECT_EQ(net::to_string(o.gateways.at(0)), "198.18.0.254");
  EXPECT_EQ(net::to_string(o.gateways6.at(0)), "2001:2::fe");
  EXPECT_EQ(net::to_string(o.gateways6.at(1)), "fe80::1");
  EXPECT_EQ(o.dad_ms, 50u);
  EXPECT_EQ(parse({}).dad_ms, 1000u);  // RFC 4861 10: RetransTimer
  EXPECT_EQ(parse({"--dad-ms", "0"}).dad_ms, 0u);
}

TEST(Options, BadIpv6ValuesAreNamed) {
  expect_error({"--addr", "0=2001:2::1/129"}, "'2001:2::1/129'");
  expect_error({"--addr", "0=2001:2::1"}, "'2001:2::1'");
  expect_error({"--addr", "0=2001:2:::1/64"}, "'2001:2:::1/64'");
  expect_error({"--addr", "0=ff02::1/64"}, "ff02::1 is multicast");
  expect_error({"--addr", "0=::/0"}, ":: is the unspecified address");
  expect_error({"--addr", "0=::1/128"}, "::1 is the loopback address");
  expect_error({"--addr", "0=::ffff:198.18.0.1/128"}, "IPv4-mapped");
  expect_error({"--addr", "0=fe80::1/64"}, "fe80::1 is link-local");
  expect_error({"--addr", "40=2001:2::1/64"}, "'40'");
  expect_error({"--gateway", "0=2001:2::zz"}, "'2001:2::zz'");
  expect_error({"--gateway", "0=ff02::2"}, "ff02::2 is multicast");
  expect_error({"--gateway", "0=2001:2::fe", "--gateway", "0=2001:2::fd"},
               "port 0 has an IPv6 one already");
  expect_error({"--dad-ms", "60001"}, "--dad-ms 60001");
}

TEST(Options, ConfigFileTakesIpv6Too) {
  const std::string path = ::testing::TempDir() + "/pmx_opts6.ini";
  {
    std::ofstream f(path);
    f << "addr = 0=198.18.0.1/24\naddr = 0=2001:2::1/64\ngateway = 0=2001:2::fe\n"
         "gateway = 0=198.18.0.254\ndad-ms = 200\n";
  }
  auto o = parse({"--config", path});
  EXPECT_EQ(o.addrs.size(), 1u);
  ASSERT_EQ(o.addrs6.size(), 1u);
  EXPECT_EQ(net::to_string(o.addrs6[0].addr.addr), "2001:2::1");
  EXPECT_EQ(net::to_string(o.gateways6.at(0)), "2001:2::fe");
  EXPECT_EQ(o.gateways.size(), 1u);
  EXPECT_EQ(o.dad_ms, 200u);
  {
    std::ofstream f(path);
    f << "addr = 0=2001:2::1/200\n";
  }
  expect_error({"--config", path}, "'2001:2::1/200'");
  std::remove(path.c_str());
}

// --route (issue 14): several, both families, on the command line and in
// the INI file; each bad form is one line naming it.
TEST(Options, Routes) {
  auto o = parse({"--route", "198.18.64.0/18=198.18.0.2", "--route", "2001:2:0:8::/64=2001:2::2",
                  "--route", "0.0.0.0/0=198.18.0.3"});
  ASSERT_EQ(o.routes.size(), 2u);
  EXPECT_EQ(net::to_string(o.routes[0]), "198.18.64.0/18=198.18.0.2");
  EXPECT_EQ(net::to_string(o.routes[1]), "0.0.0.0/0=198.18.0.3");
  ASSERT_EQ(o.routes6.size(), 1u);
  EXPECT_EQ(net::to_string(o.routes6[0]), "2001:2:0:8::/64=2001:2::2");
  expect_error({"--route", "198.18.64.0/18"}, "--route '198.18.64.0/18': no '='");
  expect_error({"--route", "198.18.64.9/18=198.18.0.2"},
               "--route '198.18.64.9/18=198.18.0.2': 198.18.64.9/18 has host bits set");
  expect_error({"--route", "198.18.64.0/18=2001:2::2"},
               "IPv4 prefix 198.18.64.0/18 with IPv6 gateway 2001:2::2");
  expect_error({"--route", "198.18.0.0/99=198.18.0.2"}, "bad prefix length in '198.18.0.0/99'");
  expect_error({"--route", "198.18.64.0/18=198.18.0.2", "--route", "198.18.64.0/18=198.18.0.3"},
               "--route '198.18.64.0/18=198.18.0.3': 198.18.64.0/18 has a route already "
               "(198.18.64.0/18=198.18.0.2)");
  const std::string path = ::testing::TempDir() + "/pmx_routes.ini";
  {
    std::ofstream f(path);
    f << "route = 198.18.64.0/18=198.18.0.2\nroute = 2001:2:0:8::/64=2001:2::2\n";
  }
  o = parse({"--config", path});
  EXPECT_EQ(o.routes.size(), 1u);
  EXPECT_EQ(o.routes6.size(), 1u);
  std::remove(path.c_str());
}

TEST(Options, ListenSpecs) {
  auto o =
      parse({"--listen", "0.0.0.0:80=http,size=1000,backlog=16", "--listen", "198.18.0.1:7=echo",
             "--listen", "0.0.0.0:9=discard,cc=cubic,hystart=off", "--max-flows", "1024",
             "--msl-ms", "500", "--tcp-buffer-kb", "16", "--tcp-keepalive"});
  ASSERT_EQ(o.listen.size(), 3u);
  EXPECT_EQ(o.listen[0].ip, net::IpAddr{});
  EXPECT_EQ(o.listen[0].port, 80);
  EXPECT_EQ(o.listen[0].service.kind, service::kind::Http);
  EXPECT_EQ(o.listen[0].service.arg, 1000u);
  EXPECT_EQ(o.listen[0].backlog, 16u);
  EXPECT_EQ(o.listen[1].ip, net::IpAddr::of(*net::parse_ipv4("198.18.0.1")));
  EXPECT_EQ(o.listen[1].service.kind, service::kind::Echo);
  EXPECT_EQ(o.listen[2].service.kind, service::kind::Discard);
  EXPECT_EQ(o.listen[0].cc, tcp::CcKind::NewReno);
  EXPECT_EQ(o.listen[2].cc, tcp::CcKind::Cubic);
  EXPECT_TRUE(o.listen[0].hystart);
  EXPECT_FALSE(o.listen[2].hystart);
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
  expect_error({"--listen", "0.0.0.0:80=http,hystart=1"}, "'1': expected on|off");
  expect_error({"--listen", "0.0.0.0:80=http,backlog=0"}, "'0'");
  expect_error({"--max-flows", "4"}, "4");
  expect_error({"--msl-ms", "0"}, "0");
}

// Every line of service/services.def is a service --listen and the CLI
// accept by its name, with its keys and defaults, and describe() prints it
// back in words --listen reads again.
TEST(Options, EveryServiceOfTheTableParsesAndPrintsBack) {
  ASSERT_GT(service::kCount, 0u);
  for (const service::Info& i : service::kServices) {
    const std::string name(i.name);
    SCOPED_TRACE(name);
    const tcp::ListenSpec s = make_listen_spec("", "198.18.0.1", "80", name, {});
    EXPECT_EQ(s.service.kind, i.kind);
    EXPECT_EQ(service::find(i.kind), &i);
    EXPECT_EQ(service::name(s.service.kind), i.name);
    EXPECT_EQ(s.service.arg, i.arg_default);
    EXPECT_EQ(s.service.timeout_s, i.timeout_default);
    EXPECT_EQ(s.service.idle_timeout_s, i.idle_timeout);

    // "198.18.0.1:80 NAME k=v ..." as "198.18.0.1:80=NAME,k=v,...".
    std::string opt = describe(s);
    EXPECT_EQ(opt.rfind("198.18.0.1:80 " + name + " ", 0), 0u) << opt;
    opt[opt.find(' ')] = '=';
    for (char& c : opt) c = c == ' ' ? ',' : c;
    const tcp::ListenSpec back = parse_listen_option(opt);
    EXPECT_EQ(back.ip, s.ip);
    EXPECT_EQ(back.port, s.port);
    EXPECT_EQ(back.service.kind, s.service.kind);
    EXPECT_EQ(back.service.arg, s.service.arg);
    EXPECT_EQ(back.service.timeout_s, s.service.timeout_s);
    EXPECT_EQ(back.service.idle_timeout_s, s.service.idle_timeout_s);
    EXPECT_EQ(back.backlog, s.backlog);
    EXPECT_EQ(back.cc, s.cc);

    // Its own keys are read and printed; out of range names the value.
    if (!i.arg_key.empty()) {
      const std::string k(i.arg_key);
      const auto t = make_listen_spec("", "198.18.0.1", "80", name, {{k, "7"}});
      EXPECT_EQ(t.service.arg, 7u);
      EXPECT_NE(describe(t).find(" " + k + "=7 "), std::string::npos) << describe(t);
      expect_error({"--listen",
                    "0.0.0.0:80=" + name + "," + k + "=" + std::to_string(uint64_t{i.arg_max} + 1)},
                   "'" + std::to_string(uint64_t{i.arg_max} + 1) + "'");
    }
    if (!i.timeout_key.empty()) {
      const std::string k(i.timeout_key);
      const auto t = make_listen_spec("", "198.18.0.1", "80", name, {{k, "7"}});
      EXPECT_EQ(t.service.timeout_s, 7u);
      EXPECT_NE(describe(t).find(" " + k + "=7 "), std::string::npos) << describe(t);
    }
    // Another service's key is an unknown key for this one.
    for (auto column : {&service::Info::arg_key, &service::Info::timeout_key})
      for (std::string_view k : service::keys(column))
        if (k != i.arg_key && k != i.timeout_key) {
          expect_error({"--listen", "0.0.0.0:80=" + name + "," + std::string(k) + "=1"},
                       "unknown key '" + std::string(k) + "' for " + name);
        }
  }
}

// The names the CLI offers and the errors list are the table's, in order.
TEST(Options, ServiceNamesComeFromTheTable) {
  std::string hashes;
  for (const service::Info& i : service::kServices) hashes += "#" + std::string(i.name);
  EXPECT_EQ(service::kChoices, hashes);
  EXPECT_EQ(service::names("#"), hashes.substr(1));
  EXPECT_EQ(service::find(std::string_view("client")), nullptr);
  EXPECT_EQ(service::name(tcp::ServiceKind::Client), "client");
  expect_error({"--listen", "0.0.0.0:80=ftp"},
               "unknown service 'ftp' (" + service::names(", ") + ")");

  // The CLI's listen commands: the service token's choices and the help.
  std::vector<cmdline_parse_inst_t*> cmds;
  register_tcp_commands(cmds);
  int listens = 0;
  for (const cmdline_parse_inst_t* c : cmds) {
    const std::string help = c->help_str ? c->help_str : "";
    if (help.rfind("listen <ip> <port> ", 0) != 0) continue;
    ++listens;
    const std::string head = "listen <ip> <port> " + service::names("|");
    EXPECT_TRUE(help.rfind(head + ":", 0) == 0 || help.rfind(head + " [", 0) == 0) << help;
    if (help.find(" [backlog N]") != std::string::npos) {  // the one with keys
      for (std::string_view k : service::keys(&service::Info::arg_key)) {
        EXPECT_NE(help.find(" [" + std::string(k) + " N]"), std::string::npos) << help;
      }
    }
    const auto* tok = reinterpret_cast<const cmdline_parse_token_string_t*>(c->tokens[3]);
    EXPECT_STREQ(tok->string_data.str, hashes.c_str() + 1);
  }
  EXPECT_EQ(listens, 2);
}

TEST(Options, ListenFromTheConfigFile) {
  const std::string path = ::testing::TempDir() + "/pmx_listen.ini";
  {
    std::ofstream f(path);
    f << "listen = 0.0.0.0:80=http,size=10\nlisten = 0.0.0.0:7=echo\nmsl-ms = 100\n";
  }
  auto o = parse({"--config", path});
  ASSERT_EQ(o.listen.size(), 2u);
  EXPECT_EQ(o.listen[0].service.arg, 10u);
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
        "--tcp-buffer-kb", "--tcp-buffers", "--tcp-keepalive", "--metrics", "--dad-ms"})
    EXPECT_NE(u.find(opt), std::string::npos) << opt;
}

}  // namespace
}  // namespace pmx::control

namespace pmx::control {
namespace {

// Issue 14: PORT.VLAN names a VLAN interface; the same address may be ours
// on two VLANs (two links), not twice on one; gateways are per interface.
TEST(Options, VlanInterfaces) {
  auto o = parse({"--addr", "0.100=198.18.1.1/24", "--addr", "0.200=198.18.1.1/24", "--addr",
                  "0=198.18.0.1/24", "--gateway", "0.100=198.18.1.254", "--gateway",
                  "0=198.18.0.254", "--addr", "1.4094=2001:2:1::1/64"});
  ASSERT_EQ(o.addrs.size(), 3u);
  EXPECT_EQ(o.addrs[0].port, 0);
  EXPECT_EQ(o.addrs[0].vlan, 100);
  EXPECT_EQ(o.addrs[1].vlan, 200);
  EXPECT_EQ(o.addrs[2].vlan, 0);
  ASSERT_EQ(o.addrs6.size(), 1u);
  EXPECT_EQ(o.addrs6[0].port, 1);
  EXPECT_EQ(o.addrs6[0].vlan, 4094);
  EXPECT_EQ(net::to_string(o.gateways.at(IfaceId{0, 100})), "198.18.1.254");
  EXPECT_EQ(net::to_string(o.gateways.at(0)), "198.18.0.254");
  expect_error({"--addr", "0.100=198.18.1.1/24", "--addr", "0.100=198.18.1.1/24"},
               "--addr '0.100=198.18.1.1/24': overlaps 198.18.1.1/24 on port 0.100");
  expect_error({"--addr", "0.4095=198.18.1.1/24"},
               "--addr '0.4095=198.18.1.1/24': bad VLAN id '4095' (1-4094)");
  expect_error({"--addr", "0.0=198.18.1.1/24"}, "bad VLAN id '0'");
  expect_error({"--addr", "0.=198.18.1.1/24"}, "bad VLAN id ''");
  expect_error({"--addr", "0.1x=198.18.1.1/24"}, "bad VLAN id '1x'");
  expect_error({"--addr", "x.100=198.18.1.1/24"}, "bad port id 'x'");
  expect_error({"--gateway", "0.100=198.18.1.254", "--gateway", "0.100=198.18.1.253"},
               "port 0.100 has an IPv4 one already");
}

// Issue 14: ranges on the command line and in the file; each bad form is
// named with the option (the forms themselves: test_addr.cpp, AddrRange).
TEST(Options, AddressRanges) {
  auto o = parse({"--addr", "0=198.18.16.1-198.18.31.254/20", "--addr", "0=198.18.0.1/24", "--addr",
                  "1=198.18.16.1-198.18.16.9/20", "--addr", "0=2001:2::100-2001:2::1ff/64"});
  ASSERT_EQ(o.addrs.size(), 3u);
  EXPECT_EQ(o.addrs[0].addr.count, 4094u);
  EXPECT_EQ(o.addrs[2].port, 1);  // the same range on another port is fine
  ASSERT_EQ(o.addrs6.size(), 1u);
  EXPECT_EQ(o.addrs6[0].addr.count, 256u);
  expect_error({"--addr", "0=198.18.0.1-198.18.0.9/24", "--addr", "0=198.18.0.9/24"},
               "--addr '0=198.18.0.9/24': overlaps 198.18.0.1-198.18.0.9/24 on port 0");
  expect_error({"--addr", "0=2001:2::1-2001:2::9/64", "--addr", "0=2001:2::5-2001:2::20/64"},
               "--addr '0=2001:2::5-2001:2::20/64': overlaps 2001:2::1-2001:2::9/64 on port 0");
  expect_error({"--addr", "0=198.18.0.1/24", "--addr", "0=198.18.0.1/24"}, "overlaps");
  expect_error({"--addr", "0=198.18.0.9-198.18.0.1/24"}, "FIRST 198.18.0.9 is above LAST");
  expect_error({"--addr", "0=198.18.0.1-198.18.1.1/24"}, "prefix /24 does not cover");
  expect_error({"--addr", "0=198.16.0.0-198.32.0.0/8"}, "at most 1048576");
  expect_error({"--addr", "0=198.18.0.1-2001:2::1/64"}, "different families");
  expect_error({"--addr", "0=223.255.255.254-224.0.0.1/2"}, "224.0.0.1 is not a unicast");
  expect_error({"--addr", "0=fe80::1-fe80::9/64"}, "fe80::1 is link-local");
  const std::string path = ::testing::TempDir() + "range.ini";
  {
    std::ofstream f(path);
    f << "addr = 0=198.18.0.1-198.18.0.100/24\naddr = 0=198.18.0.50/24\n";
  }
  expect_error({"--config", path},
               "--addr '0=198.18.0.50/24': overlaps 198.18.0.1-198.18.0.100/24");
}

}  // namespace
}  // namespace pmx::control
