#include "kernels/adamw.h"

namespace spindle::kernels {

template <typename T>
void adamw_cpu(T* param, const T* grad, T* m, T* v, bfloat16* working, int64_t n, AdamWArgs args) {
  const AdamWCoefficients c = adamw_coefficients(args);
  for (int64_t i = 0; i < n; ++i) {
    adamw_update<T>(param[i], grad[i], m[i], v[i], static_cast<T>(args.beta1), static_cast<T>(args.beta2),
                    static_cast<T>(args.eps), static_cast<T>(c.decay), static_cast<T>(c.step_size),
                    static_cast<T>(c.inv_sqrt_bias2));
    if (working) working[i] = float_to_bf16(static_cast<float>(param[i]));
  }
}

template void adamw_cpu<float>(float*, const float*, float*, float*, bfloat16*, int64_t, AdamWArgs);
template void adamw_cpu<double>(double*, const double*, double*, double*, bfloat16*, int64_t, AdamWArgs);

}  // namespace spindle::kernels
