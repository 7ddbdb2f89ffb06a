// Matrix products and the linear layer built on them (kernels/matmul.h has the exact
// definition and the cuBLASLt notes).
//
// matmul: c = alpha * op(a) op(b) + beta * c [+ bias], row-major, optionally batched.
//   a is (m, k) or, with transpose_a, (k, m); b is (k, n) or, with transpose_b, (n, k); c is
//   (m, n). Batched: c is (batch, m, n) and a and b are each either 3-D (batch, ., .) or 2-D
//   (shared by every batch entry, e.g. a weight). bias (n) is added to every row of c.
//   c is written when beta == 0 (its contents are not read) and accumulated into otherwise.
//   Mamba's in_proj with its output already transposed, xz (batch, 2 d_inner, length) =
//   W x[b]^T for x (batch, length, d_model) and W (2 d_inner, d_model), is
//   matmul(W, x, xz, {.transpose_b = true}).
// CPU: a, b, c and bias all f32 or all f64. CUDA: a and b both f32 or both bf16; c f32 or
// a's dtype; bias f32 (rounded to bf16 for a bf16 c, as cuBLASLt's bias epilogue adds it in
// c's type); products accumulate in f32 without TF32.
#pragma once

#include "platform/tensor.h"

namespace spindle::ops {

struct MatmulArgs {
  bool transpose_a = false, transpose_b = false;
  double alpha = 1.0, beta = 0.0;
  const Tensor* bias = nullptr;  // (n) or null
};

void matmul(const Tensor& a, const Tensor& b, Tensor& c, const MatmulArgs& args = {}, const Stream* stream = nullptr);

// Linear layer over the last axis: y = x weight^T + bias for x (..., in), weight (out, in),
// bias (out) or null, y (..., out) preallocated with x's dtype. CPU: all f32 or all f64.
// CUDA: x and y f32 or bf16; weight and bias f32 (rounded to bf16 for bf16 activations).
void linear_forward(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& y,
                    const Stream* stream = nullptr);

// Gradients of linear_forward for dy (..., out): dx (x's shape and dtype) is WRITTEN;
// dweight (weight's shape and dtype) and dbias (out, if given) are ACCUMULATED (+=).
void linear_backward(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                     Tensor* dbias, const Stream* stream = nullptr);

}  // namespace spindle::ops
