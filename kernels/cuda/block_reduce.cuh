// Block-wide reductions in a fixed order: a butterfly within each warp, then the warp
// totals added in warp order. The result does not depend on scheduling, so sums are the
// same bit for bit from run to run (no atomics). Every thread of the block must call them
// (they synchronize), and every thread receives the result.
#pragma once

#include <cfloat>

namespace spindle::kernels {

struct SumOp {
  template <typename V> __device__ __forceinline__ V operator()(V a, V b) const { return a + b; }
};
struct MaxOp {
  template <typename V> __device__ __forceinline__ V operator()(V a, V b) const { return a > b ? a : b; }
};

template <typename V, typename Op>
__device__ __forceinline__ V warp_reduce(V v, Op op) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// blockDim.x must be a multiple of 32 (at most 1024).
template <typename V, typename Op>
__device__ V block_reduce(V v, Op op) {
  __shared__ V warp_totals[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_reduce(v, op);
  __syncthreads();  // an earlier call's readers are done with warp_totals
  if (lane == 0) warp_totals[warp] = v;
  __syncthreads();
  V total = warp_totals[0];
  for (int i = 1; i < static_cast<int>(blockDim.x / 32); ++i) total = op(total, warp_totals[i]);
  return total;
}

template <typename V> __device__ V block_sum(V v) { return block_reduce(v, SumOp{}); }
__device__ inline float block_max(float v) { return block_reduce(v, MaxOp{}); }

}  // namespace spindle::kernels
