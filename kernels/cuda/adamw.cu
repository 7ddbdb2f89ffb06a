#include <cuda_bf16.h>

#include "kernels/adamw.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/tensor_list.cuh"

namespace spindle::kernels {
namespace {

// Blocks per tensor at most: 1,024 x 256 threads cover a million elements in 4 passes.
constexpr int kMaxBlocksPerTensor = 1024;

// Up to kMaxTensorsPerLaunch tensors; decay[i] is 1 - lr x (tensor i's weight decay), which
// replaces the step's shared scalars.decay.
struct AdamWList {
  float* param[kMaxTensorsPerLaunch];
  const float* grad[kMaxTensorsPerLaunch];
  float* m[kMaxTensorsPerLaunch];
  float* v[kMaxTensorsPerLaunch];
  __nv_bfloat16* working[kMaxTensorsPerLaunch];
  int64_t n[kMaxTensorsPerLaunch];
  float decay[kMaxTensorsPerLaunch];
  TensorBlocks blocks;
};
static_assert(sizeof(AdamWList) + sizeof(AdamWScalars<float>) <= kKernelParameterBytes, "the list fits the parameters");

__global__ void adamw_kernel(AdamWList list, AdamWScalars<float> scalars) {
  const BlockOfTensor at = block_of_tensor(list.blocks);
  const int i = at.tensor;
  float *param = list.param[i], *m = list.m[i], *v = list.v[i];
  const float* grad = list.grad[i];
  __nv_bfloat16* working = list.working[i];
  scalars.decay = list.decay[i];
  const int64_t n = list.n[i];
  for (int64_t e = at.first_element(); e < n; e += at.element_stride()) {
    float p = param[e], me = m[e], ve = v[e];
    adamw_update(p, grad[e], me, ve, scalars);
    param[e] = p;
    m[e] = me;
    v[e] = ve;
    if (working) working[e] = __float2bfloat16_rn(p);
  }
}

}  // namespace

void adamw_cuda(std::span<const AdamWTensor> tensors, AdamWArgs args, cudaStream_t stream) {
  const AdamWScalars<float> scalars = adamw_scalars<float>(args);
  for_each_tensor_group(static_cast<int64_t>(tensors.size()), [&](int64_t first, int count) {
    AdamWList list{};
    for (int i = 0; i < count; ++i) {
      const AdamWTensor& t = tensors[first + i];
      list.param[i] = t.param;
      list.grad[i] = t.grad;
      list.m[i] = t.m;
      list.v[i] = t.v;
      list.working[i] = reinterpret_cast<__nv_bfloat16*>(t.working);
      list.n[i] = t.n;
      list.decay[i] = t.decayed ? scalars.decay : 1.0f;  // 1 - lr x 0
    }
    list.blocks = tensor_blocks(count, kMaxBlocksPerTensor, [&](int i) { return list.n[i]; });
    adamw_kernel<<<list.blocks.grid(), kThreadsPerBlock, 0, stream>>>(list, scalars);
    check_launch("adamw_kernel");
  });
}

}  // namespace spindle::kernels
