#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/tensor_list.cuh"
#include "kernels/grad_norm.h"

namespace spindle::kernels {
namespace {

// Blocks per gradient at most: for the sum of squares, which leaves a partial per block,
// 256 (the clip factor's one block adds them); for the scaling, as AdamW's.
constexpr int kMaxSumBlocksPerGradient = 256;
constexpr int kMaxScaleBlocksPerGradient = 1024;

struct GradientList {
  float* data[kMaxTensorsPerLaunch];
  int64_t n[kMaxTensorsPerLaunch];
  TensorBlocks blocks;
};
static_assert(sizeof(GradientList) + sizeof(double*) <= kKernelParameterBytes, "the list fits the parameters");

GradientList gradient_list(std::span<const GradientRef> gradients, int64_t first, int count, int max_blocks) {
  GradientList list{};
  for (int i = 0; i < count; ++i) {
    list.data[i] = gradients[first + i].data;
    list.n[i] = gradients[first + i].n;
  }
  list.blocks = tensor_blocks(count, max_blocks, [&](int i) { return list.n[i]; });
  return list;
}

// Block b sums a fixed strided share of its gradient, in double, into partials[b].
__global__ void sum_of_squares_kernel(GradientList list, double* partials) {
  const BlockOfTensor at = block_of_tensor(list.blocks);
  const float* g = list.data[at.tensor];
  const int64_t n = list.n[at.tensor];
  double sum = 0.0;
  for (int64_t e = at.first_element(); e < n; e += at.element_stride()) {
    sum += static_cast<double>(g[e]) * g[e];
  }
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

__global__ void scale_kernel(GradientList list, const double* factor) {
  const BlockOfTensor at = block_of_tensor(list.blocks);
  float* g = list.data[at.tensor];
  const float f = static_cast<float>(*factor);
  const int64_t n = list.n[at.tensor];
  for (int64_t e = at.first_element(); e < n; e += at.element_stride()) g[e] *= f;
}

}  // namespace

int64_t sum_of_squares_partial_count(std::span<const GradientRef> gradients) {
  int64_t count = 0;
  for_each_tensor_group(static_cast<int64_t>(gradients.size()), [&](int64_t first, int group_size) {
    count += gradient_list(gradients, first, group_size, kMaxSumBlocksPerGradient).blocks.grid();
  });
  return count;
}

void sum_of_squares_partials_cuda(std::span<const GradientRef> gradients, double* partials, cudaStream_t stream) {
  for_each_tensor_group(static_cast<int64_t>(gradients.size()), [&](int64_t first, int count) {
    const GradientList list = gradient_list(gradients, first, count, kMaxSumBlocksPerGradient);
    sum_of_squares_kernel<<<list.blocks.grid(), kThreadsPerBlock, 0, stream>>>(list, partials);
    check_launch("sum_of_squares_kernel");
    partials += list.blocks.grid();
  });
}

void clip_factor_cuda(const double* partials, int64_t count, double max_norm, double* norm_and_factor,
                      cudaStream_t stream) {
  clip_factor_kernel<<<1, kThreadsPerBlock, 0, stream>>>(partials, count, max_norm, norm_and_factor);
  check_launch("clip_factor_kernel");
}

void scale_by_device_factor_cuda(std::span<const GradientRef> gradients, const double* factor, cudaStream_t stream) {
  for_each_tensor_group(static_cast<int64_t>(gradients.size()), [&](int64_t first, int count) {
    const GradientList list = gradient_list(gradients, first, count, kMaxScaleBlocksPerGradient);
    scale_kernel<<<list.blocks.grid(), kThreadsPerBlock, 0, stream>>>(list, factor);
    check_launch("scale_kernel");
  });
}

}  // namespace spindle::kernels
