#include <chrono>
#include <cstdio>
#include <iostream>

#include "pipelines/cli/commands.h"
#include "pipelines/self_check.h"
#include "platform/device.h"

namespace spindle::cli {

void add_check_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand(
      "check", "Run a short end-to-end check of this installation on the CPU and every GPU");
  command->footer(
      "Compares Philox random streams between the CPU and each GPU draw for draw, checks that\n"
      "a stream drawn in pieces equals the stream drawn whole, and round-trips tensors\n"
      "through pageable and pinned host memory. Exit code 1 if any check fails.\n"
      "Examples:\n"
      "  spindle check\n"
      "  spindle check --elements 100000000 --seed 7\n");
  struct Options {
    int64_t elements = 1 << 22;
    uint64_t seed = 2024;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--elements", options->elements, "draws per stream and elements per tensor moved")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 32))
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Philox key")->check(kUint64)->capture_default_str();
  command->callback([&runner, options] {
    runner = [options] {
      const auto start = std::chrono::steady_clock::now();
      const std::vector<CheckOutcome> outcomes = run_self_check(options->elements, options->seed);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      int failed = 0;
      for (const CheckOutcome& outcome : outcomes) {
        failed += outcome.passed ? 0 : 1;
        std::printf("%-4s  %-7s  %-55s  %s\n", outcome.passed ? "ok" : "FAIL", outcome.device.c_str(),
                    outcome.name.c_str(), outcome.detail.c_str());
      }
      std::string why_no_gpu;
      if (cuda_device_count(&why_no_gpu) == 0) std::printf("note: no GPU checks: %s\n", why_no_gpu.c_str());
      std::printf("%d passed, %d failed (%.2f s)\n", static_cast<int>(outcomes.size()) - failed, failed, seconds);
      return failed == 0 ? 0 : 1;
    };
  });
}

}  // namespace spindle::cli
