#include <cuda_bf16.h>

#include "kernels/adamw.h"
#include "kernels/cuda/launch.cuh"

namespace spindle::kernels {
namespace {

__global__ void adamw_kernel(float* param, const float* grad, float* m, float* v, __nv_bfloat16* working, int64_t n,
                             AdamWScalars<float> scalars) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    float p = param[i], mi = m[i], vi = v[i];
    adamw_update(p, grad[i], mi, vi, scalars);
    param[i] = p;
    m[i] = mi;
    v[i] = vi;
    if (working) working[i] = __float2bfloat16_rn(p);
  }
}

}  // namespace

void adamw_cuda(float* param, const float* grad, float* m, float* v, bfloat16* working, int64_t n, AdamWArgs args,
                cudaStream_t stream) {
  if (n == 0) return;
  adamw_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(param, grad, m, v,
                                                              reinterpret_cast<__nv_bfloat16*>(working), n,
                                                              adamw_scalars<float>(args));
  check_launch("adamw_kernel");
}

}  // namespace spindle::kernels
