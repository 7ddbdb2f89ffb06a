#include <cuda_bf16.h>

#include "kernels/adamw.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/tensor_list.cuh"

namespace spindle::kernels {
namespace {

// Up to kTensorListSize tensors; decay[i] is 1 - lr x (tensor i's weight decay).
struct AdamWList {
  float* param[kTensorListSize];
  const float* grad[kTensorListSize];
  float* m[kTensorListSize];
  float* v[kTensorListSize];
  __nv_bfloat16* working[kTensorListSize];
  int64_t n[kTensorListSize];
  float decay[kTensorListSize];
  TensorBlocks blocks;
};

__global__ void adamw_kernel(AdamWList list, AdamWScalars<float> scalars) {
  const BlockOfTensor at = block_of_tensor(list.blocks);
  const int i = at.tensor;
  float *param = list.param[i], *m = list.m[i], *v = list.v[i];
  const float* grad = list.grad[i];
  __nv_bfloat16* working = list.working[i];
  scalars.decay = list.decay[i];
  const int64_t n = list.n[i], stride = static_cast<int64_t>(at.blocks) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(at.block) * blockDim.x + threadIdx.x; e < n; e += stride) {
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
  AdamWArgs undecayed = args;
  undecayed.weight_decay = 0.0;
  const float no_decay = adamw_scalars<float>(undecayed).decay;
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
      list.decay[i] = t.decayed ? scalars.decay : no_decay;
    }
    list.blocks = tensor_blocks(count, 1024, [&](int i) { return list.n[i]; });
    adamw_kernel<<<list.blocks.grid(), kThreadsPerBlock, 0, stream>>>(list, scalars);
    check_launch("adamw_kernel");
  });
}

}  // namespace spindle::kernels
