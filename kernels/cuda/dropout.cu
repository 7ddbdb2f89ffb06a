#include <cuda_bf16.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/dropout.h"

namespace spindle::kernels {
namespace {

template <typename T>
__global__ void dropout_kernel(const T* in, T* out, int64_t n, DropoutArgs args, float keep_scale) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    out[i] = from_float<T>(to_float(in[i]) * dropout_factor(args, i, keep_scale));
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T>
void dropout_cuda(const T* in, T* out, int64_t n, DropoutArgs args, cudaStream_t stream) {
  if (n == 0) return;
  const float keep_scale = 1.0f / (1.0f - static_cast<float>(args.p));
  dropout_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(reinterpret_cast<const Device<T>*>(in),
                                                                reinterpret_cast<Device<T>*>(out), n, args, keep_scale);
  check_launch("dropout_kernel");
}

template void dropout_cuda<float>(const float*, float*, int64_t, DropoutArgs, cudaStream_t);
template void dropout_cuda<bfloat16>(const bfloat16*, bfloat16*, int64_t, DropoutArgs, cudaStream_t);

}  // namespace spindle::kernels
