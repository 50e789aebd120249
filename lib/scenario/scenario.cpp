// The scenario file's parser (scenario.hpp, docs/scenarios.md), on yaml-cpp.
// Every value is checked by the parser that owns its meaning -- options by
// control::parse_options, client words by gen::parse_spec -- one key at a
// time, so a mistake is reported at its own line and key path with that
// parser's expected form; what only a scenario has (count, think, ramps,
// start, criteria, outputs) is checked here. Nothing is started before the
// whole file passed.
#include "scenario/scenario.hpp"

#include "config/listen_spec.hpp"
#include "config/options.hpp"
#include "stats/text.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace pmx::scenario {

namespace {

// Where a value is: the file and the key path (clients[0].rate).
struct At {
  const std::string& file;
  std::string path;
  int line = 0;  // 1-based
  // A key as the path shows it: cut after 40 bytes (user text in one line).
  At sub(const std::string& key, const YAML::Node& n) const {
    const std::string k = key.size() > 40 ? key.substr(0, 40) + "..." : key;
    return {file, path.empty() ? k : path + "." + k, line_of(n)};
  }
  At item(size_t i, const YAML::Node& n) const {
    return {file, path + "[" + std::to_string(i) + "]", line_of(n)};
  }
  int line_of(const YAML::Node& n) const {
    const int l = n.IsDefined() ? n.Mark().line : -1;
    return l >= 0 ? l + 1 : line;
  }
  // One printable line of at most about 400 bytes (user text quoted in
  // the other parsers' messages is escaped, and may be long).
  [[noreturn]] void fail(const std::string& msg) const {
    std::string m = stats::printable(file + ":" + std::to_string(line) + ": " +
                                     (path.empty() ? "" : path + ": ") + msg);
    if (m.size() > 400) m = m.substr(0, 400) + "...";
    throw ScenarioError(m);
  }
};

std::string qv(const std::string& s) {
  return "'" + (s.size() > 64 ? s.substr(0, 64) + "..." : s) + "'";
}

// The scalar text of n, or a one-line error naming what was expected.
std::string scalar(const At& at, const YAML::Node& n, const char* form) {
  if (!n.IsScalar()) at.fail(std::string("expected a value (") + form + ")");
  return n.Scalar();
}

// Plain decimal digits (no sign, no junk) in lo..hi.
uint64_t uint_in(const At& at, const YAML::Node& n, uint64_t lo, uint64_t hi, const char* form) {
  const std::string s = scalar(at, n, form);
  uint64_t v = 0;
  bool ok = !s.empty() && s.size() <= 19;
  for (char ch : s) ok = ok && ch >= '0' && ch <= '9';
  if (ok) v = std::stoull(s);
  if (!ok || v < lo || v > hi) at.fail("bad value " + qv(s) + " (expected " + form + ")");
  return v;
}

// A decimal number (digits, optionally a point and more digits) in lo..hi.
double num_in(const At& at, const YAML::Node& n, double lo, double hi, const char* form) {
  const std::string s = scalar(at, n, form);
  size_t digits = 0, points = 0;
  bool ok = !s.empty() && s.size() <= 24;
  for (char ch : s) {
    if (ch >= '0' && ch <= '9')
      ++digits;
    else if (ch == '.')
      ++points;
    else
      ok = false;
  }
  ok = ok && digits > 0 && points <= 1 && s.front() != '.' && s.back() != '.';
  const double v = ok ? std::stod(s) : 0.0;
  if (!ok || !(v >= lo && v <= hi)) at.fail("bad value " + qv(s) + " (expected " + form + ")");
  return v;
}

// The keys of map n, each checked against allowed; duplicates refused.
void check_keys(const At& at, const YAML::Node& n, std::initializer_list<const char*> allowed,
                const char* what) {
  if (!n.IsMap()) at.fail(std::string("expected a map (") + what + ")");
  std::set<std::string> seen;
  for (const auto& kv : n) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    const At a = at.sub(k, kv.first);
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* x) { return k == x; }) ==
        allowed.end()) {
      std::string list;
      for (const char* x : allowed) list += (list.empty() ? "" : ", ") + std::string(x);
      a.fail("unknown key (expected one of: " + list + ")");
    }
    if (!seen.insert(k).second) a.fail("duplicate key");
  }
}

