// Masked-language-model inputs and targets from windows of DNA tokens (BERT's rule, as the
// reference Caduceus pretraining applies it): each eligible position is selected with
// `probability`; a selected position's input becomes [MASK] (3) with `mask_fraction`, a
// random base (A C G T, 7..10, possibly the same) with `random_fraction`, and stays as it
// is otherwise; its target is the original token. Every other target is kIgnoreTarget.
//
// Eligible positions hold a base A, C, G or T. N (11) is never selected: it marks unknown
// bases (assembly gaps, thousands in a run), where predicting N is trivial and would
// inflate the loss's fall and the accuracy; special tokens ([PAD] past a record's end)
// are not data. (The reference selects every position, N included.)
//
// The draws of position p (row * length + column of the batch) are the four words of
// Philox4x32-10 with key `seed` at counter {p (64-bit), stream, index}: word 0 selects,
// word 1 picks the replacement, word 2's top two bits the random base. `index` is the
// training step (or the validation batch), so a step's masks depend only on (seed, step)
// and a resumed run masks exactly as an uninterrupted one.
#pragma once

#include <cstdint>
#include <string>

#include "platform/tensor.h"

namespace spindle {

struct MaskingRule {
  double probability = 0.15;
  double mask_fraction = 0.8;
  double random_fraction = 0.1;

  // Throws spindle::Error naming `where` unless probability is in (0, 1], both fractions
  // in [0, 1] and their sum at most 1.
  void validate(const std::string& where) const;
};

// Philox counter word 2: training masks and validation masks are separate streams.
enum class MaskStream : uint32_t {
  training = 0x4d41534bu,    // "MASK"
  validation = 0x564d534bu,  // "VMSK"
};

inline constexpr int32_t kIgnoreTarget = -100;  // ops::cross_entropy's default ignore_index

struct MaskedBatch {
  Tensor inputs;   // i32 [windows, length]: the model's ids
  Tensor targets;  // i32 [windows * length]: original token where masked, else kIgnoreTarget
  int64_t masked = 0;  // positions with a target
};

// `tokens`: u8 [windows, length] on the host (a WindowBatch's data); the result is in
// pageable host memory (Tensor::to reaches a GPU through its reused pinned staging buffers).
MaskedBatch mask_tokens(const Tensor& tokens, const MaskingRule& rule, uint64_t seed, MaskStream stream,
                        uint32_t index);

}  // namespace spindle
