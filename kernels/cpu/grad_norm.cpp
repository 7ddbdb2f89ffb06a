#include "kernels/grad_norm.h"

namespace spindle::kernels {

template <typename T>
void add_sum_of_squares_cpu(const T* g, int64_t n, KahanSum& total) {
  for (int64_t i = 0; i < n; ++i) {
    const double term = static_cast<double>(g[i]) * static_cast<double>(g[i]) - total.compensation;
    const double sum = total.sum + term;
    total.compensation = (sum - total.sum) - term;
    total.sum = sum;
  }
}

template <typename T>
void scale_cpu(T* g, int64_t n, double factor) {
  for (int64_t i = 0; i < n; ++i) g[i] = static_cast<T>(g[i] * factor);
}

template void add_sum_of_squares_cpu<float>(const float*, int64_t, KahanSum&);
template void add_sum_of_squares_cpu<double>(const double*, int64_t, KahanSum&);
template void scale_cpu<float>(float*, int64_t, double);
template void scale_cpu<double>(double*, int64_t, double);

}  // namespace spindle::kernels
