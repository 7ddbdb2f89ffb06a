#include "kernels/dropout.h"

namespace spindle::kernels {

template <typename T>
void dropout_cpu(const T* in, T* out, int64_t n, DropoutArgs args) {
  const T keep_scale = T(1) / (T(1) - static_cast<T>(args.p));
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] * dropout_factor(args, i, keep_scale);
}

template void dropout_cpu<float>(const float*, float*, int64_t, DropoutArgs);
template void dropout_cpu<double>(const double*, double*, int64_t, DropoutArgs);

}  // namespace spindle::kernels
