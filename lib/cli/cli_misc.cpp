// CLI: the rest. show lcores, help, quit.
#include "cli/cli.hpp"
#include "cli/cli_tokens.hpp"
#include "control/plane.hpp"

#include <rte_lcore.h>

namespace pmx::control {
namespace {

// --- show lcores
struct ShowLcores {
  cmdline_fixed_string_t show, lcores;
};
cmdline_parse_token_string_t show_lcores_show = PMX_KEYWORD(ShowLcores, show, "show");
cmdline_parse_token_string_t show_lcores_lcores = PMX_KEYWORD(ShowLcores, lcores, "lcores");

// {"lcores": [{"lcore", "role": "control"|"worker", "socket", "queue" (null
// for the control lcore), "state", "busy_pct", "rx_frames" (null likewise)}]}
void lcores_json(cmdline* cl, const Plane& pl) {
  Json j;
  const unsigned main = rte_get_main_lcore();
  j.obj().key("lcores").arr();
  j.obj().kv("lcore", main).kv("role", "control").kv("socket", rte_lcore_to_socket_id(main));
  j.key("queue").null().kv("state", "running").key("busy_pct").null().key("rx_frames").null().end();
  for (const auto& w : pl.workers()) {
    const auto [busy_cycles, total] = w->loop_cycles();
    const double busy = total ? 100.0 * static_cast<double>(busy_cycles) / total : 0.0;
    j.obj()
        .kv("lcore", w->lcore())
        .kv("role", "worker")
        .kv("socket", rte_lcore_to_socket_id(w->lcore()))
        .kv("queue", w->queue())
        .kv("state", w->running() ? "running" : "stopped")
        .kv("busy_pct", busy)
        .kv("rx_frames", w->counters().get(stats::Ctr::rx_frames))
        .end();
  }
  emit(cl, j.end().end());
}

void show_lcores(void*, cmdline* cl, void* data) {
  const Plane& pl = cli_of(data).plane;
  if (cli_of(data).json) return lcores_json(cl, pl);
  cmdline_printf(cl, "%-6s %-8s %-7s %-6s %-8s %8s %14s\n", "Lcore", "Role", "Socket", "Queue",
                 "State", "Busy(%)", "RX-frames");
  const unsigned main = rte_get_main_lcore();
  cmdline_printf(cl, "%-6u %-8s %-7u %-6s %-8s %8s %14s\n", main, "control",
                 rte_lcore_to_socket_id(main), "-", "running", "-", "-");
  for (const auto& w : pl.workers()) {
    const auto [busy_cycles, total] = w->loop_cycles();
    const double busy = total ? 100.0 * static_cast<double>(busy_cycles) / total : 0.0;
    cmdline_printf(cl, "%-6u %-8s %-7u %-6u %-8s %8.2f %14lu\n", w->lcore(), "worker",
                   rte_lcore_to_socket_id(w->lcore()), w->queue(),
                   w->running() ? "running" : "stopped", busy,
                   static_cast<unsigned long>(w->counters().get(stats::Ctr::rx_frames)));
  }
}

cmdline_parse_inst_t cmd_show_lcores = {
    show_lcores,
    nullptr,
    "show lcores: the control lcore and each worker with its load",
    {(cmdline_parse_token_hdr_t*)&show_lcores_show, (cmdline_parse_token_hdr_t*)&show_lcores_lcores,
     nullptr}};

// --- help
struct Help {
  cmdline_fixed_string_t help;
};
cmdline_parse_token_string_t help_help = PMX_KEYWORD(Help, help, "help");

void help(void*, cmdline* cl, void*);

cmdline_parse_inst_t cmd_help = {
    help, nullptr, "help: this list", {(cmdline_parse_token_hdr_t*)&help_help, nullptr}};

// --- quit
struct Quit {
  cmdline_fixed_string_t quit;
};
cmdline_parse_token_string_t quit_quit = PMX_KEYWORD(Quit, quit, "quit");

void quit(void*, cmdline* cl, void* data) {
  cli_of(data).plane.request_quit();
  cmdline_printf(cl, "Bye...\n");
  cmdline_quit(cl);
}

cmdline_parse_inst_t cmd_quit = {quit,
                                 nullptr,
                                 "quit: stop ports and workers and exit",
                                 {(cmdline_parse_token_hdr_t*)&quit_quit, nullptr}};

void help(void*, cmdline* cl, void*) {
  std::vector<cmdline_parse_inst_t*> all;
  register_all_commands(all);
  cmdline_printf(cl, "Commands (Tab completes, ? lists choices, arrows browse history):\n");
  for (auto* inst : all) cmdline_printf(cl, "  %s\n", inst->help_str);
}

}  // namespace

void register_misc_commands(std::vector<cmdline_parse_inst_t*>& out) {
  out.insert(out.end(), {&cmd_show_lcores, &cmd_help, &cmd_quit});
}

}  // namespace pmx::control
