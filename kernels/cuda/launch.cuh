// Launch-shape helpers shared by the elementwise CUDA kernels.
#pragma once

#include <cstdint>

#include "kernels/cuda_check.h"

namespace spindle::kernels {

inline constexpr int kThreadsPerBlock = 256;

// Blocks for a grid-stride loop over n elements: enough to fill the GPU, capped so that
// huge n do not launch millions of tiny blocks.
inline int grid_for(int64_t n) {
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<int>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

// Multiprocessors of the current device: launchers that split work over blocks size it
// to fill them.
inline int multiprocessor_count() {
  int device = 0, multiprocessors = 0;
  SPINDLE_CUDA_CHECK(cudaGetDevice(&device));
  SPINDLE_CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
  return multiprocessors;
}

__device__ __forceinline__ int64_t grid_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_stride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

}  // namespace spindle::kernels
