#include "kernels/cuda/launch.cuh"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace spindle::kernels {
namespace {

// One thread per element, grid-stride so any n fits one launch. The Philox block is
// recomputed per element; it is arithmetic-bound either way and keeps the kernel simple.
template <float (*Draw)(uint64_t, uint64_t)>
__global__ void fill_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    out[i] = Draw(seed, offset + static_cast<uint64_t>(i));
  }
}

__device__ float draw_uniform(uint64_t seed, uint64_t g) { return philox::uniform(seed, g); }
__device__ float draw_normal(uint64_t seed, uint64_t g) { return philox::normal(seed, g); }

template <float (*Draw)(uint64_t, uint64_t)>
void launch_fill(float* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream) {
  if (n == 0) return;
  fill_kernel<Draw><<<grid_for(n), kThreadsPerBlock, 0, stream>>>(out, n, seed, offset);
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
