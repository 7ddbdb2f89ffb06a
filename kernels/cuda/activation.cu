#include <cuda_bf16.h>

#include "kernels/activation.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"

namespace spindle::kernels {
namespace {

template <typename T>
__global__ void activation_forward_kernel(const T* x, T* y, int64_t n, Activation kind) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) y[i] = from_float<T>(activation_value(kind, to_float(x[i])));
}

template <typename T>
__global__ void activation_backward_kernel(const T* x, const T* dy, T* dx, int64_t n, Activation kind) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    dx[i] = from_float<T>(to_float(dy[i]) * activation_derivative(kind, to_float(x[i])));
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T>
void activation_forward_cuda(const T* x, T* y, int64_t n, Activation kind, cudaStream_t stream) {
  if (n == 0) return;
  activation_forward_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(reinterpret_cast<const Device<T>*>(x),
                                                                           reinterpret_cast<Device<T>*>(y), n, kind);
  check_launch("activation_forward_kernel");
}

template <typename T>
void activation_backward_cuda(const T* x, const T* dy, T* dx, int64_t n, Activation kind, cudaStream_t stream) {
  if (n == 0) return;
  activation_backward_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(
      reinterpret_cast<const Device<T>*>(x), reinterpret_cast<const Device<T>*>(dy), reinterpret_cast<Device<T>*>(dx),
      n, kind);
  check_launch("activation_backward_kernel");
}

#define SPINDLE_INSTANTIATE(T)                                                                         \
  template void activation_forward_cuda<T>(const T*, T*, int64_t, Activation, cudaStream_t);          \
  template void activation_backward_cuda<T>(const T*, const T*, T*, int64_t, Activation, cudaStream_t);
SPINDLE_INSTANTIATE(float)
SPINDLE_INSTANTIATE(bfloat16)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
