// The scenario parser (lib/scenario/scenario.cpp): every example in
// scenarios/ parses to what it says, and each malformed file gives its one
// line naming the file, line, key path and expected form.
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace pmx::scenario {
namespace {

const std::string kDir = std::string(PMX_SOURCE_ROOT) + "/scenarios";

TEST(Scenario, EveryExampleParses) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kDir)) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().string());
    EXPECT_NO_THROW(load(e.path().string()));
    ++n;
  }
  EXPECT_GE(n, 7);  // short, keepalive, bulk, idle, ipv6, dut, download
}

// The minimal form, as written (scenarios/short.yaml).
TEST(Scenario, TheMinimalFormMeansWhatItSays) {
  const Scenario s = load(kDir + "/short.yaml");
  EXPECT_EQ(s.name, "short");
  const std::vector<std::string> words{"--addr", "0=198.18.0.1/24", "--listen",
                                       "0.0.0.0:80=http,size=64"};
  EXPECT_EQ(s.option_words, words);
  ASSERT_EQ(s.groups.size(), 1u);
  const Group& g = s.groups[0];
  EXPECT_EQ(g.name, "short");
  EXPECT_EQ(gen::to_string(g.spec),
            "198.18.0.2 80 mode http conns 100 rate 1000 reqs 1 req-size 64 resp-size 64 "
            "duration 5 close fin");
  EXPECT_EQ(g.spec.conns, 100u);
  EXPECT_EQ(g.spec.rate, 1000u);
  EXPECT_EQ(g.spec.duration_s, 5u);
  EXPECT_EQ(g.spec.reqs, 1u);
  EXPECT_DOUBLE_EQ(g.ramp_up_s, 2);
  EXPECT_EQ(g.count, 0u);
  EXPECT_EQ(s.criteria.errors, 0u);
  EXPECT_EQ(s.criteria.min_cps, 500.0);
  EXPECT_FALSE(s.criteria.min_rps);
  EXPECT_EQ(s.outputs.interval_s, 1.0);
  EXPECT_EQ(s.outputs.timeline, "timeline.jsonl");
}

TEST(Scenario, GroupsCriteriaAndOutputs) {
  const Scenario s = load(kDir + "/keepalive.yaml");
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].think_ms, 20u);
  EXPECT_EQ(s.groups[0].spec.reqs, 20u);
  EXPECT_EQ(s.groups[0].criteria.max_request_p99_us, 200000u);
  EXPECT_EQ(s.groups[1].count, 500u);
  EXPECT_EQ(s.groups[1].spec.conns, 500u);  // the cap defaults to the count
  EXPECT_DOUBLE_EQ(s.groups[1].start_s, 2);
  EXPECT_EQ(s.groups[1].criteria.min_established, 500u);
  EXPECT_DOUBLE_EQ(s.outputs.interval_s, 0.5);
  EXPECT_EQ(s.description,
            "keep-alive browsing with think time, and a burst of short connections on top");
}

TEST(Scenario, OptionsBecomeCommandLineWords) {
  const Scenario s = parse(
      "options: {tcp-buffer-kb: 256, tcp-keepalive: true, syncookies: always}\n"
      "interfaces:\n  - {port: 1, vlan: 100, addresses: 198.18.2.1/24, gateway: 198.18.2.254,\n"
      "     routes: [{prefix: 198.19.0.0/16, via: 198.18.2.253}]}\n"
      "clients: [{target: 198.19.0.1:80, conns: 1, duration: 1}]\n",
      "o.yaml");
  const std::vector<std::string> words{"--tcp-buffer-kb",
                                       "256",
                                       "--tcp-keepalive",
                                       "--syncookies",
                                       "always",
                                       "--addr",
                                       "1.100=198.18.2.1/24",
                                       "--gateway",
                                       "1.100=198.18.2.254",
                                       "--route",
                                       "198.19.0.0/16=198.18.2.253"};
  EXPECT_EQ(s.option_words, words);
  EXPECT_EQ(s.groups[0].name, "group0");
}

struct Bad {
  const char* yaml;
  const char* error;  // the whole one line
};

