// Fused softmax cross-entropy over a vocabulary with ignore_index and label smoothing:
// per-row loss and, in the same pass, the logits' gradient (kernels/cross_entropy.h has
// the exact definition). logits, dlogits: (rows, vocab); targets: (rows) int32/int64;
// loss: (rows); valid_rows: (1) int64, the number of rows not ignored.
// CPU: logits, dlogits, loss f32 or f64 (one dtype). CUDA: logits, dlogits f32 or bf16,
// loss f32. A target outside [0, vocab) that is not ignore_index throws spindle::Error;
// on the GPU that check reads a flag back after the kernel, synchronizing the stream.
#pragma once

#include "kernels/cross_entropy.h"
#include "platform/tensor.h"

namespace spindle::ops {

using kernels::CrossEntropyArgs;

// loss, valid_rows and (if not null) dlogits written; dlogits already multiplied by
// args.dloss_scale, zero on ignored rows.
void cross_entropy(const Tensor& logits, const Tensor& targets, Tensor& loss, Tensor* dlogits, Tensor& valid_rows,
                   const CrossEntropyArgs& args = {}, const Stream* stream = nullptr);

}  // namespace spindle::ops
