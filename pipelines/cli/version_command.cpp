#include <iostream>

#include "pipelines/build_info.h"
#include "pipelines/cli/commands.h"

namespace spindle::cli {

void add_version_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand("version", "Print spindle's version");
  command->footer("Example:\n  spindle version\n");
  command->callback([&runner] {
    runner = [] {
      std::cout << "spindle " << kSpindleVersion << "\n";
      return 0;
    };
  });
}

}  // namespace spindle::cli
