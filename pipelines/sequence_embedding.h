// Embeddings of DNA by a Caduceus model: the last hidden state (and on request the LM
// head's logits) of a batch of token sequences of one length, as the model gives them or
// averaged over the two strands as the Caduceus paper does, per position or mean-pooled.
// `spindle embed` writes them (pipelines/embed.h); variant scoring compares them.
//
// Reverse-complement (RC) averaging, at genomic position l of a sequence x of length L
// (positions always run along x, whatever the model ran on):
//   Ph  the model runs on x and on RC(x) (stacked on the batch, one forward);
//       hidden (h(x)[l] + h(RC x)[L-1-l]) / 2,
//       logits (z(x)[l][v] + z(RC x)[L-1-l][complement(v)]) / 2;
//   PS  equivariant by construction: channels [0, D) of h[l] see position l from the
//       forward strand, channels [D, 2D) from the reverse strand with their order reversed,
//       so hidden (h[l][c] + h[l][2D-1-c]) / 2 for c < D (width D); the logits are
//       RC-consistent already (averaging over x and RC(x) gives them back) and stay as given.
// Either way the embedding of RC(x) is that of x with its positions reversed.
// Mean pooling averages the hidden state over the positions; after RC averaging that is
// the reference's sequence-classification pooling (mean over positions and both strands).
#pragma once

#include <cstdint>
#include <vector>

#include "platform/models/caduceus.h"
#include "platform/tensor.h"

namespace spindle {

enum class EmbeddingPooling { none, mean };

struct EmbeddingSettings {
  bool rc_average = false;
  EmbeddingPooling pooling = EmbeddingPooling::none;
  bool logits = false;
  DType activations = DType::f32;  // f32, or bf16 on a GPU
  // Only positions [positions_begin, positions_end) of each sequence are returned (and
  // pooled): the model still runs on the whole sequences and RC averaging pairs each
  // position with its mirror, but only that range leaves the device (variant scoring pools
  // 1,536 bases around a variant of a 131,072-base window). positions_end 0: every position.
  int64_t positions_begin = 0, positions_end = 0;
};

struct SequenceEmbeddings {
  // `length` is that of the sequences, or of the range settings.positions_* selects.
  Tensor hidden;  // host f32 (batch, length, width), or (batch, width) when pooled
  Tensor logits;  // host f32 (batch, length, padded vocabulary) when asked for, else undefined
};

// Channels of an embedding: d_model for an RC-averaged PS model, else config.width().
int64_t embedding_width(const CaduceusConfig& config, bool rc_average);

// `sequences`: token ids (io/dna_tokenizer.h), all of one length. The model runs once,
// without saving anything for a backward pass, so memory is that of one inference forward
// over the batch (twice the batch for RC-averaged Ph).
// With a sequence-parallel model (Caduceus::set_sequence_parallel), every rank of the ring
// calls this with the same sequences and runs its ring_slice of every row (RC rows too, in
// RC coordinates); each rank fills in the selected positions it holds, zeros elsewhere, and
// one all-reduce (sum) over the ring gives every rank the whole result.
SequenceEmbeddings embed_sequences(Caduceus& model, const std::vector<std::vector<uint8_t>>& sequences,
                                   const EmbeddingSettings& settings);

}  // namespace spindle
