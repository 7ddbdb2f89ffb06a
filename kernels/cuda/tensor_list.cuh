// Elementwise launches over a list of distinct tensors (a model's parameters, their
// gradients): one grid whose blocks are split among up to kMaxTensorsPerLaunch tensors by
// size, so hundreds of small tensors cost a few launches instead of one each. The list
// travels in the kernel's parameters (kKernelParameterBytes at most; each list type checks
// its size), so nothing is copied to the device first.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/launch.cuh"

namespace spindle::kernels {

inline constexpr int kMaxTensorsPerLaunch = 48;
inline constexpr size_t kKernelParameterBytes = 4096;

// Block b of the grid works on tensor i where first_block[i] <= b < first_block[i + 1].
struct TensorBlocks {
  int first_block[kMaxTensorsPerLaunch + 1];
  int count;
  int grid() const { return first_block[count]; }
};

// Four elements per thread: enough work per block to amortize finding its tensor.
inline constexpr int64_t kElementsPerBlock = 4 * kThreadsPerBlock;
// Blocks of kThreadsPerBlock for each of count tensors of the given sizes (elements): one per
// kElementsPerBlock elements, at least 1 (an empty tensor's block does nothing) and at most
// max_blocks.
template <typename SizeOf>
TensorBlocks tensor_blocks(int count, int max_blocks, SizeOf size_of) {
  TensorBlocks t{};
  t.count = count;
  for (int i = 0; i < count; ++i) {
    const int64_t wanted = (size_of(i) + kElementsPerBlock - 1) / kElementsPerBlock;
    t.first_block[i + 1] = t.first_block[i] + static_cast<int>(std::clamp<int64_t>(wanted, 1, max_blocks));
  }
  return t;
}

// This block's place in the list: its tensor and its index and count among that tensor's
// blocks; a thread's elements of the tensor are first_element(), + element_stride(), ...
// (grid_index and grid_stride of a launch over that tensor alone).
struct BlockOfTensor {
  int tensor, block, blocks;
  __device__ int64_t first_element() const { return static_cast<int64_t>(block) * blockDim.x + threadIdx.x; }
  __device__ int64_t element_stride() const { return static_cast<int64_t>(blocks) * blockDim.x; }
};
__device__ __forceinline__ BlockOfTensor block_of_tensor(const TensorBlocks& t) {
  const int b = static_cast<int>(blockIdx.x);
  int i = 0;
  while (i + 1 < t.count && b >= t.first_block[i + 1]) ++i;
  return {i, b - t.first_block[i], t.first_block[i + 1] - t.first_block[i]};
}

// Calls launch(first, count) for consecutive groups of at most kMaxTensorsPerLaunch of n tensors.
template <typename Launch>
void for_each_tensor_group(int64_t n, Launch launch) {
  for (int64_t first = 0; first < n; first += kMaxTensorsPerLaunch) {
    launch(first, static_cast<int>(std::min<int64_t>(kMaxTensorsPerLaunch, n - first)));
  }
}

}  // namespace spindle::kernels
