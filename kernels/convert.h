// Element type conversion between f64, f32 and bf16 (round to nearest even).
//   src, dst: n elements, contiguous; host memory for *_cpu, device memory for *_cuda.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"

namespace spindle::kernels {

template <typename From, typename To>
void convert_cpu(const From* src, To* dst, int64_t n);

#if SPINDLE_WITH_CUDA
// From, To in {double, float, bfloat16} (bfloat16 is bit-compatible with __nv_bfloat16).
template <typename From, typename To>
void convert_cuda(const From* src, To* dst, int64_t n, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
