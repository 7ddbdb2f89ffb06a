// spindle: the command line. Exit codes: 0 ok, 1 runtime error, 2 usage error.
#include <spdlog/spdlog.h>

#include <iostream>

#include "kernels/error.h"
#include "pipelines/cli/commands.h"
#include "platform/logging.h"

namespace {

constexpr int kExitRuntimeError = 1;
constexpr int kExitUsageError = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spindle: long-sequence genomics and time-series analysis with state-space models"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  spindle info                 build, CPU, GPUs and library versions\n"
      "  spindle check                short end-to-end check of this installation\n"
      "  spindle ingest fasta x.fa.gz --out x.h5   DNA into a store\n"
      "  spindle inspect x.h5         what a store holds\n"
      "  spindle simulate-genome --out syn   a synthetic genome with known entropies (--motifs: and a truth VCF)\n"
      "  spindle train --config train.yaml   masked-LM pretraining of Caduceus\n"
      "  spindle embed --model DIR --fasta x.fa --regions r.bed --out e.h5   Caduceus embeddings\n"
      "  spindle score-variants --model DIR --fasta x.fa --vcf v.vcf.gz --out s.vcf.gz   variant-effect scores\n"
      "  spindle evaluate-scores --vcf s.vcf.gz --truth-flag F --score SPINDLE_LLR:lower   AUROC of scores\n"
      "  spindle <command> --help     options and examples of a command\n"
      "Exit codes: 0 ok, 1 runtime error, 2 usage error.\n");
  std::string log_level = "info";
  bool log_json = false;
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_flag("--log-json", log_json, "log JSON lines (time, level, message) to stderr instead of text");

  spindle::cli::Runner runner;
  spindle::cli::add_version_command(app, runner);
  spindle::cli::add_info_command(app, runner);
  spindle::cli::add_check_command(app, runner);
  spindle::cli::add_ingest_command(app, runner);
  spindle::cli::add_inspect_command(app, runner);
  spindle::cli::add_train_command(app, runner);
  spindle::cli::add_simulate_command(app, runner);
  spindle::cli::add_embed_command(app, runner);
  spindle::cli::add_score_command(app, runner);
  spindle::cli::add_evaluate_command(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the usage error
    return code == 0 ? 0 : kExitUsageError;
  }

  try {
    spindle::configure_logging(spindle::parse_log_level(log_level, "--log-level"),
                               log_json ? spindle::LogFormat::json : spindle::LogFormat::text);
    return runner();
  } catch (const spindle::Error& e) {
    spdlog::error("{}", e.what());
    spdlog::debug("raised at {}", e.raised_at());
  } catch (const std::exception& e) {
    spdlog::error("unexpected error: {}", e.what());
  }
  return kExitRuntimeError;
}
