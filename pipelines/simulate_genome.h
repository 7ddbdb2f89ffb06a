// `spindle simulate-genome`: a synthetic genome (FASTA) from a random order-k Markov chain
// and a JSON summary of what a model trained on it can reach (pipelines/markov_genome.h);
// optionally with planted motifs and a truth VCF of SNVs that do or do not disrupt them
// (pipelines/planted_motifs.h), for judging variant scores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace spindle {

struct SimulatedGenomeOptions {
  std::string out_prefix;  // writes <prefix>.fa and <prefix>.json
  int64_t records = 2;     // named chr1, chr2, ...; the last one is meant for validation
  int64_t length = 1'000'000;  // bases per record
  int order = 3;
  double sharpness = 1.5;
  uint64_t seed = 1;
  // Planted motifs: `motifs` distinct motifs of `motif_length` bases, occurrences (either
  // strand) covering `motif_density` of every record; 0 motifs plants none.
  int motifs = 0;
  int motif_length = 12;
  double motif_density = 0.1;
  // With motifs: `variants` SNVs inside motif occurrences and as many in the background
  // (at least motif_length bases from every occurrence) on the last record, written to
  // <prefix>.truth.vcf.gz (+ .tbi) with INFO flag MOTIF_DISRUPTING on the first kind.
  int64_t variants = 500;
};

struct SimulatedGenome {
  std::string fasta, summary;
  std::string motif_bed, truth_vcf;  // with motifs: <prefix>.motifs.bed, <prefix>.truth.vcf.gz
  double entropy_rate = 0, unigram_entropy = 0;
  // On the last record with the default masking (0.15, 80/10/10); only without motifs, for
  // which the chain alone makes the exact floor.
  std::optional<double> bayes_masked_loss;
};

SimulatedGenome simulate_genome(const SimulatedGenomeOptions& options);

}  // namespace spindle
