// CLI: scenario runs (docs/scenarios.md). scenario run FILE [DIR],
// scenario stop, show scenario.
#include "cli/cli.hpp"
#include "cli/cli_tokens.hpp"
#include "control/plane.hpp"
#include "control/scenario_control.hpp"

namespace pmx::control {
namespace {

void do_run(cmdline* cl, void* data, const std::string& file, const std::string& dir) {
  Cli& c = cli_of(data);
  try {
    const scenario::Scenario s = scenario::load(file);
    ScenarioControl& sc = c.plane.scenario();
    if (sc.running()) return fail(c, cl, "scenario run: a scenario is under way (scenario stop)");
    if (std::string err = sc.apply_at_runtime(s); !err.empty())
      return fail(c, cl, "scenario run: %s", err.c_str());
    if (std::string err = sc.start(s, dir); !err.empty())
      return fail(c, cl, "scenario run: %s", err.c_str());
    cmdline_printf(cl, "scenario %s: started, %zu group(s)\n", s.name.c_str(), s.groups.size());
  } catch (const scenario::ScenarioError& e) {
    fail(c, cl, "%s", e.what());
  }
}

// --- scenario run FILE [DIR]
struct Run {
  cmdline_fixed_string_t scenario, run;
  cmdline_fixed_string_t file;
};
struct RunDir {
  cmdline_fixed_string_t scenario, run;
  cmdline_fixed_string_t file, dir;
};
cmdline_parse_token_string_t run_kw = PMX_KEYWORD(Run, scenario, "scenario");
cmdline_parse_token_string_t run_run = PMX_KEYWORD(Run, run, "run");
cmdline_parse_token_string_t run_file = TOKEN_STRING_INITIALIZER(Run, file, nullptr);
cmdline_parse_token_string_t rund_kw = PMX_KEYWORD(RunDir, scenario, "scenario");
cmdline_parse_token_string_t rund_run = PMX_KEYWORD(RunDir, run, "run");
cmdline_parse_token_string_t rund_file = TOKEN_STRING_INITIALIZER(RunDir, file, nullptr);
cmdline_parse_token_string_t rund_dir = TOKEN_STRING_INITIALIZER(RunDir, dir, nullptr);

void run_fn(void* parsed, cmdline* cl, void* data) {
  do_run(cl, data, static_cast<Run*>(parsed)->file, "");
}
void rund_fn(void* parsed, cmdline* cl, void* data) {
  auto* r = static_cast<RunDir*>(parsed);
  do_run(cl, data, r->file, r->dir);
}

cmdline_parse_inst_t cmd_run = {
    run_fn,
    nullptr,
    "scenario run FILE: run a YAML scenario (docs/scenarios.md); outputs in its outputs.dir or .",
    {(cmdline_parse_token_hdr_t*)&run_kw, (cmdline_parse_token_hdr_t*)&run_run,
     (cmdline_parse_token_hdr_t*)&run_file, nullptr}};
cmdline_parse_inst_t cmd_run_dir = {
    rund_fn,
    nullptr,
    "scenario run FILE DIR: the same, outputs (timeline.jsonl, report.json, report.html) in DIR",
    {(cmdline_parse_token_hdr_t*)&rund_kw, (cmdline_parse_token_hdr_t*)&rund_run,
     (cmdline_parse_token_hdr_t*)&rund_file, (cmdline_parse_token_hdr_t*)&rund_dir, nullptr}};

// --- scenario stop
struct Stop {
  cmdline_fixed_string_t scenario, stop;
};
cmdline_parse_token_string_t stop_kw = PMX_KEYWORD(Stop, scenario, "scenario");
cmdline_parse_token_string_t stop_stop = PMX_KEYWORD(Stop, stop, "stop");

void stop_fn(void*, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  if (std::string err = c.plane.scenario().stop(); !err.empty())
    return fail(c, cl, "scenario stop: %s", err.c_str());
  cmdline_printf(cl, "scenario: stopping (its report follows)\n");
}

cmdline_parse_inst_t cmd_stop = {
    stop_fn,
    nullptr,
    "scenario stop: end the scenario; open connections are reset, the criteria are judged",
    {(cmdline_parse_token_hdr_t*)&stop_kw, (cmdline_parse_token_hdr_t*)&stop_stop, nullptr}};

// --- show scenario
struct Show {
  cmdline_fixed_string_t show, scenario;
};
cmdline_parse_token_string_t show_kw = PMX_KEYWORD(Show, show, "show");
cmdline_parse_token_string_t show_scn = PMX_KEYWORD(Show, scenario, "scenario");

void show_fn(void*, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  if (c.json) return (void)cmdline_printf(cl, "%s", c.plane.scenario().status_json().c_str());
  cmdline_printf(cl, "%s", c.plane.scenario().status_text().c_str());
}

cmdline_parse_inst_t cmd_show = {
    show_fn,
    nullptr,
    "show scenario: the scenario under way or the last one (groups, last interval, verdicts)",
    {(cmdline_parse_token_hdr_t*)&show_kw, (cmdline_parse_token_hdr_t*)&show_scn, nullptr}};

}  // namespace

void register_scenario_commands(std::vector<cmdline_parse_inst_t*>& out) {
  out.insert(out.end(), {&cmd_run, &cmd_run_dir, &cmd_stop, &cmd_show});
}

}  // namespace pmx::control
