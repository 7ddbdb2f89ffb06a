// Registration of the `spindle` subcommands. Each adds itself to the app and sets the
// function that runs it; only working commands are registered.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace spindle::cli {

// What a subcommand runs once the command line is parsed; returns the exit code.
using Runner = std::function<int()>;

void add_version_command(CLI::App& app, Runner& runner);
void add_info_command(CLI::App& app, Runner& runner);
void add_check_command(CLI::App& app, Runner& runner);
void add_ingest_command(CLI::App& app, Runner& runner);
void add_inspect_command(CLI::App& app, Runner& runner);
void add_train_command(CLI::App& app, Runner& runner);
void add_simulate_command(CLI::App& app, Runner& runner);
void add_embed_command(CLI::App& app, Runner& runner);
void add_score_command(CLI::App& app, Runner& runner);
void add_evaluate_command(CLI::App& app, Runner& runner);

}  // namespace spindle::cli
