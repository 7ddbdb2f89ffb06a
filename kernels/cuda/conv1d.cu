#include <cuda_bf16.h>

#include "kernels/conv1d.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"

namespace spindle::kernels {
namespace {

constexpr int kTile = 256;  // time steps per block iteration (= threads per block)

// Input at time t of one (batch, channel) row; negative t reads the context or zero.
template <typename T>
__device__ float input_at(const T* x_row, const T* context_row, int64_t t, int width) {
  if (t >= 0) return to_float(x_row[t]);
  return context_row ? to_float(context_row[t + width - 1]) : 0.0f;
}

template <typename T>
__device__ float preactivation(const T* x_row, const T* context_row, const float* weight_row, float bias, int64_t t,
                               int width) {
  float sum = bias;
#pragma unroll
  for (int k = 0; k < kMaxConvWidth; ++k) {
    if (k < width) sum += weight_row[k] * input_at(x_row, context_row, t - (width - 1) + k, width);
  }
  return sum;
}

// Grid: (time tiles, batch * channels). One output per thread.
template <typename T>
__global__ void conv1d_forward_kernel(const T* x, const float* weight, const float* bias, const T* context, T* y,
                                      Conv1dShape shape, bool silu) {
  const int64_t row = blockIdx.y;
  const int64_t c = row % shape.channels;
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= shape.length) return;
  const int w = shape.width;
  const float pre = preactivation(x + row * shape.length, context ? context + row * (w - 1) : nullptr,
                                  weight + c * w, bias ? bias[c] : 0.0f, t, w);
  y[row * shape.length + t] = from_float<T>(silu ? pre / (1.0f + __expf(-pre)) : pre);
}

// One block per channel: it walks every batch row of that channel in tiles of kTile steps,
// so the weight and bias gradients are summed in a fixed order (deterministic, no atomics).
template <typename T>
__global__ void conv1d_backward_kernel(const T* x, const float* weight, const float* bias, const T* context,
                                       const T* dy, T* dx, float* dweight, float* dbias, T* dcontext,
                                       Conv1dShape shape, bool silu) {
  __shared__ float dpre[kTile + kMaxConvWidth - 1];
  __shared__ float partial[kMaxConvWidth + 1][kTile / 32];
  const int64_t c = blockIdx.x;
  const int w = shape.width;
  const float* weight_row = weight + c * w;
  const float b = bias ? bias[c] : 0.0f;
  float dweight_local[kMaxConvWidth] = {};
  float dbias_local = 0.0f;

  for (int64_t batch = 0; batch < shape.batch; ++batch) {
    const int64_t row = batch * shape.channels + c;
    const T* x_row = x + row * shape.length;
    const T* dy_row = dy + row * shape.length;
    const T* context_row = context ? context + row * (w - 1) : nullptr;
    // Tiles start at -(w-1) so that the context's gradient is produced by the first one.
    for (int64_t start = -(w - 1); start < shape.length; start += kTile) {
      // dpre for times start .. start + kTile + w - 2 (what this tile's inputs feed).
      for (int i = threadIdx.x; i < kTile + w - 1; i += blockDim.x) {
        const int64_t t = start + i;
        float grad = 0.0f;
        if (t >= 0 && t < shape.length) {
          grad = to_float(dy_row[t]);
          if (silu) {
            const float pre = preactivation(x_row, context_row, weight_row, b, t, w);
            const float s = 1.0f / (1.0f + __expf(-pre));
            grad *= s * (1.0f + pre * (1.0f - s));
          }
        }
        dpre[i] = grad;
      }
      __syncthreads();
      // Input time s = start + threadIdx.x feeds outputs s + (w-1) - k.
      const int64_t s = start + threadIdx.x;
      if (s < shape.length) {
        float sum = 0.0f;
#pragma unroll
        for (int k = 0; k < kMaxConvWidth; ++k) {
          if (k < w) sum += weight_row[k] * dpre[threadIdx.x + (w - 1) - k];
        }
        if (s >= 0) {
          dx[row * shape.length + s] = from_float<T>(sum);
        } else if (dcontext) {
          dcontext[row * (w - 1) + s + w - 1] = from_float<T>(sum);
        }
      }
      // Output time t = start + (w-1) + threadIdx.x contributes to the parameter gradients.
      const int64_t t = start + (w - 1) + threadIdx.x;
      if (t < shape.length) {
        const float grad = dpre[threadIdx.x + w - 1];
        dbias_local += grad;
#pragma unroll
        for (int k = 0; k < kMaxConvWidth; ++k) {
          if (k < w) dweight_local[k] += grad * input_at(x_row, context_row, t - (w - 1) + k, w);
        }
      }
      __syncthreads();
    }
  }
  // Block reduction of the w + 1 parameter-gradient sums.
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
  for (int k = 0; k <= kMaxConvWidth; ++k) {
    if (k <= w) {  // unrolled with constant indices: the local sums stay in registers
      const float v = warp_sum(k < w ? dweight_local[k] : dbias_local);
      if (lane == 0) partial[k][warp] = v;
    }
  }
  __syncthreads();
  if (threadIdx.x <= w) {
    float total = 0.0f;
    for (int i = 0; i < kTile / 32; ++i) total += partial[threadIdx.x][i];
    if (threadIdx.x < w) {
      dweight[c * w + threadIdx.x] += total;
    } else if (dbias) {
      dbias[c] += total;
    }
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T>
void causal_conv1d_forward_cuda(const T* x, const float* weight, const float* bias, const T* context, T* y,
                                Conv1dShape shape, bool silu, cudaStream_t stream) {
  if (shape.batch * shape.channels * shape.length == 0) return;
  const dim3 grid(static_cast<unsigned>((shape.length + kTile - 1) / kTile),
                  static_cast<unsigned>(shape.batch * shape.channels));
  conv1d_forward_kernel<<<grid, kTile, 0, stream>>>(reinterpret_cast<const Device<T>*>(x), weight, bias,
                                                    reinterpret_cast<const Device<T>*>(context),
                                                    reinterpret_cast<Device<T>*>(y), shape, silu);
  check_launch("conv1d_forward_kernel");
}

template <typename T>
void causal_conv1d_backward_cuda(const T* x, const float* weight, const float* bias, const T* context, const T* dy,
                                 T* dx, float* dweight, float* dbias, T* dcontext, Conv1dShape shape, bool silu,
                                 cudaStream_t stream) {
  if (shape.channels == 0) return;
  conv1d_backward_kernel<<<static_cast<unsigned>(shape.channels), kTile, 0, stream>>>(
      reinterpret_cast<const Device<T>*>(x), weight, bias, reinterpret_cast<const Device<T>*>(context),
      reinterpret_cast<const Device<T>*>(dy), reinterpret_cast<Device<T>*>(dx), dweight, dbias,
      reinterpret_cast<Device<T>*>(dcontext), shape, silu);
  check_launch("conv1d_backward_kernel");
}

#define SPINDLE_INSTANTIATE(T)                                                                                    \
  template void causal_conv1d_forward_cuda<T>(const T*, const float*, const float*, const T*, T*, Conv1dShape,    \
                                              bool, cudaStream_t);                                                \
  template void causal_conv1d_backward_cuda<T>(const T*, const float*, const float*, const T*, const T*, T*,      \
                                               float*, float*, T*, Conv1dShape, bool, cudaStream_t);
SPINDLE_INSTANTIATE(float)
SPINDLE_INSTANTIATE(bfloat16)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
