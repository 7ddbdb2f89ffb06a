// Causal depthwise 1-D convolution with optional fused SiLU (kernels/conv1d.h has the
// exact definition). Activations (batch, channels, length); weight (channels, width).
// CPU: f32 or f64 everywhere. CUDA: activations f32 or bf16, parameters f32.
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

struct Conv1dArgs {
  const Tensor* bias = nullptr;     // (channels) or null
  const Tensor* context = nullptr;  // (batch, channels, width-1): previous chunk's last inputs, or null (zeros)
  bool silu = true;
};

// y = [silu](conv(x)); y preallocated with x's shape and dtype.
void causal_conv1d_forward(const Tensor& x, const Tensor& weight, Tensor& y, const Conv1dArgs& args,
                           const Stream* stream = nullptr);

// dx (and dcontext if given) written; dweight (and dbias if given) accumulated (+=).
void causal_conv1d_backward(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                            Tensor* dbias, Tensor* dcontext, const Conv1dArgs& args, const Stream* stream = nullptr);

}  // namespace spindle::ops
