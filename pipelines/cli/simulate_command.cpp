#include "pipelines/cli/commands.h"
#include "pipelines/simulate_genome.h"

namespace spindle::cli {

void add_simulate_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand("simulate-genome", "a synthetic genome from a random order-k Markov chain");
  command->footer(
      "Writes <prefix>.fa and <prefix>.json: the chain's entropy rate, the unigram entropy and\n"
      "the lowest masked-LM loss any model can reach on the last record (nats per base), so a\n"
      "trained model's validation loss can be judged against it.\n"
      "Examples:\n"
      "  spindle simulate-genome --out synthetic --records 2 --length 1000000\n"
      "  spindle simulate-genome --out easy --order 2 --sharpness 3 --seed 7\n");
  auto options = std::make_shared<SimulatedGenomeOptions>();
  command->add_option("--out", options->out_prefix, "output prefix")->required();
  command->add_option("--records", options->records, "records (chr1, chr2, ...)")->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  command->add_option("--length", options->length, "bases per record")->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 32));
  command->add_option("--order", options->order, "Markov order (bases of context)")->capture_default_str()
      ->check(CLI::Range(0, 6));
  command->add_option("--sharpness", options->sharpness, "larger: more predictable transitions")
      ->capture_default_str()->check(CLI::Range(0.0, 20.0));
  command->add_option("--seed", options->seed, "random seed")->capture_default_str();
  command->callback([&runner, options] {
    runner = [options] {
      simulate_genome(*options);
      return 0;
    };
  });
}

}  // namespace spindle::cli
