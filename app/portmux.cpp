// portmux: EAL options, then "--", then the application's options.
#include "config/options.hpp"
#include "control/plane.hpp"
#include "port/profile.hpp"
#include "scenario/scenario.hpp"

#include <rte_eal.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

void on_signal(int sig) { pmx::control::Plane::signalled = sig; }

// Application options are the words after the first "--".
std::vector<std::string> app_args(int argc, char** argv) {
  std::vector<std::string> out;
  int i = 1;
  while (i < argc && std::strcmp(argv[i], "--") != 0) ++i;
  for (++i; i < argc; ++i) out.emplace_back(argv[i]);
  return out;
}

int eal_argc(int argc, char** argv) {
  int i = 1;
  while (i < argc && std::strcmp(argv[i], "--") != 0) ++i;
  return i;
}

}  // namespace

int main(int argc, char** argv) {
  pmx::control::Options opt;
  try {
    opt = pmx::control::parse_options(app_args(argc, argv));
  } catch (const pmx::control::OptionError& e) {
    std::fprintf(stderr, "portmux: %s (see -- --help)\n", e.what());
    return 2;
  }
  if (opt.help) {
    std::fputs(pmx::control::usage().c_str(), stdout);
    return 0;
  }
  // --scenario: the file is read and checked before anything starts; its
  // interfaces, servers and options join the command line's (exit 2 for
  // any mistake, docs/scenarios.md).
  std::optional<pmx::scenario::Scenario> scn;
  if (!opt.scenario.empty()) {
    try {
      scn = pmx::scenario::load(opt.scenario);
      auto words = app_args(argc, argv);
      words.insert(words.end(), scn->option_words.begin(), scn->option_words.end());
      opt = pmx::control::parse_options(words);
    } catch (const pmx::scenario::ScenarioError& e) {
      std::fprintf(stderr, "portmux: %s\n", e.what());
      return 2;
    } catch (const pmx::control::OptionError& e) {
      std::fprintf(stderr, "portmux: %s: %s\n", opt.scenario.c_str(), e.what());
      return 2;
    }
  }

  // Options are checked before EAL so a typo costs nothing; EAL sees only
  // the words before "--", with each --vdev completed by its profile's
  // vdev_defaults (the ring size af_packet needs, drivers_cfg/README.md).
  // A --port-profile cannot apply here: port ids exist only after EAL.
  std::vector<std::string> eal_words(argv, argv + eal_argc(argc, argv));
  try {
    const auto profiles = pmx::port::load_profile_dir(opt.profile_dir);
    auto completed = pmx::port::apply_vdev_defaults(profiles, eal_words);
    for (size_t i = 0; i < completed.size(); ++i)
      if (completed[i] != eal_words[i])
        std::printf("portmux: vdev devargs from the profile: %s\n", completed[i].c_str());
    eal_words = std::move(completed);
  } catch (const pmx::port::ConfigError& e) {
    std::fprintf(stderr, "portmux: %s\n", e.what());
    return 2;
  }
  // --kernel-port: a TAP port per data port, after the user's devices (the
  // plane finds it by this name; docs/architecture.md "The kernel exception
  // path").
  for (const auto& [port, name] : opt.kernel_ports)
    eal_words.push_back("--vdev=net_tap_pmxk" + std::to_string(port) + ",iface=" + name);
  std::vector<char*> eal_argv;
  for (auto& w : eal_words) eal_argv.push_back(w.data());
  eal_argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(eal_words.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "portmux: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    return scn ? 3 : 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);  // a portmux-ctl client that hangs up early

  int rc = 0;
  {
    const bool scenario = scn.has_value();
    pmx::control::Plane plane(std::move(opt));
    if (scn) plane.set_scenario(std::move(*scn));
    try {
      plane.setup();
      rc = plane.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "portmux: %s\n", e.what());
      rc = scenario ? 3 : 1;  // a scenario that could not start
    }
    plane.shutdown();
  }
  rte_eal_cleanup();
  return rc;
}
