// Element types on the device: spindle::bfloat16 (host) is stored as __nv_bfloat16;
// kernels compute in float.
#pragma once

#include <cuda_bf16.h>

#include "kernels/bfloat16.h"

namespace spindle::kernels {

template <typename T> struct DeviceType { using type = T; };
template <> struct DeviceType<bfloat16> { using type = __nv_bfloat16; };

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

}  // namespace spindle::kernels
