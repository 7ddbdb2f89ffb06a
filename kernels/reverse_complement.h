// DNA reverse complement of token ids, with the Caduceus character tokenizer:
//   [CLS]0 [SEP]1 [BOS]2 [MASK]3 [PAD]4 [RESERVED]5 [UNK]6 A7 C8 G9 T10 N11
// complement: A<->T, C<->G (id -> 17 - id for ids 7..10); every other id is its own
// complement (specials, N, and any id outside the tokenizer). As Caduceus's
// RCPSEmbedding.rc: out[b][t] = complement(in[b][length - 1 - t]) for ids of shape
// (batch, length), contiguous; out must not overlap in. Applying it twice is the identity.
//
// The reverse complement of activations (Caduceus's RCPSWrapper.rc, torch.flip over the
// length and channel axes of (batch, length, channels)) is a flip: see kernels/flip.h.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/host_device.h"

namespace spindle::kernels {

inline constexpr int64_t kTokenA = 7, kTokenC = 8, kTokenG = 9, kTokenT = 10;

template <typename Id>
SPINDLE_HOST_DEVICE Id complement_token(Id id) {
  const int64_t v = static_cast<int64_t>(id);
  return v >= kTokenA && v <= kTokenT ? static_cast<Id>(kTokenA + kTokenT - v) : id;
}

// Id is int32_t, int64_t or uint8_t.
template <typename Id>
void reverse_complement_tokens_cpu(const Id* in, Id* out, int64_t batch, int64_t length);

#if SPINDLE_WITH_CUDA
template <typename Id>
void reverse_complement_tokens_cuda(const Id* in, Id* out, int64_t batch, int64_t length, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
