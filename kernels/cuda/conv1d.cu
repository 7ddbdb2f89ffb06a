#include <cuda_bf16.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "kernels/conv1d.h"
#include "kernels/error.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/ordered_row_sums.h"
#include "kernels/cuda/scratch.h"

namespace spindle::kernels {
namespace {

// Input at time t of one (batch, channel) row; negative t reads the context or zero.
template <typename T>
__device__ float input_at(const T* x_row, const T* context_row, int64_t t, int width) {
  if (t >= 0) return to_float(x_row[t]);
  return context_row ? to_float(context_row[t + width - 1]) : 0.0f;
}

// Tiles of both passes: each thread handles kStepsPerThread consecutive times, so rows whose
// tile is 16-byte aligned are read and written in 16-byte pieces (8 bf16), and the inputs
// come from shared memory once per block instead of width times per output.
constexpr int kTileThreads = 128;
constexpr int kStepsPerThread = 8;
constexpr int kTileSteps = kTileThreads * kStepsPerThread;
static_assert(kMaxConvWidth <= kStepsPerThread, "the halo fits one thread's run");

// window[i] = the input at time start - kStepsPerThread + i for i < kStepsPerThread +
// kTileSteps: a tile and the times before it (context, or zero before the row's start; zero
// past the row's end). whole: the tile lies in the row and is 16-byte aligned.
template <typename T>
__device__ void load_tile_window(float* window, const T* x_row, const T* context_row, int64_t start, bool whole,
                                 const Conv1dShape& shape) {
  if (whole) {
    float v[kStepsPerThread];
    load8(x_row + start + threadIdx.x * kStepsPerThread, v);
    store8(window + kStepsPerThread + threadIdx.x * kStepsPerThread, v);
  } else {
    for (int i = threadIdx.x; i < kTileSteps; i += blockDim.x) {
      window[kStepsPerThread + i] = start + i < shape.length ? to_float(x_row[start + i]) : 0.0f;
    }
  }
  if (threadIdx.x < kStepsPerThread) {
    const int64_t t = start - kStepsPerThread + threadIdx.x;
    window[threadIdx.x] = t >= -(shape.width - 1) ? input_at(x_row, context_row, t, shape.width) : 0.0f;
  }
}

// A thread's run of kStepsPerThread times from `first` of a row: in 16-byte accesses
// (load8 / store8) where the tile is whole, else element by element (zero past the row's
// end when loading).
template <typename T>
__device__ __forceinline__ void load_run(const T* row, int64_t first, bool whole, int64_t length,
                                         float (&v)[kStepsPerThread]) {
  if (whole) {
    load8(row + first, v);
  } else {
#pragma unroll
    for (int j = 0; j < kStepsPerThread; ++j) v[j] = first + j < length ? to_float(row[first + j]) : 0.0f;
  }
}

template <typename T>
__device__ __forceinline__ void store_run(T* row, int64_t first, bool whole, int64_t length,
                                          const float (&v)[kStepsPerThread]) {
  if (whole) {
    store8(row + first, v);
  } else {
#pragma unroll
    for (int j = 0; j < kStepsPerThread; ++j) {
      if (first + j < length) row[first + j] = from_float<T>(v[j]);
    }
  }
}

// Taps of one channel, right-aligned to a thread's run: tap[q] is weight m = q -
// (kStepsPerThread - kWidth) for q >= kStepsPerThread - kWidth (zero below), so that with a
// run's window in[i] (the input at time first - kStepsPerThread + i) output first + j reads
// in[j + 1 + q] at tap q: constant register indices throughout.
template <int kWidth>
__device__ __forceinline__ void load_taps(const float* weight_row, float (&tap)[kStepsPerThread]) {
#pragma unroll
  for (int q = 0; q < kStepsPerThread; ++q) {
    tap[q] = q >= kStepsPerThread - kWidth ? weight_row[q - (kStepsPerThread - kWidth)] : 0.0f;
  }
}

// The preactivation of output j of a run, taps in the reference's order.
template <int kWidth>
__device__ __forceinline__ float preactivation(const float (&in)[2 * kStepsPerThread],
                                               const float (&tap)[kStepsPerThread], float bias, int j) {
  float sum = bias;
#pragma unroll
  for (int q = kStepsPerThread - kWidth; q < kStepsPerThread; ++q) sum += tap[q] * in[j + 1 + q];
  return sum;
}

// Grid: (time tiles of kTileSteps, batch * channels); the width is a template argument
// (launch_for_width) so that every tap loop has constant bounds.
template <typename T, int kWidth>
__global__ void __launch_bounds__(kTileThreads) conv1d_forward_kernel(const T* x, const float* weight,
                                                                         const float* bias, const T* context, T* y,
                                                                         Conv1dShape shape, bool silu) {
  __shared__ __align__(16) float window[kStepsPerThread + kTileSteps];
  const int64_t row = blockIdx.y;
  const int64_t c = row % shape.channels;
  const int64_t start = static_cast<int64_t>(blockIdx.x) * kTileSteps;
  const T* x_row = x + row * shape.length;
  const T* context_row = context ? context + row * (kWidth - 1) : nullptr;
  T* y_row = y + row * shape.length;
  const int64_t first = start + threadIdx.x * kStepsPerThread;  // this thread's outputs: first .. first + 7
  const bool whole = start + kTileSteps <= shape.length && aligned16(x_row + start) && aligned16(y_row + start);

  load_tile_window(window, x_row, context_row, start, whole, shape);
  __syncthreads();

  float in[2 * kStepsPerThread];
  load8(window + threadIdx.x * kStepsPerThread, in);
  load8(window + threadIdx.x * kStepsPerThread + kStepsPerThread, in + kStepsPerThread);
  float tap[kStepsPerThread];
  load_taps<kWidth>(weight + c * kWidth, tap);
  const float b = bias ? bias[c] : 0.0f;
  float out[kStepsPerThread];
#pragma unroll
  for (int j = 0; j < kStepsPerThread; ++j) {
    const float pre = preactivation<kWidth>(in, tap, b, j);
    out[j] = silu ? pre * fast_sigmoid(pre) : pre;
  }
  store_run(y_row, first, whole, shape.length, out);
}

// Backward tiles: a block per (time tile of kTileSteps, row), each thread owning
// kStepsPerThread consecutive times, as in the forward. The block recomputes dpre = dy x
// silu'(pre) for its times and the width-1 after them (the inputs it owns feed those
// outputs), writes dx (and, in a row's first tile, the context's gradient), and sums its
// weight and bias gradients into row (batch entry x tiles + tile) of the partials, which
// are then added in row order (deterministic, no atomics).
template <typename T, int kWidth>
__global__ void __launch_bounds__(kTileThreads) conv1d_backward_kernel(const T* x, const float* weight,
                                                                          const float* bias, const T* context,
                                                                          const T* dy, T* dx, float* weight_partial,
                                                                          float* bias_partial, T* dcontext,
                                                                          Conv1dShape shape, bool silu) {
  constexpr int w = kWidth, kFirstTap = kStepsPerThread - kWidth;
  // inputs[i]: x at time start - kStepsPerThread + i; dpre[i]: dpre at time start + i.
  __shared__ __align__(16) float inputs[kTileSteps + 2 * kStepsPerThread];
  __shared__ __align__(16) float dpre[kTileSteps + kStepsPerThread];
  __shared__ float warp_partials[kWidth + 1][kTileThreads / 32];
  const int64_t row = blockIdx.y, c = row % shape.channels, b_index = row / shape.channels;
  const int64_t start = static_cast<int64_t>(blockIdx.x) * kTileSteps;
  const T* x_row = x + row * shape.length;
  const T* dy_row = dy + row * shape.length;
  const T* context_row = context ? context + row * (w - 1) : nullptr;
  T* dx_row = dx + row * shape.length;
  const int64_t first = start + threadIdx.x * kStepsPerThread;  // this thread's times: first .. first + 7
  const bool whole = start + kTileSteps <= shape.length && aligned16(x_row + start) && aligned16(dy_row + start) &&
                     aligned16(dx_row + start);

  load_tile_window(inputs, x_row, context_row, start, whole, shape);
  if (threadIdx.x < kStepsPerThread) {  // and the times after the tile
    const int64_t after = start + kTileSteps + threadIdx.x;
    inputs[kStepsPerThread + kTileSteps + threadIdx.x] = after < shape.length ? to_float(x_row[after]) : 0.0f;
  }
  __syncthreads();

  float tap[kStepsPerThread];
  load_taps<kWidth>(weight + c * w, tap);
  const float b = bias ? bias[c] : 0.0f;
  auto dpre_of = [&](float pre, float grad) {
    if (!silu) return grad;
    const float s = fast_sigmoid(pre);
    return grad * s * (1.0f + pre * (1.0f - s));
  };
  const int own = threadIdx.x * kStepsPerThread;  // tile offset of this thread's first time
  // x at times first - kStepsPerThread ..: read here and again for the weight gradients
  // (two shared-memory reads instead of 16 registers held across the dx pass).
  auto load_window = [&](float (&window)[2 * kStepsPerThread]) {
    load8(inputs + own, window);
    load8(inputs + own + kStepsPerThread, window + kStepsPerThread);
  };
  float window[2 * kStepsPerThread];
  load_window(window);
  float grads[kStepsPerThread];
  load_run(dy_row, first, whole, shape.length, grads);
#pragma unroll
  for (int j = 0; j < kStepsPerThread; ++j) grads[j] = dpre_of(preactivation<kWidth>(window, tap, b, j), grads[j]);
  store8(dpre + own, grads);
  if (threadIdx.x < kStepsPerThread) {  // dpre of the times after the tile that its inputs feed
    const int64_t t = start + kTileSteps + threadIdx.x;
    float pre = b;
#pragma unroll
    for (int q = kFirstTap; q < kStepsPerThread; ++q) pre += tap[q] * inputs[kTileSteps + threadIdx.x + 1 + q];
    const bool fed = static_cast<int>(threadIdx.x) < w - 1 && t < shape.length;
    dpre[kTileSteps + threadIdx.x] = fed ? dpre_of(pre, to_float(dy_row[t])) : 0.0f;
  }
  __syncthreads();

  // Input time s feeds outputs s + q (q = 0 .. w-1) through weight w-1-q, i.e. right-aligned
  // tap kStepsPerThread-1-q: dx(s) = sum_q tap[kStepsPerThread-1-q] dpre(s + q).
  float later[2 * kStepsPerThread];
  load8(dpre + own, later);
  load8(dpre + own + kStepsPerThread, later + kStepsPerThread);
  float out[kStepsPerThread];
#pragma unroll
  for (int j = 0; j < kStepsPerThread; ++j) {
    float sum = 0.0f;
#pragma unroll
    for (int q = w - 1; q >= 0; --q) sum += tap[kStepsPerThread - 1 - q] * later[j + q];
    out[j] = sum;
  }
  store_run(dx_row, first, whole, shape.length, out);
  // The context's gradient: input times -(w-1) .. -1, in the row's first tile.
  if (dcontext && start == 0 && static_cast<int>(threadIdx.x) < w - 1) {
    const int s = threadIdx.x - (w - 1);
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < w; ++k) {
      const int at = s + (w - 1) - k;
      if (at >= 0) sum += tap[kFirstTap + k] * dpre[at];
    }
    dcontext[row * (w - 1) + threadIdx.x] = from_float<T>(sum);
  }

