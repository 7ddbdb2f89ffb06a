// Registration of the `spindle` subcommands. Each adds itself to the app and sets the
// function that runs it; only working commands are registered.
#pragma once

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdlib>
#include <functional>

namespace spindle::cli {

// What a subcommand runs once the command line is parsed; returns the exit code.
using Runner = std::function<int()>;

// For uint64_t options: CLI11 2.1 reads "-1" and numbers past 2^64 - 1 as 2^64 - 1.
inline const CLI::Validator kUint64(
    [](std::string& text) -> std::string {
      errno = 0;
      std::strtoull(text.c_str(), nullptr, 0);
      if (text.find('-') == std::string::npos && errno != ERANGE) return {};
      return "Value " + text + " not in range 0 to 18446744073709551615";
    },
    "");

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
