#include <iostream>

#include "pipelines/cli/commands.h"
#include "io/store_description.h"

namespace spindle::cli {

void add_inspect_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand("inspect", "List what a spindle store holds and what each part means");
  command->footer(
      "Prints every group and dataset like `h5ls -r` (shape, type, chunks, compression), each\n"
      "with its meaning: DNA records (length, md5, source), soft masks, series (channels,\n"
      "units, sampling rate), ECG annotations (counts by symbol).\n"
      "Examples:\n"
      "  spindle inspect genome.h5\n"
      "  spindle inspect ecg.h5 | grep symbol\n");
  auto store = std::make_shared<std::string>();
  command->add_option("store", *store, "a store written by spindle ingest")->required();
  command->callback([&runner, store] {
    runner = [store] {
      std::cout << describe_store(*store);
      return 0;
    };
  });
}

}  // namespace spindle::cli
