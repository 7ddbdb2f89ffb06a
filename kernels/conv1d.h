// Causal depthwise 1-D convolution, as in Mamba's conv1d, optionally followed by SiLU.
//
// Layout: x, y, dy, dx are (batch, channels, length), row-major (time fastest). weight is
// (channels, width), bias (channels). Time t (0-based) of channel c:
//   pre[t] = bias[c] + sum_{k=0}^{width-1} weight[c][k] * x[t - (width-1) + k]
//   y[t]   = silu ? pre[t] * sigmoid(pre[t]) : pre[t]
// where x at negative times comes from `context` (batch, channels, width-1): the last
// width-1 inputs of the previous chunk, oldest first (time -(width-1) .. -1); zero when
// context is null. This lets a sequence be convolved in pieces (streaming, or one slice
// per rank) with the same result as whole.
//
// Backward: dx and dcontext are written; dweight and dbias are ACCUMULATED (+=), since
// parameter gradients sum over calls (micro-batches, directions, ranks). bias, context,
// dbias and dcontext may be null.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

inline constexpr int kMaxConvWidth = 8;

struct Conv1dShape {
  int64_t batch = 0, channels = 0, length = 0;
  int width = 4;  // 1..kMaxConvWidth
};

// CPU reference; T is float or double (double for gradient checks).
template <typename T>
void causal_conv1d_forward_cpu(const T* x, const T* weight, const T* bias, const T* context, T* y,
                               Conv1dShape shape, bool silu);
template <typename T>
void causal_conv1d_backward_cpu(const T* x, const T* weight, const T* bias, const T* context, const T* dy, T* dx,
                                T* dweight, T* dbias, T* dcontext, Conv1dShape shape, bool silu);

#if SPINDLE_WITH_CUDA
// Activations T are float or bfloat16; weight, bias and their gradients are float.
template <typename T>
void causal_conv1d_forward_cuda(const T* x, const float* weight, const float* bias, const T* context, T* y,
                                Conv1dShape shape, bool silu, cudaStream_t stream);
template <typename T>
void causal_conv1d_backward_cuda(const T* x, const float* weight, const float* bias, const T* context, const T* dy,
                                 T* dx, float* dweight, float* dbias, T* dcontext, Conv1dShape shape, bool silu,
                                 cudaStream_t stream);
#endif

}  // namespace spindle::kernels
