// y += alpha * x, elementwise (same shape, dtype and device; contiguous).
// CPU: f32 or f64. CUDA: f32 or bf16.
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

void axpy(double alpha, const Tensor& x, Tensor& y, const Stream* stream = nullptr);

}  // namespace spindle::ops
