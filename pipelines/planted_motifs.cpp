#include "pipelines/planted_motifs.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "io/dna_tokenizer.h"
#include "kernels/error.h"
#include "kernels/philox.h"

namespace spindle {
namespace {

constexpr int kBases = 4;

std::vector<uint8_t> reverse_complement(std::vector<uint8_t> bases) {
  dna::reverse_complement(bases.data(), static_cast<int64_t>(bases.size()));
  return bases;
}

// `count` distinct positions drawn by `draw` (which returns candidates), in drawing order.
template <typename Draw>
std::vector<int64_t> distinct_positions(int64_t count, Draw draw) {
  std::unordered_set<int64_t> taken;
  std::vector<int64_t> positions;
  while (static_cast<int64_t>(positions.size()) < count) {
    const int64_t position = draw();
    if (taken.insert(position).second) positions.push_back(position);
  }
  return positions;
}

}  // namespace

int64_t draw_index(RandomStream& random, int64_t n) {
  const philox::Block block = philox::block(random.seed, random.offset++, philox::kDomainUniform);
  const uint64_t bits = (uint64_t{block.word[0]} << 32) | block.word[1];
  return static_cast<int64_t>(bits % static_cast<uint64_t>(n));
}

std::vector<std::vector<uint8_t>> random_motifs(int count, int length, RandomStream& random) {
  SPINDLE_CHECK(count >= 1 && count <= 64, "random_motifs", std::to_string(count) + " motifs", "1 to 64");
  SPINDLE_CHECK(length >= 4 && length <= 32, "random_motifs", "motif length " + std::to_string(length), "4 to 32 bases");
  std::vector<std::vector<uint8_t>> motifs;
  // Drawn again on a clash; at least 120 motifs of 4 bases and their reverse complements
  // are distinct, so 64 are always found.
  while (static_cast<int>(motifs.size()) < count) {
    std::vector<uint8_t> motif(static_cast<size_t>(length));
    for (uint8_t& base : motif) base = static_cast<uint8_t>(dna::kTokenA + draw_index(random, kBases));
    const std::vector<uint8_t> rc = reverse_complement(motif);
    const bool clashes = motif == rc || std::any_of(motifs.begin(), motifs.end(), [&](const std::vector<uint8_t>& other) {
                           return other == motif || other == rc;
                         });
    if (!clashes) motifs.push_back(std::move(motif));
  }
  return motifs;
}

int64_t occurrences_for_density(double density, int64_t length, int motif_length) {
  // Rounding up could pass half of the bases (density 0.5 of 14 bases in motifs of 4: 1.75).
  return std::min<int64_t>(std::llround(density * static_cast<double>(length) / motif_length),
                           length / (2 * int64_t{motif_length}));
}

std::vector<MotifOccurrence> plant_motifs(std::vector<uint8_t>& tokens, const std::vector<std::vector<uint8_t>>& motifs,
                                          int64_t occurrences, RandomStream& random) {
  SPINDLE_CHECK(!motifs.empty(), "plant_motifs", "no motifs", "at least one motif");
  const int64_t length = static_cast<int64_t>(motifs[0].size());
  const int64_t n = static_cast<int64_t>(tokens.size());
  SPINDLE_CHECK(occurrences >= 0 && 2 * occurrences * length <= n, "plant_motifs",
                std::to_string(occurrences) + " occurrences of " + std::to_string(length) + " bases in " +
                    std::to_string(n) + " bases",
                "occurrences covering at most half of the sequence");
  // Sorted starts in the sequence with the occurrences' bases taken out, then each moved
  // right by the occurrences before it: uniform over non-overlapping placements.
  const int64_t free_bases = n - occurrences * length;
  std::vector<int64_t> starts(static_cast<size_t>(occurrences));
  for (int64_t& start : starts) start = draw_index(random, free_bases + 1);
  std::sort(starts.begin(), starts.end());
  std::vector<MotifOccurrence> planted;
  planted.reserve(starts.size());
  for (int64_t i = 0; i < occurrences; ++i) {
    MotifOccurrence occurrence{starts[i] + i * length, static_cast<int>(draw_index(random, static_cast<int64_t>(motifs.size()))),
                               draw_index(random, 2) == 1};
    const std::vector<uint8_t> bases = occurrence.reverse ? reverse_complement(motifs[occurrence.motif]) : motifs[occurrence.motif];
    std::copy(bases.begin(), bases.end(), tokens.begin() + occurrence.position);
    planted.push_back(occurrence);
  }
  return planted;
}

SnvRoom snv_room(int64_t length, const std::vector<MotifOccurrence>& occurrences, int motif_length, int64_t margin) {
  // The stretches within `margin` of an occurrence start and end in position order: each
  // adds what it reaches past the ones before it.
  int64_t near = 0, reached = 0;
  for (const MotifOccurrence& occurrence : occurrences) {
    const int64_t begin = std::max({int64_t{0}, occurrence.position - margin, reached});
    const int64_t end = std::min(length, occurrence.position + motif_length + margin);
    near += std::max<int64_t>(0, end - begin);
    reached = std::max(reached, end);
  }
  return {static_cast<int64_t>(occurrences.size()) * motif_length, length - near};
}

std::vector<TruthSnv> truth_snvs(const std::vector<uint8_t>& tokens, const std::vector<MotifOccurrence>& occurrences,
                                 int motif_length, int64_t per_class, int64_t margin, RandomStream& random) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const SnvRoom room = snv_room(n, occurrences, motif_length, margin);
  const int64_t inside = room.motif_bases;
  SPINDLE_CHECK(snv_room_needed(per_class) <= inside, "truth_snvs",
                std::to_string(per_class) + " motif-disrupting SNVs among " + std::to_string(inside) + " motif bases",
                "at most half as many SNVs as motif bases (more occurrences or fewer variants)");
  SPINDLE_CHECK(snv_room_needed(per_class) <= room.background_bases, "truth_snvs",
                std::to_string(per_class) + " background SNVs among " + std::to_string(room.background_bases) +
                    " bases at least " + std::to_string(margin) + " from every motif",
                "at most half as many SNVs as background bases (a lower motif density or fewer variants)");
  std::vector<bool> near_motif(static_cast<size_t>(n), false);
  for (const MotifOccurrence& occurrence : occurrences) {
    const int64_t begin = std::max<int64_t>(0, occurrence.position - margin);
    const int64_t end = std::min(n, occurrence.position + motif_length + margin);
    std::fill(near_motif.begin() + begin, near_motif.begin() + end, true);
  }
  std::vector<int64_t> background;
  for (int64_t position = 0; position < n; ++position) {
    if (!near_motif[position]) background.push_back(position);
  }

