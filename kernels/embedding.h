// Embedding lookup and its gradient.
//   forward:  out[i][:] = table[ids[i]][:]                        for i < n (written)
//   backward: dtable[v][:] += sum of dout[i][:] over i with ids[i] == v, in increasing i
//             (ACCUMULATED)
// ids: n token ids (int32 or int64); table, dtable: (vocab, dim) row-major; out, dout:
// (n, dim). Ids outside [0, vocab) are errors: the CPU reference throws spindle::Error
// (the backward before changing dtable); the CUDA kernels set *bad_id_flag = 1 (a device
// int they never clear), write a zero row for such an id in the forward and skip it in
// the backward.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

struct EmbeddingShape {
  int64_t n = 0, vocab = 0, dim = 0;
};

// CPU reference: T is float or double for both table and activations.
template <typename T, typename Id>
void embedding_forward_cpu(const Id* ids, const T* table, T* out, EmbeddingShape shape);
template <typename T, typename Id>
void embedding_backward_cpu(const Id* ids, const T* dout, T* dtable, EmbeddingShape shape);

#if SPINDLE_WITH_CUDA
// Activations out, dout are T (float or bfloat16); table and dtable are float.
template <typename T, typename Id>
void embedding_forward_cuda(const Id* ids, const float* table, T* out, EmbeddingShape shape, int* bad_id_flag,
                            cudaStream_t stream);
// Deterministic without atomics: each block owns one table row and a tile of its columns
// and scans every id in order, so its work is O(n) per row (n * vocab id reads in all):
// made for the small vocabularies of DNA tokenizers (12 to a few hundred ids).
template <typename T, typename Id>
void embedding_backward_cuda(const Id* ids, const T* dout, float* dtable, EmbeddingShape shape, int* bad_id_flag,
                             cudaStream_t stream);
#endif

}  // namespace spindle::kernels
