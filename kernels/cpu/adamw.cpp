#include "kernels/adamw.h"

namespace spindle::kernels {

template <typename T>
void adamw_cpu(T* param, const T* grad, T* m, T* v, bfloat16* working, int64_t n, AdamWArgs args) {
  const AdamWScalars<T> scalars = adamw_scalars<T>(args);
  for (int64_t i = 0; i < n; ++i) {
    adamw_update(param[i], grad[i], m[i], v[i], scalars);
    if (working) working[i] = float_to_bf16(static_cast<float>(param[i]));
  }
}

template void adamw_cpu<float>(float*, const float*, float*, float*, bfloat16*, int64_t, AdamWArgs);
template void adamw_cpu<double>(double*, const double*, double*, double*, bfloat16*, int64_t, AdamWArgs);

}  // namespace spindle::kernels
