#include <cuda_bf16.h>

#include <algorithm>

#include "kernels/conv1d.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/ordered_row_sums.h"
#include "kernels/cuda/scratch.h"

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

// Forward tiles: each thread makes kStepsPerThread consecutive outputs, so rows whose tile
// is 16-byte aligned are read and written in 16-byte pieces (8 bf16), and the inputs come
// from shared memory once per block instead of width times per output.
constexpr int kForwardThreads = 128;
constexpr int kStepsPerThread = 8;
constexpr int kForwardTile = kForwardThreads * kStepsPerThread;
static_assert(kMaxConvWidth <= kStepsPerThread, "the halo fits one thread's run");

// Grid: (time tiles of kForwardTile, batch * channels). window[i] holds the input at time
// start - kStepsPerThread + i: the tile and, before it, the previous times (or context).
template <typename T>
__global__ void __launch_bounds__(kForwardThreads) conv1d_forward_kernel(const T* x, const float* weight,
                                                                         const float* bias, const T* context, T* y,
                                                                         Conv1dShape shape, bool silu) {
  __shared__ __align__(16) float window[kStepsPerThread + kForwardTile];
  const int64_t row = blockIdx.y;
  const int64_t c = row % shape.channels;
  const int64_t start = static_cast<int64_t>(blockIdx.x) * kForwardTile;
  const int w = shape.width;
  const T* x_row = x + row * shape.length;
  const T* context_row = context ? context + row * (w - 1) : nullptr;
  T* y_row = y + row * shape.length;
  const int64_t first = start + threadIdx.x * kStepsPerThread;  // this thread's outputs: first .. first + 7
  const bool whole = start + kForwardTile <= shape.length && aligned16(x_row + start) && aligned16(y_row + start);

  if (whole) {
    float v[kStepsPerThread];
    load8(x_row + first, v);
    store8(window + kStepsPerThread + threadIdx.x * kStepsPerThread, v);
  } else {
    for (int i = threadIdx.x; i < kForwardTile; i += blockDim.x) {
      window[kStepsPerThread + i] = start + i < shape.length ? to_float(x_row[start + i]) : 0.0f;
    }
  }
  if (threadIdx.x < kStepsPerThread) {
    const int64_t t = start - kStepsPerThread + threadIdx.x;
    window[threadIdx.x] = t >= -(w - 1) ? input_at(x_row, context_row, t, w) : 0.0f;
  }
  __syncthreads();

  // in[m] is the input at time first - kStepsPerThread + m; output first + j reads
  // in[j + m + kStepsPerThread - (w - 1)] for taps m = 0 .. w-1, i.e. in[j + 1 + q] for
  // the right-aligned taps q = m + kStepsPerThread - w (constant register indices).
  float in[2 * kStepsPerThread];
  load8(window + threadIdx.x * kStepsPerThread, in);
  load8(window + threadIdx.x * kStepsPerThread + kStepsPerThread, in + kStepsPerThread);
  const float* weight_row = weight + c * w;
  float tap[kStepsPerThread];
#pragma unroll
  for (int q = 0; q < kStepsPerThread; ++q) {
    const int m = q - (kStepsPerThread - w);
    tap[q] = m >= 0 ? weight_row[m] : 0.0f;
  }
  const float b = bias ? bias[c] : 0.0f;
  float out[kStepsPerThread];
#pragma unroll
  for (int j = 0; j < kStepsPerThread; ++j) {
    float sum = b;
#pragma unroll
    for (int q = 0; q < kStepsPerThread; ++q) {
      if (q >= kStepsPerThread - w) sum += tap[q] * in[j + 1 + q];  // taps in the reference's order
    }
    out[j] = silu ? sum / (1.0f + __expf(-sum)) : sum;
  }
  if (whole) {
    store8(y_row + first, out);
  } else {
#pragma unroll
    for (int j = 0; j < kStepsPerThread; ++j) {
      if (first + j < shape.length) y_row[first + j] = from_float<T>(out[j]);
    }
  }
}

// The backward's work per channel: tiles of kTile steps over every batch row (a row's tiles
// start at -(width-1), so its first tile also makes the context's gradient), split into
// segments of consecutive tiles, one block each.
struct BackwardTiles {
  int64_t per_row, per_segment, segments;
};

