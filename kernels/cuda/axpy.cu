#include "kernels/axpy.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"

namespace spindle::kernels {
namespace {

template <typename T>
__global__ void axpy_kernel(float alpha, const T* x, T* y, int64_t n) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) y[i] = from_float<T>(to_float(y[i]) + alpha * to_float(x[i]));
}

// The same in groups of 8 elements (16-byte accesses); x and y 16-byte aligned.
template <typename T>
__global__ void axpy_groups_kernel(float alpha, const T* x, T* y, int64_t groups) {
  for (int64_t g = grid_index(); g < groups; g += grid_stride()) {
    float a[8], b[8];
    load8(x + 8 * g, a);
    load8(y + 8 * g, b);
#pragma unroll
    for (int i = 0; i < 8; ++i) b[i] += alpha * a[i];
    store8(y + 8 * g, b);
  }
}

}  // namespace

template <typename T>
void axpy_cuda(float alpha, const T* x, T* y, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  using D = typename DeviceType<T>::type;
  const auto* xd = reinterpret_cast<const D*>(x);
  auto* yd = reinterpret_cast<D*>(y);
  int64_t done = 0;
  if (reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(y) % 16 == 0 && n >= 8) {
    const int64_t groups = n / 8;
    axpy_groups_kernel<<<grid_for(groups), kThreadsPerBlock, 0, stream>>>(alpha, xd, yd, groups);
    check_launch("axpy_groups_kernel");
    done = groups * 8;
  }
  if (done < n) {
    axpy_kernel<<<grid_for(n - done), kThreadsPerBlock, 0, stream>>>(alpha, xd + done, yd + done, n - done);
    check_launch("axpy_kernel");
  }
}

template void axpy_cuda<float>(float, const float*, float*, int64_t, cudaStream_t);
template void axpy_cuda<bfloat16>(float, const bfloat16*, bfloat16*, int64_t, cudaStream_t);

}  // namespace spindle::kernels
