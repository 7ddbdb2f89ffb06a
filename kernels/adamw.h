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
#include <span>

#include "kernels/backend.h"
#include "kernels/bfloat16.h"
#include "kernels/host_device.h"

namespace spindle::kernels {

struct AdamWArgs {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2;
  int64_t step = 1;
};

// The step's scalars in the compute type T, each computed on the host in double and
// rounded once (1 - beta2 rounded from double, not formed in float where 1 - 0.999f is
// 1.3e-5 off).
template <typename T>
struct AdamWScalars {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
  T decay;           // 1 - lr * weight_decay
  T step_size;       // lr / (1 - beta1^t)
  T inv_sqrt_bias2;  // 1 / sqrt(1 - beta2^t)
};

template <typename T>
AdamWScalars<T> adamw_scalars(const AdamWArgs& a) {
  const double t = static_cast<double>(a.step);
  return {static_cast<T>(a.beta1),
          static_cast<T>(1.0 - a.beta1),
          static_cast<T>(a.beta2),
          static_cast<T>(1.0 - a.beta2),
          static_cast<T>(a.eps),
          static_cast<T>(1.0 - a.lr * a.weight_decay),
          static_cast<T>(a.lr / (1.0 - std::pow(a.beta1, t))),
          static_cast<T>(1.0 / std::sqrt(1.0 - std::pow(a.beta2, t)))};
}

// One parameter's update, in T (float on CUDA; float or double on the CPU).
template <typename T>
SPINDLE_HOST_DEVICE void adamw_update(T& p, T g, T& m, T& v, const AdamWScalars<T>& s) {
  p *= s.decay;
  m = s.beta1 * m + s.one_minus_beta1 * g;
  v = s.beta2 * v + s.one_minus_beta2 * g * g;
  p -= s.step_size * m / (std::sqrt(v) * s.inv_sqrt_bias2 + s.eps);
}

// CPU reference; T is float or double.
template <typename T>
void adamw_cpu(T* param, const T* grad, T* m, T* v, bfloat16* working, int64_t n, AdamWArgs args);

#if SPINDLE_WITH_CUDA
// One tensor of a CUDA step: master weights, gradient and moments in float, n elements each;
// working as above (or null). args.weight_decay applies where decayed (0 elsewhere).
struct AdamWTensor {
  float* param;
  const float* grad;
  float* m;
  float* v;
  bfloat16* working;
  int64_t n;
  bool decayed;
};
// Every tensor of the list stepped, a few launches for the whole list (cuda/tensor_list.cuh).
void adamw_cuda(std::span<const AdamWTensor> tensors, AdamWArgs args, cudaStream_t stream);
#endif

}  // namespace spindle::kernels
