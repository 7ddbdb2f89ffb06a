// Dropout with a Philox mask recomputed from (seed, offset) instead of stored
// (kernels/dropout.h has the exact definition). CPU and GPU masks are identical.
// Tensors: any shape, contiguous, one dtype: f32/f64 on the CPU, f32/bf16 on CUDA.
#pragma once

#include "kernels/dropout.h"
#include "platform/tensor.h"

namespace spindle::ops {

using kernels::DropoutArgs;

// y = mask(x) / (1 - p), written. Element i of x draws stream element offset + i.
void dropout_forward(const Tensor& x, Tensor& y, const DropoutArgs& args, const Stream* stream = nullptr);
// dx = mask(dy) / (1 - p), written, with the forward's args (the same mask).
void dropout_backward(const Tensor& dy, Tensor& dx, const DropoutArgs& args, const Stream* stream = nullptr);

}  // namespace spindle::ops
