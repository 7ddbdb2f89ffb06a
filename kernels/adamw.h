// Fused AdamW step, as torch.optim.AdamW (amsgrad=False, maximize=False), elementwise
// over n parameters. With t = step (1 for the first step taken):
//   p  = p * (1 - lr * weight_decay)                          decoupled weight decay
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g^2
//   p  = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// param, m, v are updated in place; grad is read. working, if not null, receives the
// updated parameters rounded to bfloat16 in the same pass (the copy the forward reads).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"
#include "kernels/host_device.h"

namespace spindle::kernels {

struct AdamWArgs {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2;
  int64_t step = 1;
};

// The step's scalars, computed once on the host in double.
struct AdamWCoefficients {
  double decay;           // 1 - lr * weight_decay
  double step_size;       // lr / (1 - beta1^t)
  double inv_sqrt_bias2;  // 1 / sqrt(1 - beta2^t)
};

inline AdamWCoefficients adamw_coefficients(const AdamWArgs& a) {
  const double t = static_cast<double>(a.step);
  return {1.0 - a.lr * a.weight_decay, a.lr / (1.0 - std::pow(a.beta1, t)), 1.0 / std::sqrt(1.0 - std::pow(a.beta2, t))};
}

// One parameter's update, in T (float on CUDA; float or double on the CPU).
template <typename T>
SPINDLE_HOST_DEVICE void adamw_update(T& p, T g, T& m, T& v, T beta1, T beta2, T eps, T decay, T step_size,
                                      T inv_sqrt_bias2) {
  p *= decay;
  m = beta1 * m + (T(1) - beta1) * g;
  v = beta2 * v + (T(1) - beta2) * g * g;
  p -= step_size * m / (std::sqrt(v) * inv_sqrt_bias2 + eps);
}

// CPU reference; T is float or double.
template <typename T>
void adamw_cpu(T* param, const T* grad, T* m, T* v, bfloat16* working, int64_t n, AdamWArgs args);

#if SPINDLE_WITH_CUDA
// Master weights, gradients and moments in float.
void adamw_cuda(float* param, const float* grad, float* m, float* v, bfloat16* working, int64_t n, AdamWArgs args,
                cudaStream_t stream);
#endif

}  // namespace spindle::kernels
