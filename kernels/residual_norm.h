// LayerNorm and RMSNorm with a fused residual add, as Mamba/Caduceus blocks use them
// (mamba_ssm's layer_norm_fn / rms_norm_fn with prenorm=True, residual_in_fp32=True).
//
// Layout: every tensor is (rows, dim) row-major; the norm runs over dim (the last axis),
// rows is the product of the leading axes. weight and bias are (dim).
// Forward, for each row:
//   h = x + residual                 (residual null: h = x); written to residual_out
//   LayerNorm: mean = sum(h) / dim, var = sum((h - mean)^2) / dim, xhat = (h - mean) / sqrt(var + eps)
//   RMSNorm:   ms = sum(h^2) / dim,  xhat = h / sqrt(ms + eps)
//   y = xhat * weight + bias         (bias may be null: no bias; mamba's RMSNorm has none)
// Backward takes residual_out (the h saved by the forward; mean and rstd are recomputed
// from it), dy and optionally dresidual_out, the gradient of the residual stream coming
// back from the next layer (null: zero). With g = dy * weight:
//   LayerNorm: dh = rstd * (g - mean(g) - xhat * mean(g * xhat)) + dresidual_out
//   RMSNorm:   dh = rstd * (g - xhat * mean(g * xhat)) + dresidual_out
//   dx = dh and dresidual = dh (written; dresidual may be null),
//   dweight += sum over rows of dy * xhat, dbias += sum over rows of dy (ACCUMULATED; dbias may be null).
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

enum class NormKind { layer, rms };

struct NormShape {
  int64_t rows = 0, dim = 0;
  NormKind kind = NormKind::rms;
  double eps = 1e-5;
};

// CPU reference: every tensor is T (float or double, double for gradient checks).
template <typename T>
void residual_norm_forward_cpu(const T* x, const T* residual, const T* weight, const T* bias, T* y, T* residual_out,
                               NormShape shape);
template <typename T>
void residual_norm_backward_cpu(const T* residual_out, const T* weight, const T* dy,
                                const T* dresidual_out, T* dx, T* dresidual, T* dweight, T* dbias, NormShape shape);

#if SPINDLE_WITH_CUDA
// Activations x, y, dy, dx are T (float or bfloat16); the residual stream (residual,
// residual_out, dresidual_out, dresidual), weight, bias and their gradients are float.
template <typename T>
void residual_norm_forward_cuda(const T* x, const float* residual, const float* weight, const float* bias, T* y,
                                float* residual_out, NormShape shape, cudaStream_t stream);

// The backward sums the parameter gradients in fixed-order stages (no atomics): one warp
// per row sums its rows in shared memory, each of up to kNormBackwardBlocks blocks adds its
// warps' sums into its own row of `workspace`, then those rows are added in order into
// dweight and dbias. dim may be at most the GPU's shared memory per block / 8 bytes
// (29,056 on an H100). workspace holds
// residual_norm_backward_workspace(shape) floats of device memory (contents ignored).
inline constexpr int64_t kNormBackwardBlocks = 6 * 132;  // one wave on a 132-multiprocessor GPU
inline int64_t residual_norm_backward_workspace(NormShape shape) {
  return 2 * (shape.rows < kNormBackwardBlocks ? shape.rows : kNormBackwardBlocks) * shape.dim;
}
template <typename T>
void residual_norm_backward_cuda(const float* residual_out, const float* weight, const T* dy,
                                 const float* dresidual_out, T* dx, float* dresidual, float* dweight, float* dbias,
                                 float* workspace, NormShape shape, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
