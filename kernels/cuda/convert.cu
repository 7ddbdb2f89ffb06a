#include <cuda_bf16.h>

#include "kernels/convert.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"

namespace spindle::kernels {
namespace {

__device__ double load(double v) { return v; }
__device__ double load(float v) { return v; }
__device__ double load(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ T store(double v);
template <> __device__ double store<double>(double v) { return v; }
template <> __device__ float store<float>(double v) { return static_cast<float>(v); }
// Through float, as the CPU does: double -> float -> bf16 rounding must match bit for bit.
template <> __device__ __nv_bfloat16 store<__nv_bfloat16>(double v) { return __float2bfloat16_rn(static_cast<float>(v)); }

template <typename From, typename To>
__global__ void convert_kernel(const From* src, To* dst, int64_t n) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) dst[i] = store<To>(load(src[i]));
}

}  // namespace

template <typename From, typename To>
void convert_cuda(const From* src, To* dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  using DFrom = typename DeviceType<From>::type;
  using DTo = typename DeviceType<To>::type;
  convert_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(reinterpret_cast<const DFrom*>(src),
                                                                  reinterpret_cast<DTo*>(dst), n);
  check_launch("convert_kernel");
}

#define SPINDLE_INSTANTIATE(From, To) \
  template void convert_cuda<From, To>(const From*, To*, int64_t, cudaStream_t);
SPINDLE_INSTANTIATE(double, float)
SPINDLE_INSTANTIATE(double, bfloat16)
SPINDLE_INSTANTIATE(float, double)
SPINDLE_INSTANTIATE(float, bfloat16)
SPINDLE_INSTANTIATE(bfloat16, double)
SPINDLE_INSTANTIATE(bfloat16, float)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
