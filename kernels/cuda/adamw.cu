#include <cuda_bf16.h>

#include "kernels/adamw.h"
#include "kernels/cuda/launch.cuh"

namespace spindle::kernels {
namespace {

struct FloatCoefficients {
  float beta1, beta2, eps, decay, step_size, inv_sqrt_bias2;
};

__global__ void adamw_kernel(float* param, const float* grad, float* m, float* v, __nv_bfloat16* working, int64_t n,
                             FloatCoefficients c) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    float p = param[i], mi = m[i], vi = v[i];
    adamw_update(p, grad[i], mi, vi, c.beta1, c.beta2, c.eps, c.decay, c.step_size, c.inv_sqrt_bias2);
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
  const AdamWCoefficients c = adamw_coefficients(args);
  const FloatCoefficients f{static_cast<float>(args.beta1), static_cast<float>(args.beta2),
                            static_cast<float>(args.eps),   static_cast<float>(c.decay),
                            static_cast<float>(c.step_size), static_cast<float>(c.inv_sqrt_bias2)};
  adamw_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(param, grad, m, v,
                                                              reinterpret_cast<__nv_bfloat16*>(working), n, f);
  check_launch("adamw_kernel");
}

}  // namespace spindle::kernels