// A list, or one value standing for a list of one.
std::vector<YAML::Node> list_of(const YAML::Node& n) {
  std::vector<YAML::Node> v;
  if (n.IsSequence())
    for (const auto& x : n) v.push_back(x);
  else
    v.push_back(n);
  return v;
}

// Checks one option (e.g. --addr 0=198.18.0.1/24) with the options parser
// and appends it; its error becomes this key's.
void add_option(const At& at, std::vector<std::string>& out, const std::string& opt,
                const std::string& value) {
  std::vector<std::string> w{opt};
  if (!value.empty()) w.push_back(value);
  try {
    control::parse_options(w);
  } catch (const control::OptionError& e) {
    at.fail(e.what());
  }
  out.insert(out.end(), w.begin(), w.end());
}

std::string iface_key(const At& at, const YAML::Node& n) {
  const At ap = at.sub("port", n["port"]);
  if (!n["port"]) at.fail("missing key 'port' (expected a port id 0..1023)");
  std::string k = std::to_string(uint_in(ap, n["port"], 0, 1023, "a port id 0..1023"));
  if (n["vlan"])
    k += "." + std::to_string(
                   uint_in(at.sub("vlan", n["vlan"]), n["vlan"], 1, 4094, "a VLAN id 1..4094"));
  return k;
}

void parse_interfaces(const At& at, const YAML::Node& n, std::vector<std::string>& out) {
  if (!n.IsSequence()) at.fail("expected a list of interfaces ({port: 0, addresses: [...]})");
  for (size_t i = 0; i < n.size(); ++i) {
    const At a = at.item(i, n[i]);
    check_keys(a, n[i], {"port", "vlan", "addresses", "gateway", "gateway6", "routes"},
               "an interface");
    const std::string key = iface_key(a, n[i]);
    if (const YAML::Node x = n[i]["addresses"]) {
      const auto v = list_of(x);
      for (size_t k = 0; k < v.size(); ++k) {
        const At ak = x.IsSequence() ? a.sub("addresses", x).item(k, v[k]) : a.sub("addresses", x);
        add_option(ak, out, "--addr", key + "=" + scalar(ak, v[k], "ADDR/LEN or FIRST-LAST/LEN"));
      }
    }
    for (const char* g : {"gateway", "gateway6"})
      if (const YAML::Node x = n[i][g]) {
        const At ag = a.sub(g, x);
        add_option(ag, out, "--gateway", key + "=" + scalar(ag, x, "an address"));
      }
    if (const YAML::Node r = n[i]["routes"]) {
      const At ar = a.sub("routes", r);
      if (!r.IsSequence()) ar.fail("expected a list of {prefix: P/LEN, via: GATEWAY}");
      for (size_t k = 0; k < r.size(); ++k) {
        const At rk = ar.item(k, r[k]);
        check_keys(rk, r[k], {"prefix", "via"}, "{prefix: P/LEN, via: GATEWAY}");
        if (!r[k]["prefix"] || !r[k]["via"]) rk.fail("needs 'prefix' and 'via'");
        add_option(rk, out, "--route",
                   scalar(rk.sub("prefix", r[k]["prefix"]), r[k]["prefix"], "PREFIX/LEN") + "=" +
                       scalar(rk.sub("via", r[k]["via"]), r[k]["via"], "a gateway address"));
      }
    }
  }
}