  std::vector<TruthSnv> snvs;
  auto add = [&](int64_t position, int motif) {
    const uint8_t ref = tokens[position];
    // One of the three other bases: ref + 1..3, wrapped around A C G T.
    const int shift = 1 + static_cast<int>(draw_index(random, kBases - 1));
    const uint8_t alt = static_cast<uint8_t>(dna::kTokenA + (ref - dna::kTokenA + shift) % kBases);
    snvs.push_back(TruthSnv{position, ref, alt, motif});
  };
  const std::vector<int64_t> in_motifs = distinct_positions(per_class, [&] {
    const int64_t i = draw_index(random, inside);
    return occurrences[i / motif_length].position + i % motif_length;
  });
  for (int64_t i = 0; i < per_class; ++i) {
    // The occurrence holding the position (occurrences are sorted and do not overlap).
    const auto holder = std::upper_bound(occurrences.begin(), occurrences.end(), in_motifs[i],
                                         [](int64_t p, const MotifOccurrence& o) { return p < o.position; }) - 1;
    add(in_motifs[i], holder->motif);
  }
  for (const int64_t position : distinct_positions(per_class, [&] {
         return background[draw_index(random, static_cast<int64_t>(background.size()))];
       })) {
    add(position, -1);
  }
  std::sort(snvs.begin(), snvs.end(), [](const TruthSnv& a, const TruthSnv& b) { return a.position < b.position; });
  return snvs;
}

}  // namespace spindle
