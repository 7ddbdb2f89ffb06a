#include "kernels/axpy.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"

namespace spindle::kernels {
namespace {

template <typename T>
__global__ void axpy_kernel(float alpha, const T* x, T* y, int64_t n) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) y[i] = from_float<T>(to_float(y[i]) + alpha * to_float(x[i]));
}

}  // namespace

template <typename T>
void axpy_cuda(float alpha, const T* x, T* y, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  using D = typename DeviceType<T>::type;
  axpy_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(alpha, reinterpret_cast<const D*>(x), reinterpret_cast<D*>(y), n);
  check_launch("axpy_kernel");
}

template void axpy_cuda<float>(float, const float*, float*, int64_t, cudaStream_t);
template void axpy_cuda<bfloat16>(float, const bfloat16*, bfloat16*, int64_t, cudaStream_t);

}  // namespace spindle::kernels
