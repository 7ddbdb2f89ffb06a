#include "kernels/axpy.h"

namespace spindle::kernels {

template <typename T>
void axpy_cpu(T alpha, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

template void axpy_cpu<float>(float, const float*, float*, int64_t);
template void axpy_cpu<double>(double, const double*, double*, int64_t);

}  // namespace spindle::kernels
