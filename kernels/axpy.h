// y += alpha * x over n contiguous elements (gradient accumulation).
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

// CPU reference; T is float or double.
template <typename T>
void axpy_cpu(T alpha, const T* x, T* y, int64_t n);

#if SPINDLE_WITH_CUDA
// T is float or bfloat16 (computed in float).
template <typename T>
void axpy_cuda(float alpha, const T* x, T* y, int64_t n, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
