// LayerNorm / RMSNorm over the last axis with a fused residual add, as Mamba/Caduceus
// blocks use them (kernels/residual_norm.h has the exact definition):
//   residual_out = x + residual,  y = norm(residual_out) * weight + bias.
// x, y, dy, dx: (..., dim), rows = product of the leading axes; weight, bias: (dim).
// CPU: every tensor f32 or f64 (one dtype). CUDA: x, y, dy, dx f32 or bf16; the residual
// stream (residual, residual_out, dresidual_out, dresidual) and parameters f32.
#pragma once

#include "kernels/residual_norm.h"
#include "platform/tensor.h"

namespace spindle::ops {

using kernels::NormKind;

struct ResidualNormArgs {
  NormKind kind = NormKind::rms;
  double eps = 1e-5;
  const Tensor* residual = nullptr;  // (..., dim) or null (residual_out = x)
  const Tensor* bias = nullptr;      // (dim) or null
};

// y (x's shape and dtype) and residual_out (x's shape, the residual-stream dtype) written.
void residual_norm_forward(const Tensor& x, const Tensor& weight, Tensor& y, Tensor& residual_out,
                           const ResidualNormArgs& args, const Stream* stream = nullptr);

// From the forward's residual_out, dy and the residual-stream gradient dresidual_out (or
// null): dx and dresidual (if given) written, both the gradient of residual_out; dweight
// and dbias (if given; needs args.bias) accumulated (+=). args.residual is not read.
void residual_norm_backward(const Tensor& residual_out, const Tensor& weight, const Tensor& dy,
                            const Tensor* dresidual_out, Tensor& dx, Tensor* dresidual, Tensor& dweight, Tensor* dbias,
                            const ResidualNormArgs& args, const Stream* stream = nullptr);

}  // namespace spindle::ops
