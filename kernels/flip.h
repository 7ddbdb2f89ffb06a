// Reversal of one axis. The tensor is viewed as (outer, length, inner), contiguous:
//   out[o][t][i] = in[o][length - 1 - t][i]
// (batch, channels, length) flipped in time is (batch * channels, length, 1);
// (batch, length, channels) flipped in time is (batch, length, channels);
// flipping both length and channels of (batch, length, channels) is (batch, length * channels, 1).
// out must not overlap in. Flip is its own inverse and its own backward.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

struct FlipShape {
  int64_t outer = 0, length = 0, inner = 1;
};

// CPU: T is float or double.
template <typename T>
void flip_cpu(const T* in, T* out, FlipShape shape);

#if SPINDLE_WITH_CUDA
// CUDA: T is float or bfloat16.
template <typename T>
void flip_cuda(const T* in, T* out, FlipShape shape, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
