// CLI: the traffic generator. gen start <dst-ip> <dst-port> [words...],
// gen stop, show gen stats (grammar in lib/gen/spec.hpp).
#include "cli/cli.hpp"
#include "cli/cli_tokens.hpp"
#include "control/gen_control.hpp"
#include "control/plane.hpp"

namespace pmx::control {
namespace {

void do_gen_start(cmdline* cl, void* data, const char* words) {
  Cli& c = cli_of(data);
  try {
    const gen::GenSpec s = gen::parse_spec(std::string(words));
    if (std::string err = c.plane.gen().start(s); !err.empty())
      return fail(c, cl, "gen start: %s", err.c_str());
    cmdline_printf(cl, "gen: started %s\n", gen::to_string(s).c_str());
    const GenControl& g = c.plane.gen();
    if (std::string w = g.tuple_warning(*g.run_plan()); !w.empty())
      cmdline_printf(cl, "gen: warning: %s\n", w.c_str());
  } catch (const gen::SpecError& e) {
    fail(c, cl, "%s", e.what());
  }
}

// --- gen start <words...>
struct GenStart {
  cmdline_fixed_string_t gen, start;
  cmdline_multi_string_t rest;
};
cmdline_parse_token_string_t gen_start_gen = PMX_KEYWORD(GenStart, gen, "gen");
cmdline_parse_token_string_t gen_start_start = PMX_KEYWORD(GenStart, start, "start");
cmdline_parse_token_string_t gen_start_rest =
    TOKEN_STRING_INITIALIZER(GenStart, rest, TOKEN_STRING_MULTI);

void gen_start_fn(void* parsed, cmdline* cl, void* data) {
  do_gen_start(cl, data, static_cast<GenStart*>(parsed)->rest);
}

cmdline_parse_inst_t cmd_gen_start = {
    gen_start_fn,
    nullptr,
    "gen start <dst-ip> <dst-port> [mode http|echo|raw|stream] [method get|post] [conns N] [rate "
    "CPS] "
    "[reqs K] "
    "[req-size B] [resp-size B] [duration S] [src IP[-IP]] [close fin|rst|abandon] "
    "[cc newreno|cubic] [hystart on|off] [connect-timeout MS]: start the generator",
    {(cmdline_parse_token_hdr_t*)&gen_start_gen, (cmdline_parse_token_hdr_t*)&gen_start_start,
     (cmdline_parse_token_hdr_t*)&gen_start_rest, nullptr}};

// 'gen start' alone (a MULTI token never matches nothing): the spec's own
// error names what is missing.
struct GenWord {
  cmdline_fixed_string_t gen, word;
};
cmdline_parse_token_string_t gen_bare_gen = PMX_KEYWORD(GenWord, gen, "gen");
cmdline_parse_token_string_t gen_bare_start = PMX_KEYWORD(GenWord, word, "start");

void gen_start_bare_fn(void*, cmdline* cl, void* data) { do_gen_start(cl, data, ""); }

cmdline_parse_inst_t cmd_gen_start_bare = {gen_start_bare_fn,
                                           nullptr,
                                           "gen start: (needs a destination, see above)",
                                           {(cmdline_parse_token_hdr_t*)&gen_bare_gen,
                                            (cmdline_parse_token_hdr_t*)&gen_bare_start, nullptr}};

// --- gen stop
cmdline_parse_token_string_t gen_stop_gen = PMX_KEYWORD(GenWord, gen, "gen");
cmdline_parse_token_string_t gen_stop_stop = PMX_KEYWORD(GenWord, word, "stop");

void gen_stop_fn(void*, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  if (std::string err = c.plane.gen().stop(); !err.empty())
    return fail(c, cl, "gen stop: %s", err.c_str());
  cmdline_printf(cl, "gen: stopping\n");
}

cmdline_parse_inst_t cmd_gen_stop = {
    gen_stop_fn,
    nullptr,
    "gen stop: end the run; its open connections are reset (counted as stopped)",
    {(cmdline_parse_token_hdr_t*)&gen_stop_gen, (cmdline_parse_token_hdr_t*)&gen_stop_stop,
     nullptr}};

// --- show gen stats
struct ShowGen {
  cmdline_fixed_string_t show, gen, stats;
};
cmdline_parse_token_string_t show_gen_show = PMX_KEYWORD(ShowGen, show, "show");
cmdline_parse_token_string_t show_gen_gen = PMX_KEYWORD(ShowGen, gen, "gen");
cmdline_parse_token_string_t show_gen_stats = PMX_KEYWORD(ShowGen, stats, "stats");

// JSON: {"run": the report (show gen json's; null before the first run),
// "events": {gen_* counters, as counter_table_json}}.
void show_gen_fn(void*, cmdline* cl, void* data) {
  Plane& pl = cli_of(data).plane;
  if (cli_of(data).json) {
    Json j;
    j.obj().key("run");
    const std::optional<gen::Report> r = pl.gen().last_report();
    r ? j.raw(gen::to_json(*r)) : j.null();
    counter_table_json(pl, j, "gen_");
    return emit(cl, j.end());
  }
  cmdline_printf(cl, "%s\n", pl.gen().show().c_str());
  print_counter_table(pl, cl, "gen_");
}

cmdline_parse_inst_t cmd_show_gen = {
    show_gen_fn,
    nullptr,
    "show gen stats: the generator run under way or the last one (totals, rates, latency, errors)",
    {(cmdline_parse_token_hdr_t*)&show_gen_show, (cmdline_parse_token_hdr_t*)&show_gen_gen,
     (cmdline_parse_token_hdr_t*)&show_gen_stats, nullptr}};

// --- show gen json
struct ShowGenJson {
  cmdline_fixed_string_t show, gen, json;
};
cmdline_parse_token_string_t show_gen_json_show = PMX_KEYWORD(ShowGenJson, show, "show");
cmdline_parse_token_string_t show_gen_json_gen = PMX_KEYWORD(ShowGenJson, gen, "gen");
cmdline_parse_token_string_t show_gen_json_json = PMX_KEYWORD(ShowGenJson, json, "json");

void show_gen_json_fn(void*, cmdline* cl, void* data) {
  Cli& c = cli_of(data);
  const std::optional<gen::Report> r = c.plane.gen().last_report();
  if (!r) return fail(c, cl, "show gen json: no generator run yet");
  cmdline_printf(cl, "%s", gen::to_json(*r).c_str());
}

cmdline_parse_inst_t cmd_show_gen_json = {
    show_gen_json_fn,
    nullptr,
    "show gen json: the run under way or the last one as --gen-report's JSON (for scripts)",
    {(cmdline_parse_token_hdr_t*)&show_gen_json_show,
     (cmdline_parse_token_hdr_t*)&show_gen_json_gen,
     (cmdline_parse_token_hdr_t*)&show_gen_json_json, nullptr}};

}  // namespace

void register_gen_commands(std::vector<cmdline_parse_inst_t*>& out) {
  out.insert(out.end(), {&cmd_gen_start, &cmd_gen_start_bare, &cmd_gen_stop, &cmd_show_gen,
                         &cmd_show_gen_json});
}

}  // namespace pmx::control
