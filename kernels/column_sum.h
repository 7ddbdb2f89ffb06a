// Column sums added to a vector: out[j] += sum_i x[i][j] for x (rows, cols), row-major.
// The bias gradient of a linear layer (dbias += sum over rows of dy); out is ACCUMULATED.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

// CPU reference; T is float or double.
template <typename T>
void column_sum_accumulate_cpu(const T* x, T* out, int64_t rows, int64_t cols);

#if SPINDLE_WITH_CUDA
// x is float or bfloat16; out is float. Sums in float in a fixed order (deterministic).
template <typename T>
void column_sum_accumulate_cuda(const T* x, float* out, int64_t rows, int64_t cols, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
