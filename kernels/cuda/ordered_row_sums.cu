#include "kernels/cuda/ordered_row_sums.h"

#include "kernels/cuda/launch.cuh"

namespace spindle::kernels {
namespace {

constexpr int kColumns = 32;                           // per block: one 128-byte row segment per warp load
constexpr int kRowLanes = kThreadsPerBlock / kColumns;  // warps, each summing every kRowLanes-th row

// Block = kColumns columns; warp w sums rows w, w + kRowLanes, ... in order, then the warps'
// sums are added in warp order. The order depends on the shape alone, so a run repeats bit
// for bit on any GPU.
__global__ void __launch_bounds__(kThreadsPerBlock) add_ordered_row_sums_kernel(const float* rows, int64_t count,
                                                                                 int64_t width, float* out) {
  __shared__ float lane_sums[kRowLanes][kColumns];
  const int column = threadIdx.x % kColumns, lane = threadIdx.x / kColumns;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kColumns + column;
  float sum = 0.0f;
  if (j < width) {
#pragma unroll 8
    for (int64_t r = lane; r < count; r += kRowLanes) sum += rows[r * width + j];
  }
  lane_sums[lane][column] = sum;
  __syncthreads();
  if (lane != 0 || j >= width) return;
  float total = 0.0f;
#pragma unroll
  for (int k = 0; k < kRowLanes; ++k) total += lane_sums[k][column];
  out[j] += total;
}

}  // namespace

void add_ordered_row_sums_cuda(const float* rows, int64_t count, int64_t width, float* out, cudaStream_t stream) {
  if (width == 0) return;
  const int64_t blocks = (width + kColumns - 1) / kColumns;
  add_ordered_row_sums_kernel<<<static_cast<unsigned>(blocks), kThreadsPerBlock, 0, stream>>>(rows, count, width, out);
  check_launch("add_ordered_row_sums_kernel");
}

}  // namespace spindle::kernels
