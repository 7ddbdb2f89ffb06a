#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/grad_norm.h"

namespace spindle::kernels {
namespace {

// Grid kSumOfSquaresBlocks: block b sums a fixed grid-stride share, in double.
__global__ void sum_of_squares_kernel(const float* g, int64_t n, double* partials) {
  double sum = 0.0;
  for (int64_t i = grid_index(); i < n; i += grid_stride()) sum += static_cast<double>(g[i]) * g[i];
  sum = block_sum(sum);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// One block: thread j adds partials j, j + blockDim.x, ..., then a fixed-order block sum.
__global__ void clip_factor_kernel(const double* partials, int64_t count, double max_norm, double* norm_and_factor) {
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) sum += partials[i];
  sum = block_sum(sum);
  if (threadIdx.x == 0) {
    const double norm = sqrt(sum);
    norm_and_factor[0] = norm;
    norm_and_factor[1] = clip_factor(norm, max_norm);
  }
}

__global__ void scale_kernel(float* g, int64_t n, const double* factor) {
  const float f = static_cast<float>(*factor);
  for (int64_t i = grid_index(); i < n; i += grid_stride()) g[i] *= f;
}

}  // namespace

void sum_of_squares_partials_cuda(const float* g, int64_t n, double* partials, cudaStream_t stream) {
  sum_of_squares_kernel<<<kSumOfSquaresBlocks, kThreadsPerBlock, 0, stream>>>(g, n, partials);
  check_launch("sum_of_squares_kernel");
}

void clip_factor_cuda(const double* partials, int64_t count, double max_norm, double* norm_and_factor,
                      cudaStream_t stream) {
  clip_factor_kernel<<<1, kThreadsPerBlock, 0, stream>>>(partials, count, max_norm, norm_and_factor);
  check_launch("clip_factor_kernel");
}

void scale_by_device_factor_cuda(float* g, int64_t n, const double* factor, cudaStream_t stream) {
  if (n == 0) return;
  scale_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(g, n, factor);
  check_launch("scale_kernel");
}

}  // namespace spindle::kernels