void parse_servers(const At& at, const YAML::Node& n, std::vector<std::string>& out) {
  if (!n.IsSequence()) at.fail("expected a list of servers ({listen: ADDR:PORT, service: NAME})");
  for (size_t i = 0; i < n.size(); ++i) {
    const At a = at.item(i, n[i]);
    if (!n[i].IsMap()) a.fail("expected a map ({listen: ADDR:PORT, service: NAME, ...})");
    if (!n[i]["listen"]) a.fail("missing key 'listen' (expected ADDR:PORT)");
    if (!n[i]["service"]) a.fail("missing key 'service' (expected a service name, as --listen)");
    std::string v = scalar(a.sub("listen", n[i]["listen"]), n[i]["listen"], "ADDR:PORT") + "=" +
                    scalar(a.sub("service", n[i]["service"]), n[i]["service"], "a service name");
    std::set<std::string> seen;
    for (const auto& kv : n[i]) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (!seen.insert(k).second) a.sub(k, kv.first).fail("duplicate key");
      if (k == "listen" || k == "service") continue;
      // A service option (size, backlog, cc, ...), checked with the listen
      // grammar one at a time so its error names it.
      const std::string val = scalar(a.sub(k, kv.second), kv.second, "a value");
      try {
        control::parse_listen_option(v + "," + k + "=" + val);
      } catch (const control::OptionError& e) {
        a.sub(k, kv.first).fail(e.what());
      }
      v += "," + k + "=" + val;
    }
    add_option(a, out, "--listen", v);
  }
}

void parse_options_map(const At& at, const YAML::Node& n, std::vector<std::string>& out) {
  if (!n.IsMap()) at.fail("expected a map of command-line options (max-flows: 100000)");
  std::set<std::string> seen;
  for (const auto& kv : n) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    const At a = at.sub(k, kv.first);
    if (!seen.insert(k).second) a.fail("duplicate key");
    static const char* const kNot[] = {"scenario", "out", "gen", "gen-report", "config", "help"};
    if (std::find(std::begin(kNot), std::end(kNot), k) != std::end(kNot))
      a.fail("not an option a scenario sets");
    if (k.empty() || k[0] == '-') a.fail("bad option name (expected a long option without '--')");
    for (const YAML::Node& v : list_of(kv.second)) {
      const std::string s = scalar(a, v, "the option's value");
      if (s == "true")
        add_option(a, out, "--" + k, "");  // a switch
      else if (s != "false")
        add_option(a, out, "--" + k, s);
    }
  }
}

// One `gen start` keyword and its value, checked alone against the target.
void gen_word(const At& at, const std::vector<std::string>& target, const std::string& word,
              const std::string& value, std::vector<std::string>& words) {
  std::vector<std::string> w = target;
  w.push_back(word);
  w.push_back(value);
  // reqs 0 alone would need a duration: checked with the whole group.
  if (!(word == "reqs" && value == "0")) {
    try {
      gen::parse_spec(w);
    } catch (const gen::SpecError& e) {
      at.fail(e.what());
    }
  }
  words.push_back(word);
  words.push_back(value);
}

Criteria parse_criteria(const At& at, const YAML::Node& n) {
  check_keys(at, n,
             {"errors", "min_cps", "min_rps", "min_established", "max_connect_p99_us",
              "max_request_p99_us", "min_gbps"},
             "criteria");
  Criteria c;
  const auto u = [&](const char* k, std::optional<uint64_t>& f) {
    if (n[k]) f = uint_in(at.sub(k, n[k]), n[k], 0, UINT64_MAX / 2, "a whole number >= 0");
  };
  const auto d = [&](const char* k, std::optional<double>& f) {
    if (n[k]) f = num_in(at.sub(k, n[k]), n[k], 0, 1e12, "a number >= 0");
  };
  u("errors", c.errors);
  d("min_cps", c.min_cps);
  d("min_rps", c.min_rps);
  u("min_established", c.min_established);
  u("max_connect_p99_us", c.max_connect_p99_us);
  u("max_request_p99_us", c.max_request_p99_us);
  d("min_gbps", c.min_gbps);
  return c;
}