// Each gives exactly its line (file:line: path: message (expected form)).
const Bad kBad[] = {
    {"clients: [\n", "b.yaml:2: bad YAML: end of sequence flow not found"},
    {"- 1\n", "b.yaml:1: expected a map of interfaces, servers, clients, criteria, outputs"},
    {"servers: []\n", "b.yaml:1: missing key 'clients' (expected a list of client groups)"},
    {"clients: []\n", "b.yaml:1: clients: expected a list of 1..8 client groups"},
    {"client: []\n",
     "b.yaml:1: client: unknown key (expected one of: name, description, options, interfaces, "
     "servers, clients, criteria, outputs)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 10\n",
     "b.yaml:2: clients[0]: needs 'duration' (seconds) or 'count' (connections)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 10\n    duration: 0\n",
     "b.yaml:4: clients[0].duration: bad value '0' (expected 1..86400 seconds, or a 'count' to "
     "end the group by)"},
    {"clients:\n  - conns: 10\n    duration: 1\n",
     "b.yaml:2: clients[0]: missing key 'target' (expected ADDR:PORT, [IPv6]:PORT)"},
    {"clients:\n  - target: 198.18.0.2\n    conns: 1\n    duration: 1\n",
     "b.yaml:2: clients[0].target: bad value '198.18.0.2' (expected ADDR:PORT, [IPv6]:PORT)"},
    {"clients:\n  - target: 198.18.0.2:80\n    rate: fast\n    conns: 1\n    duration: 1\n",
     "b.yaml:3: clients[0].rate: gen: bad value 'fast' for rate (expected 0..100000000)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 1\n    duration: 1\n    mode: ftp\n",
     "b.yaml:5: clients[0].mode: gen: bad value 'ftp' for mode (expected http|echo|raw|stream)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 1\n    duration: 1\n    rat: 5\n",
     "b.yaml:5: clients[0].rat: unknown key (expected one of: name, target, mode, method, conns, "
     "count, rate, ramp_up, ramp_down, duration, start, reqs, req_size, resp_size, think, src, "
     "close, cc, hystart, connect_timeout, criteria)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 1\n    duration: 1\n    think: -5\n",
     "b.yaml:5: clients[0].think: bad value '-5' (expected 0..3600000 ms)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 1\n    duration: 2\n    rate: 10\n"
     "    ramp_up: 2\n    ramp_down: 1\n",
     "b.yaml:2: clients[0]: ramp_up + ramp_down (3 s) longer than duration (2 s)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 1\n    duration: 2\n    ramp_up: 1\n",
     "b.yaml:2: clients[0]: a ramp needs 'rate' (connections per second to ramp to)"},
    {"clients:\n  - target: 198.18.0.2:80\n    conns: 1\n    duration: 1\n    reqs: 0\n"
     "  - target: 198.18.0.2:80\n    conns: 1\n    count: 5\n    reqs: 0\n",
     "b.yaml:6: clients[1]: gen: 'reqs' 0 (hold connections open) needs 'duration'"},
    {"clients:\n  - {name: a, target: 198.18.0.2:80, conns: 1, duration: 1}\n"
     "  - {name: a, target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:3: clients[1]: duplicate group name 'a'"},
    {"clients:\n  - {name: 'a b', target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:2: clients[0].name: bad value 'a b' (expected 1-32 of A-Z a-z 0-9 _ . -)"},
    {"clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\ncriteria:\n  min_cps: lots\n",
     "b.yaml:4: criteria.min_cps: bad value 'lots' (expected a number >= 0)"},
    {"clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\ncriteria:\n  max_cps: 5\n",
     "b.yaml:4: criteria.max_cps: unknown key (expected one of: errors, min_cps, min_rps, "
     "min_established, max_connect_p99_us, max_request_p99_us, min_gbps)"},
    {"clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\noutputs:\n  interval: 0\n",
     "b.yaml:4: outputs.interval: bad value '0' (expected 0.1..60 seconds)"},
    {"interfaces:\n  - port: 0\n    addresses: [198.18.0.1/33]\n"
     "clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:3: interfaces[0].addresses[0]: --addr '0=198.18.0.1/33': bad address "
     "'198.18.0.1/33' (want IP/PREFIX or FIRST-LAST/PREFIX)"},
    {"interfaces:\n  - port: 0\n    vlan: 4095\n"
     "clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:3: interfaces[0].vlan: bad value '4095' (expected a VLAN id 1..4094)"},
    {"interfaces:\n  - addresses: [198.18.0.1/24]\n"
     "clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:2: interfaces[0]: missing key 'port' (expected a port id 0..1023)"},
    {"servers:\n  - listen: 0.0.0.0:80\n    service: gopher\n"
     "clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:2: servers[0]: --listen '0.0.0.0:80=gopher': unknown service 'gopher' "
     "(echo, discard, http, chargen)"},
    {"options: {max-flows: 3}\nclients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:1: options.max-flows: --max-flows 3: must be 8..67108864"},
    {"options: {gen: x}\nclients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1}\n",
     "b.yaml:1: options.gen: not an option a scenario sets"},
    {"clients:\n  - {target: 198.18.0.2:80, conns: 1, duration: 1, conns: 2}\n",
     "b.yaml:2: clients[0].conns: duplicate key"},
    {"clients: {target: 198.18.0.2:80}\n",
     "b.yaml:1: clients: expected a list of 1..8 client groups"},
};

TEST(Scenario, EachMistakeGivesItsOneLine) {
  for (const Bad& b : kBad) {
    SCOPED_TRACE(b.yaml);
    try {
      parse(b.yaml, "b.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const ScenarioError& e) {
      const std::string w = e.what();
      EXPECT_EQ(w.find('\n'), std::string::npos);
      EXPECT_EQ(w, b.error);
    }
  }
  EXPECT_GE(std::size(kBad), 20u);
}

TEST(Scenario, AMissingFileIsOneLine) {
  try {
    load("/nonexistent/s.yaml");
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/s.yaml: cannot read the scenario file");
  }
}

}  // namespace
}  // namespace pmx::scenario