// Grid: (segments, channels). Block (g, c) runs segment g of channel c and writes its sums
// of the weight and bias gradients into row g of weight_partial (segments, channels x
// width) and of bias_partial (segments, channels); the rows are then added in segment
// order, so the sums are deterministic without atomics.
template <typename T>
__global__ void conv1d_backward_kernel(const T* x, const float* weight, const float* bias, const T* context,
                                       const T* dy, T* dx, float* weight_partial, float* bias_partial, T* dcontext,
                                       Conv1dShape shape, BackwardTiles tiles, bool silu) {
  __shared__ float dpre[kTile + kMaxConvWidth - 1];
  __shared__ float warp_partials[kMaxConvWidth + 1][kTile / 32];
  const int64_t c = blockIdx.y;
  const int w = shape.width;
  const float* weight_row = weight + c * w;
  const float b = bias ? bias[c] : 0.0f;
  float dweight_local[kMaxConvWidth] = {};
  float dbias_local = 0.0f;

  const int64_t first_tile = blockIdx.x * tiles.per_segment;
  const int64_t end_tile = min(first_tile + tiles.per_segment, shape.batch * tiles.per_row);
  for (int64_t tile = first_tile; tile < end_tile; ++tile) {
    const int64_t row = (tile / tiles.per_row) * shape.channels + c;
    const int64_t start = -(w - 1) + (tile % tiles.per_row) * kTile;
    const T* x_row = x + row * shape.length;
    const T* dy_row = dy + row * shape.length;
    const T* context_row = context ? context + row * (w - 1) : nullptr;
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
  // Block reduction of the w + 1 parameter-gradient sums.
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
  for (int k = 0; k <= kMaxConvWidth; ++k) {
    if (k <= w) {  // unrolled with constant indices: the local sums stay in registers
      const float v = warp_sum(k < w ? dweight_local[k] : dbias_local);
      if (lane == 0) warp_partials[k][warp] = v;
    }
  }
  __syncthreads();
  if (threadIdx.x <= w) {
    float total = 0.0f;
    for (int i = 0; i < kTile / 32; ++i) total += warp_partials[threadIdx.x][i];
    if (threadIdx.x < w) {
      weight_partial[(blockIdx.x * shape.channels + c) * w + threadIdx.x] = total;
    } else {
      bias_partial[blockIdx.x * shape.channels + c] = total;
    }
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T>
void causal_conv1d_forward_cuda(const T* x, const float* weight, const float* bias, const T* context, T* y,
                                Conv1dShape shape, bool silu, cudaStream_t stream) {
  if (shape.batch * shape.channels * shape.length == 0) return;
  const dim3 grid(static_cast<unsigned>((shape.length + kForwardTile - 1) / kForwardTile),
                  static_cast<unsigned>(shape.batch * shape.channels));
  conv1d_forward_kernel<<<grid, kForwardThreads, 0, stream>>>(reinterpret_cast<const Device<T>*>(x), weight, bias,
                                                    reinterpret_cast<const Device<T>*>(context),
                                                    reinterpret_cast<Device<T>*>(y), shape, silu);
  check_launch("conv1d_forward_kernel");
}

// About kBackwardBlocksPerSm blocks per multiprocessor over all channels' segments: one
// block per channel alone leaves the walk over a long sequence latency-bound.
constexpr int64_t kBackwardBlocksPerSm = 8;

template <typename T>
void causal_conv1d_backward_cuda(const T* x, const float* weight, const float* bias, const T* context, const T* dy,
                                 T* dx, float* dweight, float* dbias, T* dcontext, Conv1dShape shape, bool silu,
                                 cudaStream_t stream) {
  if (shape.channels == 0 || shape.batch == 0) return;
  BackwardTiles tiles{};
  tiles.per_row = (shape.length + shape.width - 1 + kTile - 1) / kTile;
  const int64_t total = shape.batch * tiles.per_row;
  if (total == 0) return;  // no steps and no context (length 0, width 1)
  const int64_t wanted = (kBackwardBlocksPerSm * multiprocessor_count() + shape.channels - 1) / shape.channels;
  const int64_t segments = std::clamp<int64_t>(wanted, 1, total);
  tiles.per_segment = (total + segments - 1) / segments;
  tiles.segments = (total + tiles.per_segment - 1) / tiles.per_segment;
  const int64_t weight_width = shape.channels * shape.width;
  Scratch partial(static_cast<size_t>(tiles.segments * (weight_width + shape.channels)) * sizeof(float), stream,
                  "conv1d backward workspace");
  float* weight_partial = partial.get();
  float* bias_partial = weight_partial + tiles.segments * weight_width;
  const dim3 grid(static_cast<unsigned>(tiles.segments), static_cast<unsigned>(shape.channels));
  conv1d_backward_kernel<<<grid, kTile, 0, stream>>>(
      reinterpret_cast<const Device<T>*>(x), weight, bias, reinterpret_cast<const Device<T>*>(context),
      reinterpret_cast<const Device<T>*>(dy), reinterpret_cast<Device<T>*>(dx), weight_partial,
      bias_partial, reinterpret_cast<Device<T>*>(dcontext), shape, tiles, silu);
  check_launch("conv1d_backward_kernel");
  add_ordered_row_sums_cuda(weight_partial, tiles.segments, weight_width, dweight, stream);
  if (dbias) add_ordered_row_sums_cuda(bias_partial, tiles.segments, shape.channels, dbias, stream);
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