std::string seconds(double s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

bool good_name(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-')
      return false;
  return true;
}

Group parse_group(const At& a, const YAML::Node& n, size_t index) {
  check_keys(a, n, {"name",     "target",          "mode",      "method",   "conns", "count",
                    "rate",     "ramp_up",         "ramp_down", "duration", "start", "reqs",
                    "req_size", "resp_size",       "think",     "src",      "close", "cc",
                    "hystart",  "connect_timeout", "criteria"},
             "a client group");
  Group g;
  g.name = "group" + std::to_string(index);
  if (n["name"]) {
    g.name = scalar(a.sub("name", n["name"]), n["name"], "a name");
    if (!good_name(g.name))
      a.sub("name", n["name"])
          .fail("bad value " + qv(g.name) + " (expected 1-32 of A-Z a-z 0-9 _ . -)");
  }
  if (!n["target"]) a.fail("missing key 'target' (expected ADDR:PORT, [IPv6]:PORT)");
  const At at = a.sub("target", n["target"]);
  const std::string t = scalar(at, n["target"], "ADDR:PORT");
  const auto ap = control::parse_listen_addr(t);
  if (!ap) at.fail("bad value " + qv(t) + " (expected ADDR:PORT, [IPv6]:PORT)");
  const std::vector<std::string> target{ap->first, std::to_string(ap->second)};
  std::vector<std::string> words = target;
  static const std::pair<const char*, const char*> kWords[] = {
      {"mode", "mode"},
      {"method", "method"},
      {"conns", "conns"},
      {"rate", "rate"},
      {"reqs", "reqs"},
      {"req_size", "req-size"},
      {"resp_size", "resp-size"},
      {"duration", "duration"},
      {"src", "src"},
      {"close", "close"},
      {"cc", "cc"},
      {"connect_timeout", "connect-timeout"}};
  for (const auto& [key, word] : kWords)
    if (const YAML::Node x = n[key])
      gen_word(a.sub(key, x), target, word, scalar(a.sub(key, x), x, "a value"), words);
  if (const YAML::Node x = n["hystart"]) {
    const At ah = a.sub("hystart", x);
    const std::string v = scalar(ah, x, "true or false");
    if (v != "true" && v != "false" && v != "on" && v != "off")
      ah.fail("bad value " + qv(v) + " (expected true or false)");
    gen_word(ah, target, "hystart", v == "true" || v == "on" ? "on" : "off", words);
  }
  if (n["count"])
    g.count = uint_in(a.sub("count", n["count"]), n["count"], 1, 10'000'000'000ull,
                      "1..10000000000 connections");
  if (!n["duration"] && !n["count"]) a.fail("needs 'duration' (seconds) or 'count' (connections)");
  if (!n["conns"]) {
    // The cap defaults to the count (a counted group without a cap opens at its rate).
    if (!n["count"])
      a.fail("missing key 'conns' (expected the connections open at once, 1..10000000)");
    words.push_back("conns");
    words.push_back(std::to_string(std::min<uint64_t>(g.count, 10'000'000)));
  }
  try {
    g.spec = gen::parse_spec(words);
  } catch (const gen::SpecError& e) {
    a.fail(e.what());
  }
  // A scenario's group must end: by its count, or by a duration of >= 1 s
  // (gen's "duration 0" means "until stopped", which a scenario has no way to do).
  if (!g.count && g.spec.duration_s == 0)
    a.sub("duration", n["duration"])
        .fail("bad value '0' (expected 1..86400 seconds, or a 'count' to end the group by)");
  if (n["think"])
    g.think_ms = static_cast<uint32_t>(
        uint_in(a.sub("think", n["think"]), n["think"], 0, 3'600'000, "0..3600000 ms"));
  const auto secs = [&](const char* k, double& f) {
    if (n[k]) f = num_in(a.sub(k, n[k]), n[k], 0, 86400, "0..86400 seconds");
  };
  secs("ramp_up", g.ramp_up_s);
  secs("ramp_down", g.ramp_down_s);
  secs("start", g.start_s);
  if ((g.ramp_up_s > 0 || g.ramp_down_s > 0) && g.spec.rate == 0)
    a.fail("a ramp needs 'rate' (connections per second to ramp to)");
  if (g.ramp_down_s > 0 && g.spec.duration_s == 0)
    a.sub("ramp_down", n["ramp_down"]).fail("needs 'duration' (the ramp ends with it)");
  if (g.spec.duration_s && g.ramp_up_s + g.ramp_down_s > g.spec.duration_s)
    a.fail("ramp_up + ramp_down (" + seconds(g.ramp_up_s + g.ramp_down_s) +
           " s) longer than duration (" + std::to_string(g.spec.duration_s) + " s)");
  if (n["criteria"]) g.criteria = parse_criteria(a.sub("criteria", n["criteria"]), n["criteria"]);
  return g;
}

Outputs parse_outputs(const At& at, const YAML::Node& n) {
  check_keys(at, n, {"interval", "dir", "timeline", "report_json", "report_html"}, "outputs");
  Outputs o;
  if (n["interval"])
    o.interval_s =
        num_in(at.sub("interval", n["interval"]), n["interval"], 0.1, 60, "0.1..60 seconds");
  const auto file = [&](const char* k, std::string& f) {
    if (!n[k]) return;
    const At a = at.sub(k, n[k]);
    f = n[k].IsNull() ? "" : scalar(a, n[k], "a file name, or \"\" for none");
  };
  file("dir", o.dir);
  file("timeline", o.timeline);
  file("report_json", o.report_json);
  file("report_html", o.report_html);
  return o;
}

}  // namespace

