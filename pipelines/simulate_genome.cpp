#include "pipelines/simulate_genome.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>

#include "io/atomic_write.h"
#include "io/bgzipped_vcf.h"
#include "io/dna_tokenizer.h"
#include "kernels/error.h"
#include "pipelines/markov_genome.h"
#include "pipelines/planted_motifs.h"

namespace spindle {
namespace {

constexpr const char* kTruthFlag = "MOTIF_DISRUPTING";

std::string letters(const std::vector<uint8_t>& tokens) {
  std::string text(tokens.size(), '?');
  for (size_t i = 0; i < tokens.size(); ++i) text[i] = dna::letter(tokens[i]);
  return text;
}

std::string motif_name(int motif) { return "motif" + std::to_string(motif + 1); }

// The truth VCF (sites only) of `snvs` on record `chrom`.
std::string truth_vcf_text(const SimulatedGenomeOptions& options, const std::string& fasta, const std::string& summary,
                           const std::string& chrom, const std::vector<TruthSnv>& snvs) {
  std::string text = "##fileformat=VCFv4.2\n";
  text += "##source=spindle simulate-genome (order-" + std::to_string(options.order) + " Markov chain, " +
          std::to_string(options.motifs) + " planted motifs of " + std::to_string(options.motif_length) +
          " bases, seed " + std::to_string(options.seed) + ")\n";
  text += "##reference=" + std::filesystem::path(fasta).filename().string() + "\n";
  for (int64_t r = 0; r < options.records; ++r) {
    text += "##contig=<ID=chr" + std::to_string(r + 1) + ",length=" + std::to_string(options.length) + ">\n";
  }
  text += std::string("##INFO=<ID=") + kTruthFlag +
          ",Number=0,Type=Flag,Description=\"Truth: the SNV changes a base of a planted motif occurrence. "
          "Records without it are background SNVs at least " + std::to_string(options.motif_length) +
          " bases from every occurrence\">\n";
  text += "##INFO=<ID=MOTIF,Number=1,Type=String,Description=\"The planted motif the SNV changes (sequences in " +
          std::filesystem::path(summary).filename().string() + ", occurrences in the .motifs.bed)\">\n";
  text += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  for (const TruthSnv& snv : snvs) {
    text += chrom + "\t" + std::to_string(snv.position + 1) + "\t.\t" + dna::letter(snv.ref) + "\t" + dna::letter(snv.alt) +
            "\t.\t.\t" + (snv.motif >= 0 ? std::string(kTruthFlag) + ";MOTIF=" + motif_name(snv.motif) : ".") + "\n";
  }
  return text;
}

// Records long enough for the motifs and SNVs asked for, known before anything is drawn: an
// occurrence per record at least, and on the last record the motif bases truth_snvs needs
// for the variants. Refused by option, with the shortest --length that is enough.
void require_room_for_motifs(const SimulatedGenomeOptions& options, int64_t longest) {
  const auto occurrences = [&](int64_t length) {
    return occurrences_for_density(options.motif_density, length, options.motif_length);
  };
  const int64_t needed_bases = snv_room_needed(options.variants);
  const int64_t needed = std::max<int64_t>(1, (needed_bases + options.motif_length - 1) / options.motif_length);
  const int64_t planted = occurrences(options.length);
  if (planted >= needed) return;
  std::string what =
      fmt::format("--length {} at --motif-density {} plants {} occurrences of --motif-length {} per record",
                  options.length, options.motif_density, planted, options.motif_length);
  if (options.variants > 0) {
    what += fmt::format(": {} motif bases on the last record, where --variants {} needs {}",
                        planted * options.motif_length, options.variants, needed_bases);
  }
  // The shortest length with enough motif bases: the background SNVs' room depends on where the
  // motifs land and is checked once they are placed.
  const std::string remedy =
      options.variants > 0 ? " (enough motif bases), or fewer --variants" : " for one occurrence";
  SPINDLE_CHECK(occurrences(longest) >= needed, "simulate-genome", what,
                fmt::format("fewer --variants or a higher --motif-density: no --length up to {} is enough", longest));
  // The occurrences grow with the length: the shortest length that is enough, by bisection.
  int64_t short_of = options.length, enough = longest;
  while (enough - short_of > 1) {
    const int64_t middle = short_of + (enough - short_of) / 2;
    if (occurrences(middle) >= needed) {
      enough = middle;
    } else {
      short_of = middle;
    }
  }
  throw Error("simulate-genome", what, fmt::format("--length {} or more{}", enough, remedy));
}

}  // namespace

SimulatedGenome simulate_genome(const SimulatedGenomeOptions& options) {
  SPINDLE_CHECK(options.records >= 1 && options.length >= 1, "simulate-genome",
                std::to_string(options.records) + " records of " + std::to_string(options.length) + " bases",
                "at least one record of at least one base");
  // The whole FASTA is made in memory before it is written, so its size is bounded.
  constexpr int64_t kMaxBases = int64_t{1} << 32;
  SPINDLE_CHECK(options.length <= kMaxBases / options.records, "simulate-genome",
                "--records " + std::to_string(options.records) + " x --length " + std::to_string(options.length),
                "at most " + std::to_string(kMaxBases) + " bases in all (fewer or shorter records)");
  SPINDLE_CHECK(options.motif_density > 0 && options.motif_density <= 0.5, "simulate-genome",
                "motif density " + std::to_string(options.motif_density), "above 0 and at most 0.5");
  SPINDLE_CHECK(options.variants >= 0, "simulate-genome", std::to_string(options.variants) + " variants", "0 or more");
  if (options.motifs > 0) require_room_for_motifs(options, kMaxBases / options.records);
  RandomStream chain_draws{options.seed, 0};
  const MarkovChain chain = MarkovChain::random(options.order, options.sharpness, chain_draws);
  RandomStream sequence_draws{options.seed + 1, 0};
  RandomStream motif_draws{options.seed + 3, 0};
  std::vector<std::vector<uint8_t>> motifs;
  if (options.motifs > 0) motifs = random_motifs(options.motifs, options.motif_length, motif_draws);
  const int64_t occurrences_per_record =
      motifs.empty() ? 0 : occurrences_for_density(options.motif_density, options.length, options.motif_length);

  SimulatedGenome genome;
  genome.fasta = options.out_prefix + ".fa";
  genome.summary = options.out_prefix + ".json";
  constexpr int64_t kLineWidth = 60;
  std::string fasta, bed;
  fasta.reserve(static_cast<size_t>(options.records * (options.length + options.length / kLineWidth + 16)));
  nlohmann::json records = nlohmann::json::array();
  std::vector<uint8_t> last;
  std::vector<MotifOccurrence> last_occurrences;
  for (int64_t r = 0; r < options.records; ++r) {
    const std::string name = "chr" + std::to_string(r + 1);
    last = chain.sample(options.length, sequence_draws);
    if (!motifs.empty()) {
      last_occurrences = plant_motifs(last, motifs, occurrences_per_record, motif_draws);
      for (const MotifOccurrence& occurrence : last_occurrences) {
        bed += name + "\t" + std::to_string(occurrence.position) + "\t" +
               std::to_string(occurrence.position + options.motif_length) + "\t" + motif_name(occurrence.motif) + "\t0\t" +
               (occurrence.reverse ? "-" : "+") + "\n";
      }
    }
    fasta += ">" + name + " order-" + std::to_string(options.order) + " Markov chain, seed " +
             std::to_string(options.seed) +
             (motifs.empty() ? "" : ", " + std::to_string(last_occurrences.size()) + " motif occurrences") + "\n";
    for (int64_t i = 0; i < options.length; ++i) {
      fasta += dna::letter(last[i]);
      if ((i + 1) % kLineWidth == 0 || i + 1 == options.length) fasta += '\n';
    }
    records.push_back({{"name", name}, {"length", options.length}});
  }
  genome.entropy_rate = chain.entropy_rate();
  genome.unigram_entropy = chain.unigram_entropy();
  nlohmann::json summary = {
      {"generator", motifs.empty() ? "order-k Markov chain" : "order-k Markov chain with planted motifs"},
      {"order", options.order},
      {"sharpness", options.sharpness},
      {"seed", options.seed},
      {"records", records},
      {"entropy_rate_nats_per_base", genome.entropy_rate},
      {"unigram_entropy_nats_per_base", genome.unigram_entropy}};
  std::string truth_text;
  if (motifs.empty()) {
    RandomStream mask_draws{options.seed + 2, 0};
    const MaskingRule masking;  // training's default
    genome.bayes_masked_loss = chain.bayes_masked_loss(last, masking, mask_draws);
    if (genome.bayes_masked_loss) {
      summary["bayes_masked_lm_loss_nats"] = {
          {"value", *genome.bayes_masked_loss},
          {"record", records.back()["name"]},
          {"masking",
           {{"probability", masking.probability},
            {"mask_fraction", masking.mask_fraction},
            {"random_fraction", masking.random_fraction}}},
          {"meaning", "the lowest expected loss on masked bases any predictor can reach on this record"}};
    } else {
      spdlog::warn("{}: the best masked-LM loss is not estimated: no base of the last record ({} bases) was drawn "
                   "as a target (probability {} each); a longer --length gives one",
                   genome.summary, last.size(), masking.probability);
    }
  } else {
    genome.motif_bed = options.out_prefix + ".motifs.bed";
    nlohmann::json sequences = nlohmann::json::array();
    for (size_t m = 0; m < motifs.size(); ++m) {
      sequences.push_back({{"name", motif_name(static_cast<int>(m))}, {"bases", letters(motifs[m])}});
    }
    summary["motifs"] = {{"count", options.motifs},
                         {"length", options.motif_length},
                         {"density", options.motif_density},
                         {"occurrences_per_record", occurrences_per_record},
                         {"strands", "either, with probability 1/2 (the reverse complement on the minus strand)"},
                         {"sequences", sequences},
                         {"occurrences_bed", std::filesystem::path(genome.motif_bed).filename().string()},
                         {"meaning", "the entropy rate is the background chain's; motif bases are predictable from "
                                     "the rest of their occurrence"}};
    if (options.variants > 0) {
      genome.truth_vcf = options.out_prefix + ".truth.vcf.gz";
      const std::string chrom = records.back()["name"];
      // The background is known once the occurrences are placed.
      const int64_t margin = options.motif_length;
      const int64_t background =
          snv_room(options.length, last_occurrences, options.motif_length, margin).background_bases;
      SPINDLE_CHECK(snv_room_needed(options.variants) <= background, "simulate-genome",
                    fmt::format("{}, the last record, has {} bases at least {} (--motif-length) from every motif "
                                "occurrence, fewer than the {} that --variants {} needs",
                                chrom, background, margin, snv_room_needed(options.variants), options.variants),
                    "a lower --motif-density, a longer --length or fewer --variants");
      const std::vector<TruthSnv> snvs =
          truth_snvs(last, last_occurrences, options.motif_length, options.variants, margin, motif_draws);
      truth_text = truth_vcf_text(options, genome.fasta, genome.summary, chrom, snvs);
      summary["truth_vcf"] = {{"file", std::filesystem::path(genome.truth_vcf).filename().string()},
                              {"record", chrom},
                              {"flag", kTruthFlag},
                              {"disrupting", options.variants},
                              {"background", options.variants},
                              {"background_margin", options.motif_length},
                              {"meaning", "SNVs inside motif occurrences (flagged) and as many in the background, on "
                                          "the last record"}};
    }
  }
  write_file_atomically(genome.fasta, [&](std::ostream& out) { out << fasta; });
  if (!genome.motif_bed.empty()) write_file_atomically(genome.motif_bed, [&](std::ostream& out) { out << bed; });
  if (!genome.truth_vcf.empty()) write_bgzipped_vcf(genome.truth_vcf, truth_text);
  write_file_atomically(genome.summary, [&](std::ostream& out) { out << summary.dump(2) << "\n"; });
  if (motifs.empty()) {
    spdlog::info("{}: {} x {} bases; entropy rate {:.4f}, unigram entropy {:.4f}{} nats", genome.fasta,
                 options.records, options.length, genome.entropy_rate, genome.unigram_entropy,
                 genome.bayes_masked_loss ? fmt::format(", best masked-LM loss {:.4f}", *genome.bayes_masked_loss)
                                          : std::string());
  } else {
    spdlog::info("{}: {} x {} bases, {} motifs of {} bases planted {} times per record ({}); background entropy rate "
                 "{:.4f}, unigram entropy {:.4f} nats",
                 genome.fasta, options.records, options.length, options.motifs, options.motif_length,
                 occurrences_per_record, genome.motif_bed, genome.entropy_rate, genome.unigram_entropy);
  }
  if (!genome.truth_vcf.empty()) {
    spdlog::info("{}: {} motif-disrupting SNVs (INFO {}) and {} background SNVs on {}", genome.truth_vcf,
                 options.variants, kTruthFlag, options.variants, std::string(records.back()["name"]));
  }
  return genome;
}

}  // namespace spindle
