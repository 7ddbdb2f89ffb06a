#include "pipelines/cli/commands.h"
#include "pipelines/simulate_genome.h"

namespace spindle::cli {

void add_simulate_command(CLI::App& app, Runner& runner) {
  CLI::App* command = app.add_subcommand(
      "simulate-genome", "a synthetic genome from a random order-k Markov chain, optionally with planted motifs");
  command->footer(
      "Writes <prefix>.fa and <prefix>.json: the chain's entropy rate, the unigram entropy and\n"
      "the lowest masked-LM loss any model can reach on the last record (nats per base), so a\n"
      "trained model's validation loss can be judged against it.\n"
      "With --motifs M: M random motifs of --motif-length bases are planted (either strand) over\n"
      "the chain's bases at random places, covering --motif-density of every record; the JSON\n"
      "lists them, <prefix>.motifs.bed has every occurrence, and <prefix>.truth.vcf.gz (bgzip,\n"
      "tabix index) has --variants SNVs inside occurrences of the last record (INFO flag\n"
      "MOTIF_DISRUPTING) and as many background SNVs at least --motif-length bases from any\n"
      "occurrence: the truth `spindle evaluate-scores` judges variant scores by. Records too short\n"
      "for the motifs and --variants asked for are refused, naming the shortest --length enough.\n"
      "Examples:\n"
      "  spindle simulate-genome --out synthetic --records 2 --length 1000000\n"
      "  spindle simulate-genome --out easy --order 2 --sharpness 3 --seed 7\n"
      "  spindle simulate-genome --out motifs --length 400000 --motifs 8 --motif-length 12 --variants 500\n");
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
  command->add_option("--seed", options->seed, "random seed")->check(kUint64)->capture_default_str();
  command->add_option("--motifs", options->motifs, "distinct motifs to plant (0: none)")->capture_default_str()
      ->check(CLI::Range(0, 64));
  command->add_option("--motif-length", options->motif_length, "bases per motif")->capture_default_str()
      ->check(CLI::Range(4, 32));
  command->add_option("--motif-density", options->motif_density, "fraction of each record in motif occurrences")
      ->capture_default_str()->check(CLI::Range(0.001, 0.5));
  command->add_option("--variants", options->variants,
                      "with --motifs: motif-disrupting SNVs, and as many background SNVs, in the truth VCF")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  command->callback([&runner, options] {
    runner = [options] {
      simulate_genome(*options);
      return 0;
    };
  });
}

}  // namespace spindle::cli
