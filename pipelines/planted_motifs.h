// Sequence motifs planted into synthetic DNA, and SNVs that do or do not disrupt them: the
// ground truth that variant scores are judged by (`spindle simulate-genome --motifs`,
// `spindle evaluate-scores`). A model trained on the genome can only predict a planted
// motif's bases from the rest of the motif, so an SNV inside an occurrence should look
// unlikely to it, and an SNV in the background no more unlikely than the chain makes it.
//
// Bases are token ids 7..10 (A C G T, io/dna_tokenizer.h); positions are 0-based.
#pragma once

#include <cstdint>
#include <vector>

#include "platform/random.h"

namespace spindle {

// `count` distinct motifs of `length` uniform random bases; no motif equals another or
// another's reverse complement, nor its own reverse complement, so each occurrence and its
// strand can be told apart. count in [1, 64], length in [4, 32].
std::vector<std::vector<uint8_t>> random_motifs(int count, int length, RandomStream& random);

struct MotifOccurrence {
  int64_t position = 0;  // first base
  int motif = 0;         // index into the motifs
  bool reverse = false;  // the motif's reverse complement was planted (the minus strand)
};

// The occurrences that cover `density` of `length` bases: the nearest whole number, but no
// more than plant_motifs takes (occurrences covering at most half of the bases).
int64_t occurrences_for_density(double density, int64_t length, int motif_length);

// Overwrites `occurrences` non-overlapping stretches of `tokens` with a motif chosen
// uniformly, on either strand with probability 1/2, at uniformly random places (the
// occurrences together take at most half of `tokens`). Returns them by position.
std::vector<MotifOccurrence> plant_motifs(std::vector<uint8_t>& tokens, const std::vector<std::vector<uint8_t>>& motifs,
                                          int64_t occurrences, RandomStream& random);

struct TruthSnv {
  int64_t position = 0;
  uint8_t ref = 0, alt = 0;  // tokens; alt is one of the other three bases, uniformly
  int motif = -1;            // the motif whose occurrence it changes; -1 for background
};

// The bases truth_snvs draws from in `length` bases: those of the occurrences (sorted and not
// overlapping, as plant_motifs returns them), and the background, at least `margin` bases
// from every occurrence.
struct SnvRoom {
  int64_t motif_bases = 0, background_bases = 0;
};
SnvRoom snv_room(int64_t length, const std::vector<MotifOccurrence>& occurrences, int motif_length, int64_t margin);

// The bases of each kind truth_snvs needs for `per_class` SNVs of that kind: twice as many,
// so that drawing distinct positions by rejection ends quickly.
constexpr int64_t snv_room_needed(int64_t per_class) { return 2 * per_class; }

// `per_class` SNVs inside occurrences (a uniformly chosen base of a uniformly chosen
// occurrence; no position twice) and `per_class` background SNVs (uniform over positions at
// least `margin` bases from every occurrence; no position twice), sorted by position.
// Errors when either kind of snv_room has fewer than snv_room_needed(per_class) bases.
std::vector<TruthSnv> truth_snvs(const std::vector<uint8_t>& tokens, const std::vector<MotifOccurrence>& occurrences,
                                 int motif_length, int64_t per_class, int64_t margin, RandomStream& random);

// A uniform integer in [0, n) from 64 bits of the stream's next element (n >= 1).
int64_t draw_index(RandomStream& random, int64_t n);

}  // namespace spindle
