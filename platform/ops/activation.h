// Elementwise activations SiLU, softplus (threshold 20), GELU (tanh approximation or exact
// erf), forward and backward; kernels/activation.h has the formulas.
// x, y, dy, dx: any shape, contiguous, one dtype: f32/f64 on the CPU, f32/bf16 on CUDA.
#pragma once

#include "kernels/activation.h"
#include "platform/tensor.h"

namespace spindle::ops {

using kernels::Activation;

// y = f(x), written; y has x's shape and dtype.
void activation_forward(const Tensor& x, Tensor& y, Activation kind, const Stream* stream = nullptr);
// dx = dy * f'(x), written.
void activation_backward(const Tensor& x, const Tensor& dy, Tensor& dx, Activation kind,
                         const Stream* stream = nullptr);

}  // namespace spindle::ops
