#include "pipelines/simulate_genome.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "io/atomic_write.h"
#include "io/dna_tokenizer.h"
#include "kernels/error.h"
#include "pipelines/markov_genome.h"

namespace spindle {

SimulatedGenome simulate_genome(const SimulatedGenomeOptions& options) {
  SPINDLE_CHECK(options.records >= 1 && options.length >= 1, "simulate-genome",
                std::to_string(options.records) + " records of " + std::to_string(options.length) + " bases",
                "at least one record of at least one base");
  RandomStream chain_draws{options.seed, 0};
  const MarkovChain chain = MarkovChain::random(options.order, options.sharpness, chain_draws);
  RandomStream sequence_draws{options.seed + 1, 0};
  constexpr int64_t kLineWidth = 60;
  std::string fasta;
  fasta.reserve(static_cast<size_t>(options.records * (options.length + options.length / kLineWidth + 16)));
  nlohmann::json records = nlohmann::json::array();
  std::vector<uint8_t> last;
  for (int64_t r = 0; r < options.records; ++r) {
    const std::string name = "chr" + std::to_string(r + 1);
    last = chain.sample(options.length, sequence_draws);
    fasta += ">" + name + " order-" + std::to_string(options.order) + " Markov chain, seed " +
             std::to_string(options.seed) + "\n";
    for (int64_t i = 0; i < options.length; ++i) {
      fasta += dna::letter(last[i]);
      if ((i + 1) % kLineWidth == 0 || i + 1 == options.length) fasta += '\n';
    }
    records.push_back({{"name", name}, {"length", options.length}});
  }
  SimulatedGenome genome;
  genome.fasta = options.out_prefix + ".fa";
  genome.summary = options.out_prefix + ".json";
  genome.entropy_rate = chain.entropy_rate();
  genome.unigram_entropy = chain.unigram_entropy();
  RandomStream mask_draws{options.seed + 2, 0};
  const MaskingRule masking;  // training's default
  genome.bayes_masked_loss = chain.bayes_masked_loss(last, masking, mask_draws);
  const nlohmann::json summary = {
      {"generator", "order-k Markov chain"},
      {"order", options.order},
      {"sharpness", options.sharpness},
      {"seed", options.seed},
      {"records", records},
      {"entropy_rate_nats_per_base", genome.entropy_rate},
      {"unigram_entropy_nats_per_base", genome.unigram_entropy},
      {"bayes_masked_lm_loss_nats",
       {{"value", genome.bayes_masked_loss},
        {"record", records.back()["name"]},
        {"masking",
         {{"probability", masking.probability},
          {"mask_fraction", masking.mask_fraction},
          {"random_fraction", masking.random_fraction}}},
        {"meaning", "the lowest expected loss on masked bases any predictor can reach on this record"}}}};
  write_file_atomically(genome.fasta, [&](std::ostream& out) { out << fasta; });
  write_file_atomically(genome.summary, [&](std::ostream& out) { out << summary.dump(2) << "\n"; });
  spdlog::info("{}: {} x {} bases; entropy rate {:.4f}, unigram entropy {:.4f}, best masked-LM loss {:.4f} nats",
               genome.fasta, options.records, options.length, genome.entropy_rate, genome.unigram_entropy,
               genome.bayes_masked_loss);
  return genome;
}

}  // namespace spindle
