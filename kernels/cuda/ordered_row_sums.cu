#include "kernels/cuda/ordered_row_sums.h"

#include "kernels/cuda/launch.cuh"

namespace spindle::kernels {
namespace {

__global__ void add_ordered_row_sums_kernel(const float* rows, int64_t count, int64_t width, float* out) {
  for (int64_t j = grid_index(); j < width; j += grid_stride()) {
    float sum = 0.0f;
    for (int64_t r = 0; r < count; ++r) sum += rows[r * width + j];
    out[j] += sum;
  }
}

}  // namespace

void add_ordered_row_sums_cuda(const float* rows, int64_t count, int64_t width, float* out, cudaStream_t stream) {
  if (width == 0) return;
  add_ordered_row_sums_kernel<<<grid_for(width), kThreadsPerBlock, 0, stream>>>(rows, count, width, out);
  check_launch("add_ordered_row_sums_kernel");
}

}  // namespace spindle::kernels
