#include "kernels/activation.h"

namespace spindle::kernels {

template <typename T>
void activation_forward_cpu(const T* x, T* y, int64_t n, Activation kind) {
  for (int64_t i = 0; i < n; ++i) y[i] = activation_value(kind, x[i]);
}

template <typename T>
void activation_backward_cpu(const T* x, const T* dy, T* dx, int64_t n, Activation kind) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * activation_derivative(kind, x[i]);
}

template void activation_forward_cpu<float>(const float*, float*, int64_t, Activation);
template void activation_forward_cpu<double>(const double*, double*, int64_t, Activation);
template void activation_backward_cpu<float>(const float*, const float*, float*, int64_t, Activation);
template void activation_backward_cpu<double>(const double*, const double*, double*, int64_t, Activation);

}  // namespace spindle::kernels
