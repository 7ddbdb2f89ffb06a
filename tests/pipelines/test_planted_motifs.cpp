// Planted motifs and the truth SNVs (pipelines/planted_motifs.h), and simulate-genome's
// outputs with motifs: every occurrence in the FASTA as the BED says, the truth VCF's REF
// as in the FASTA, flags on exactly the SNVs inside occurrences, the same files for the
// same seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/dna_tokenizer.h"
#include "io/indexed_fasta.h"
#include "io/vcf_info_values.h"
#include "io/vcf_reader.h"
#include "pipelines/planted_motifs.h"
#include "pipelines/simulate_genome.h"
#include "tests/io/io_test_files.h"

namespace spindle {
namespace {

using test::message_of;
using test::TemporaryFolder;

std::vector<uint8_t> reverse_complement(std::vector<uint8_t> bases) {
  dna::reverse_complement(bases.data(), static_cast<int64_t>(bases.size()));
  return bases;
}

TEST(PlantedMotifs, MotifsAreDistinctOnBothStrands) {
  RandomStream draws{1, 0};
  // 64 motifs of 4 bases: 64 of the 120 pairs of a motif and its distinct reverse complement.
  const std::vector<std::vector<uint8_t>> motifs = random_motifs(64, 4, draws);
  std::set<std::string> seen;  // as text
  for (const auto& motif : motifs) {
    ASSERT_EQ(motif.size(), 4u);
    const std::vector<uint8_t> rc = reverse_complement(motif);
    EXPECT_NE(motif, rc);
    EXPECT_TRUE(seen.insert(std::string(motif.begin(), motif.end())).second);
    EXPECT_TRUE(seen.insert(std::string(rc.begin(), rc.end())).second);
    for (uint8_t base : motif) EXPECT_TRUE(base >= dna::kTokenA && base <= dna::kTokenT);
  }
  EXPECT_EQ(seen.size(), 128u);
  EXPECT_NE(message_of([&] { random_motifs(65, 4, draws); }).find("1 to 64"), std::string::npos);
  EXPECT_NE(message_of([&] { random_motifs(1, 3, draws); }).find("4 to 32 bases"), std::string::npos);
}

TEST(PlantedMotifs, OccurrencesDoNotOverlapAndHoldTheirMotif) {
  RandomStream draws{2, 0};
  const std::vector<std::vector<uint8_t>> motifs = random_motifs(3, 10, draws);
  std::vector<uint8_t> tokens(20000, dna::kTokenN);
  const std::vector<MotifOccurrence> occurrences = plant_motifs(tokens, motifs, 1000, draws);
  ASSERT_EQ(occurrences.size(), 1000u);
  int reverse = 0;
  std::map<int, int> per_motif;
  for (size_t i = 0; i < occurrences.size(); ++i) {
    const MotifOccurrence& o = occurrences[i];
    if (i > 0) {
      EXPECT_GE(o.position, occurrences[i - 1].position + 10);
    }
    const std::vector<uint8_t> planted(tokens.begin() + o.position, tokens.begin() + o.position + 10);
    EXPECT_EQ(planted, o.reverse ? reverse_complement(motifs[o.motif]) : motifs[o.motif]);
    reverse += o.reverse;
    ++per_motif[o.motif];
  }
  EXPECT_EQ(std::count(tokens.begin(), tokens.end(), dna::kTokenN), 20000 - 10000);
  EXPECT_NEAR(reverse, 500, 60);  // either strand with probability 1/2 (4 standard deviations)
  for (int m = 0; m < 3; ++m) EXPECT_NEAR(per_motif[m], 333, 60);
  std::vector<uint8_t> small(100);
  EXPECT_NE(message_of([&] { plant_motifs(small, motifs, 6, draws); }).find("at most half"), std::string::npos);
}

TEST(PlantedMotifs, TruthSnvsInsideOccurrencesAndFarFromThem) {
  RandomStream draws{3, 0};
  const std::vector<std::vector<uint8_t>> motifs = random_motifs(2, 8, draws);
  std::vector<uint8_t> tokens(50000);
  for (uint8_t& t : tokens) t = static_cast<uint8_t>(dna::kTokenA + draw_index(draws, 4));
  const std::vector<MotifOccurrence> occurrences = plant_motifs(tokens, motifs, 600, draws);
  const std::vector<TruthSnv> snvs = truth_snvs(tokens, occurrences, 8, 200, 8, draws);
  ASSERT_EQ(snvs.size(), 400u);
  std::set<int64_t> positions;
  int inside = 0;
  for (const TruthSnv& snv : snvs) {
    EXPECT_TRUE(positions.insert(snv.position).second) << snv.position;
    EXPECT_EQ(snv.ref, tokens[snv.position]);
    EXPECT_NE(snv.alt, snv.ref);
    EXPECT_TRUE(snv.alt >= dna::kTokenA && snv.alt <= dna::kTokenT);
    // Distance to the nearest occurrence (0 inside one).
    int64_t nearest = INT64_MAX;
    const MotifOccurrence* holder = nullptr;
    for (const MotifOccurrence& o : occurrences) {
      const int64_t d = snv.position < o.position ? o.position - snv.position
                        : snv.position >= o.position + 8 ? snv.position - (o.position + 7) : 0;
      if (d < nearest) {
        nearest = d;
        holder = &o;
      }
    }
    if (snv.motif >= 0) {
      ++inside;
      EXPECT_EQ(nearest, 0);
      EXPECT_EQ(snv.motif, holder->motif);
    } else {
      EXPECT_GT(nearest, 8);
    }
  }
  EXPECT_EQ(inside, 200);
  EXPECT_TRUE(std::is_sorted(snvs.begin(), snvs.end(), [](const TruthSnv& a, const TruthSnv& b) {
    return a.position < b.position;
  }));
  EXPECT_NE(message_of([&] { truth_snvs(tokens, occurrences, 8, 2401, 8, draws); }).find("motif-disrupting"),
            std::string::npos);
}

TEST(PlantedMotifs, SnvRoomCountsWhatTruthSnvsDrawsFrom) {
  // Against a base-by-base count, for occurrences at the ends, close together and apart.
  RandomStream draws{4, 0};
  const std::vector<std::vector<uint8_t>> motifs = random_motifs(1, 4, draws);
  for (const int64_t occurrences : {1, 5, 40, 60}) {
    std::vector<uint8_t> tokens(480, dna::kTokenA);
    const std::vector<MotifOccurrence> planted = plant_motifs(tokens, motifs, occurrences, draws);
    for (const int64_t margin : {0, 3, 4, 50}) {
      int64_t background = 0;
      for (int64_t p = 0; p < 480; ++p) {
        background += std::none_of(planted.begin(), planted.end(), [&](const MotifOccurrence& o) {
          return p >= o.position - margin && p < o.position + 4 + margin;
        });
      }
      const SnvRoom room = snv_room(480, planted, 4, margin);
      EXPECT_EQ(room.motif_bases, occurrences * 4);
      EXPECT_EQ(room.background_bases, background) << occurrences << " occurrences, margin " << margin;
    }
  }
  // simulate-genome's count of occurrences stays within what plant_motifs takes.
  EXPECT_EQ(occurrences_for_density(0.1, 1000, 12), 8);
  EXPECT_EQ(occurrences_for_density(0.5, 14, 4), 1);  // 1.75 rounded, but 2 x 4 x 2 > 14
}

// "chr2:1234 A>G" per truth VCF record, REF checked against the FASTA, with " flagged"
// where the record has MOTIF_DISRUPTING.
std::vector<std::string> truth_sites(const SimulatedGenome& genome) {
  VcfReader reader(genome.truth_vcf, VcfOptions{genome.fasta, RefMismatchPolicy::error});
  const std::vector<AlleleInfoValues> flags = read_allele_info_values(genome.truth_vcf, "MOTIF_DISRUPTING", {});
  std::vector<std::string> sites;
  Variant variant;
  while (reader.next(variant)) {
    EXPECT_EQ(variant.ref.size(), 1u);
    EXPECT_EQ(variant.alt.size(), 1u);
    sites.push_back(variant.describe() + (flags.at(sites.size()).flagged ? " flagged" : ""));
  }
  EXPECT_EQ(sites.size(), flags.size());
  return sites;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SimulateGenome, MotifsBedAndTruthVcfAgreeWithTheFasta) {
  TemporaryFolder folder;
  SimulatedGenomeOptions options;
  options.out_prefix = folder.file("syn");
  options.records = 2;
  options.length = 30000;
  options.order = 2;
  options.motifs = 3;
  options.motif_length = 10;
  options.motif_density = 0.2;
  options.variants = 50;
  options.seed = 9;
  const SimulatedGenome genome = simulate_genome(options);
  EXPECT_FALSE(genome.bayes_masked_loss.has_value());
  const IndexedFasta fasta(genome.fasta);

  std::ifstream bed(genome.motif_bed);
  std::string chrom, name, score, strand;
  int64_t begin = 0, end = 0;
  std::map<std::string, std::set<std::string>> planted;  // motif -> plus-strand bases seen
  std::vector<std::pair<std::string, int64_t>> occurrences;
  int64_t lines = 0;
  while (bed >> chrom >> begin >> end >> name >> score >> strand) {
    ++lines;
    occurrences.emplace_back(chrom, begin);
    ASSERT_EQ(end - begin, 10);
    std::vector<uint8_t> bases = fasta.fetch(chrom, begin, end);
    if (strand == "-") bases = reverse_complement(bases);
    std::string letters;
    for (uint8_t b : bases) letters += dna::letter(b);
    planted[name].insert(letters);
  }
  EXPECT_EQ(lines, 2 * 600);  // 0.2 x 30,000 / 10 per record
  ASSERT_EQ(planted.size(), 3u);
  for (const auto& [motif, sequences] : planted) EXPECT_EQ(sequences.size(), 1u) << motif;

  // The truth VCF: REF as in the FASTA, on the last record, flagged where inside an occurrence.
  const std::vector<std::string> sites = truth_sites(genome);
  ASSERT_EQ(sites.size(), 100u);
  EXPECT_EQ(std::count_if(sites.begin(), sites.end(), [](const std::string& s) { return s.ends_with(" flagged"); }), 50);
  for (const std::string& site : sites) {
    EXPECT_TRUE(site.starts_with("chr2:")) << site;
    if (!site.ends_with(" flagged")) continue;
    // Inside an occurrence of the BED (1-based position in the BED's 0-based half-open range).
    const int64_t position = std::stoll(site.substr(5)) - 1;
    EXPECT_TRUE(std::any_of(occurrences.begin(), occurrences.end(), [&](const auto& o) {
      return o.first == "chr2" && position >= o.second && position < o.second + 10;
    })) << site;
  }

  // The same seed gives the same genome, occurrences and truth.
  const std::string first_fasta = file_text(genome.fasta), first_bed = file_text(genome.motif_bed);
  options.out_prefix = folder.file("again");
  const SimulatedGenome again = simulate_genome(options);
  const IndexedFasta again_fasta(again.fasta);  // makes the .fai that VcfReader reads
  EXPECT_EQ(file_text(again.fasta), first_fasta);
  EXPECT_EQ(file_text(again.motif_bed), first_bed);
  EXPECT_EQ(truth_sites(again), sites);
}

}  // namespace
}  // namespace spindle
