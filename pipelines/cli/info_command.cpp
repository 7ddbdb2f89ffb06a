#include <iostream>

#include "pipelines/cli/commands.h"
#include "pipelines/system_report.h"

namespace spindle::cli {

void add_info_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand(
      "info", "Print build options, CPU features, GPUs (memory, compute capability) and library versions");
  command->footer(
      "Examples:\n"
      "  spindle info\n"
      "  spindle info --json | python3 -m json.tool\n");
  auto json = std::make_shared<bool>(false);
  command->add_flag("--json", *json, "print one JSON object instead of text");
  command->callback([&runner, json] {
    runner = [json] {
      const nlohmann::json report = system_report();
      std::cout << (*json ? report.dump(2) + "\n" : format_system_report(report));
      return 0;
    };
  });
}

}  // namespace spindle::cli
