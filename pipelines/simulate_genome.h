// `spindle simulate-genome`: a synthetic genome (FASTA) from a random order-k Markov chain
// and a JSON summary of what a model trained on it can reach (pipelines/markov_genome.h).
#pragma once

#include <cstdint>
#include <string>

namespace spindle {

struct SimulatedGenomeOptions {
  std::string out_prefix;  // writes <prefix>.fa and <prefix>.json
  int64_t records = 2;     // named chr1, chr2, ...; the last one is meant for validation
  int64_t length = 1'000'000;  // bases per record
  int order = 3;
  double sharpness = 1.5;
  uint64_t seed = 1;
};

struct SimulatedGenome {
  std::string fasta, summary;
  double entropy_rate = 0, unigram_entropy = 0;
  double bayes_masked_loss = 0;  // on the last record, with the default masking (0.15, 80/10/10)
};

SimulatedGenome simulate_genome(const SimulatedGenomeOptions& options);

}  // namespace spindle
