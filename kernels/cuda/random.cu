#include "kernels/cuda_check.h"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace spindle::kernels {
namespace {

// One thread per element, grid-stride so any n fits one launch. The Philox block is
// recomputed per element; it is arithmetic-bound either way and keeps the kernel simple.
template <float (*Draw)(uint64_t, uint64_t)>
__global__ void fill_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    out[i] = Draw(seed, offset + static_cast<uint64_t>(i));
  }
}

__device__ float draw_uniform(uint64_t seed, uint64_t g) { return philox::uniform(seed, g); }
__device__ float draw_normal(uint64_t seed, uint64_t g) { return philox::normal(seed, g); }

template <float (*Draw)(uint64_t, uint64_t)>
void launch_fill(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream) {
  if (n == 0) return;
  constexpr int kThreads = 256;
  const int64_t blocks_needed = (n + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(blocks_needed < 65536 ? blocks_needed : 65536);
  fill_kernel<Draw><<<blocks, kThreads, 0, stream>>>(out, n, seed, offset);
  check_launch("fill_kernel");
}

}  // namespace

void fill_uniform_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream) {
  launch_fill<draw_uniform>(out, n, seed, offset, stream);
}

void fill_normal_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream) {
  launch_fill<draw_normal>(out, n, seed, offset, stream);
}

}  // namespace spindle::kernels
