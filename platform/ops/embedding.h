// Embedding lookup of token ids and its gradient (kernels/embedding.h has the definition).
// ids: (...) int32 or int64; table, dtable: (vocab, dim); out, dout: (..., dim).
// CPU: table and activations f32 or f64 (one dtype). CUDA: table f32, activations f32/bf16.
// An id outside [0, vocab) throws spindle::Error, on the GPU too: the kernels flag it and
// the op reads the flag back after them, which synchronizes the stream.
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

// out[..., :] = table[ids[...], :], written.
void embedding_forward(const Tensor& ids, const Tensor& table, Tensor& out, const Stream* stream = nullptr);
// dtable[v, :] += sum of dout[i, :] over positions i with ids[i] == v (ACCUMULATED;
// deterministic, no atomics).
void embedding_backward(const Tensor& ids, const Tensor& dout, Tensor& dtable, const Stream* stream = nullptr);

}  // namespace spindle::ops