  // Weight and bias gradients of the times this thread owns: dpre(t) x(t - (w-1) + m), kept
  // per right-aligned tap q = m + kFirstTap (window[j + 1 + q]: constant indices).
  load_window(window);
  float dweight_local[kStepsPerThread] = {}, dbias_local = 0.0f;
#pragma unroll
  for (int j = 0; j < kStepsPerThread; ++j) {
    const float grad = later[j];  // zero past the row's end
    dbias_local += grad;
#pragma unroll
    for (int q = kFirstTap; q < kStepsPerThread; ++q) dweight_local[q] += grad * window[j + 1 + q];
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
  for (int m = 0; m <= w; ++m) {  // tap m, then the bias
    const float v = warp_sum(m < w ? dweight_local[kFirstTap + m] : dbias_local);
    if (lane == 0) warp_partials[m][warp] = v;
  }
  __syncthreads();
  if (threadIdx.x <= w) {
    float total = 0.0f;
    for (int i = 0; i < kTileThreads / 32; ++i) total += warp_partials[threadIdx.x][i];
    const int64_t partial_row = b_index * gridDim.x + blockIdx.x;
    if (threadIdx.x < w) {
      weight_partial[(partial_row * shape.channels + c) * w + threadIdx.x] = total;
    } else {
      bias_partial[partial_row * shape.channels + c] = total;
    }
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

// Both kernels take a (batch, channel) row per grid y index.
void check_rows(const Conv1dShape& shape) {
  SPINDLE_CHECK(shape.batch * shape.channels <= 65535, "causal_conv1d (CUDA)",
                "batch x channels = " + std::to_string(shape.batch * shape.channels) + " rows",
                "at most 65535 (the grid's y dimension)");
}

// Calls launch(std::integral_constant<int, width>{}) for a width of 1 .. kMaxConvWidth (the
// ops check it).
template <typename Launch, int... kWidths>
void launch_for_width(int width, Launch&& launch, std::integer_sequence<int, kWidths...>) {
  ((width == kWidths + 1 ? (launch(std::integral_constant<int, kWidths + 1>{}), true) : false) || ...);
}
template <typename Launch>
void launch_for_width(int width, Launch&& launch) {
  SPINDLE_CHECK(width >= 1 && width <= kMaxConvWidth, "causal_conv1d (CUDA)", "width " + std::to_string(width),
                "1 to " + std::to_string(kMaxConvWidth));
  launch_for_width(width, launch, std::make_integer_sequence<int, kMaxConvWidth>{});
}

}  // namespace

template <typename T>
void causal_conv1d_forward_cuda(const T* x, const float* weight, const float* bias, const T* context, T* y,
                                Conv1dShape shape, bool silu, cudaStream_t stream) {
  if (shape.batch * shape.channels * shape.length == 0) return;
  check_rows(shape);
  const dim3 grid(static_cast<unsigned>((shape.length + kTileSteps - 1) / kTileSteps),
                  static_cast<unsigned>(shape.batch * shape.channels));
  launch_for_width(shape.width, [&](auto width) {
    conv1d_forward_kernel<Device<T>, width()><<<grid, kTileThreads, 0, stream>>>(
        reinterpret_cast<const Device<T>*>(x), weight, bias, reinterpret_cast<const Device<T>*>(context),
        reinterpret_cast<Device<T>*>(y), shape, silu);
  });
  check_launch("conv1d_forward_kernel");
}

template <typename T>
void causal_conv1d_backward_cuda(const T* x, const float* weight, const float* bias, const T* context, const T* dy,
                                 T* dx, float* dweight, float* dbias, T* dcontext, Conv1dShape shape, bool silu,
                                 cudaStream_t stream) {
  if (shape.channels == 0 || shape.batch == 0) return;
  if (shape.length == 0 && shape.width == 1) return;  // no steps and no context
  check_rows(shape);
  // One tile at least: with no steps, the context's gradient (zero) is still written.
  const int64_t tiles = std::max<int64_t>((shape.length + kTileSteps - 1) / kTileSteps, 1);
  const int64_t partial_rows = shape.batch * tiles, weight_width = shape.channels * shape.width;
  Scratch partial(static_cast<size_t>(partial_rows * (weight_width + shape.channels)) * sizeof(float), stream,
                  "conv1d backward workspace");
  float* weight_partial = partial.get();
  float* bias_partial = weight_partial + partial_rows * weight_width;
  const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(shape.batch * shape.channels));
  launch_for_width(shape.width, [&](auto width) {
    conv1d_backward_kernel<Device<T>, width()><<<grid, kTileThreads, 0, stream>>>(
        reinterpret_cast<const Device<T>*>(x), weight, bias, reinterpret_cast<const Device<T>*>(context),
        reinterpret_cast<const Device<T>*>(dy), reinterpret_cast<Device<T>*>(dx), weight_partial, bias_partial,
        reinterpret_cast<Device<T>*>(dcontext), shape, silu);
  });
  check_launch("conv1d_backward_kernel");
  add_ordered_row_sums_cuda(weight_partial, partial_rows, weight_width, dweight, stream);
  if (dbias) add_ordered_row_sums_cuda(bias_partial, partial_rows, shape.channels, dbias, stream);
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