Scenario parse(const std::string& text, const std::string& file) {
  const At top{file, "", 1};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    At{file, "", e.mark.line >= 0 ? e.mark.line + 1 : 1}.fail("bad YAML: " + e.msg);
  }
  if (!root.IsMap()) top.fail("expected a map of interfaces, servers, clients, criteria, outputs");
  check_keys(
      top, root,
      {"name", "description", "options", "interfaces", "servers", "clients", "criteria", "outputs"},
      "the scenario");
  Scenario s;
  s.file = file;
  s.text = text;
  s.name = std::filesystem::path(file).stem().string();
  if (root["name"]) s.name = scalar(top.sub("name", root["name"]), root["name"], "a name");
  if (root["description"])
    s.description =
        scalar(top.sub("description", root["description"]), root["description"], "a text");
  if (root["options"])
    parse_options_map(top.sub("options", root["options"]), root["options"], s.option_words);
  if (root["interfaces"])
    parse_interfaces(top.sub("interfaces", root["interfaces"]), root["interfaces"], s.option_words);
  if (root["servers"])
    parse_servers(top.sub("servers", root["servers"]), root["servers"], s.option_words);
  const YAML::Node c = root["clients"];
  const At ac = top.sub("clients", c);
  if (!c) top.fail("missing key 'clients' (expected a list of client groups)");
  if (!c.IsSequence() || c.size() == 0 || c.size() > kMaxGroups)
    ac.fail("expected a list of 1.." + std::to_string(kMaxGroups) + " client groups");
  std::set<std::string> names;
  for (size_t i = 0; i < c.size(); ++i) {
    const At a = ac.item(i, c[i]);
    s.groups.push_back(parse_group(a, c[i], i));
    if (!names.insert(s.groups.back().name).second)
      a.fail("duplicate group name " + qv(s.groups.back().name));
  }
  if (root["criteria"])
    s.criteria = parse_criteria(top.sub("criteria", root["criteria"]), root["criteria"]);
  if (root["outputs"])
    s.outputs = parse_outputs(top.sub("outputs", root["outputs"]), root["outputs"]);
  // The options together (a second --gateway for one interface, say).
  try {
    control::parse_options(s.option_words);
  } catch (const control::OptionError& e) {
    top.fail(e.what());
  }
  return s;
}

Scenario load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ScenarioError(stats::printable(path + ": cannot read the scenario file"));
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse(ss.str(), path);
}

}  // namespace pmx::scenario
