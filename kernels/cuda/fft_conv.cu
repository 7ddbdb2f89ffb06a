#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/fft_plan_cache.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/fft_conv.h"

namespace spindle::kernels {
namespace {

// Unless FftConvShape::channels_per_chunk says otherwise, channels are processed in chunks
// whose scratch (padded real rows and their spectra) stays under this size, so that lengths of 2^22 and more with hundreds of channels fit beside
// their tensors; a chunk still holds enough rows to keep the GPU busy.
constexpr size_t kChunkBytes = size_t{4} << 30;

// One chunk of channels [first, first + count) of the whole problem. Every row (of u, dy or
// a kernel) is transformed at length n = 2L: padded with zeros into a dense real row of n
// floats, transformed out of place into `bins` = L + 1 complex values, and transformed back
// into a real row of n floats (the first L of which are kept).
//
// Rows of a chunk, in order: `tensors` blocks of activation rows (batch * count each, batch
// entry major: local row b * count + j is global row b * channels + first + j), then `count`
// kernel rows (two-sided kernels k2 of channels first .. first + count - 1).
struct Chunk {
  int64_t length, bins, batch, channels, first, count;
  __host__ __device__ int64_t n() const { return 2 * length; }
  __host__ __device__ int64_t activation_rows() const { return batch * count; }
  // Global row (b * channels + c) of local activation row `local` of one tensor block.
  __device__ int64_t global_row(int64_t local) const {
    return (local / count) * channels + first + local % count;
  }
};

constexpr int kThreads = 256;
constexpr int64_t kMaxTiles = 65535;  // gridDim.y limit; kernels loop over the rest

constexpr size_t align_up(size_t bytes) { return (bytes + 255) / 256 * 256; }

// Grid (rows, tiles along a row of `count` elements); blocks loop when count needs more tiles.
dim3 row_grid(int64_t rows, int64_t count) {
  const int64_t tiles = std::min<int64_t>((count + kThreads - 1) / kThreads, kMaxTiles);
  return dim3(static_cast<unsigned>(rows), static_cast<unsigned>(std::max<int64_t>(tiles, 1)));
}

__device__ __forceinline__ int64_t row_start() { return static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t row_stride() { return static_cast<int64_t>(gridDim.y) * blockDim.x; }

// The transform inputs of a chunk: `tensors` (1 or 2) activation blocks, from `first` and
// then `second`, and the two-sided kernels built from k_fwd and k_bwd (null: causal).
template <typename T>
struct PadSources {
  const T* first;
  const T* second;
  int tensors;
  const float* k_fwd;
  const float* k_bwd;
};

// W consecutive elements as floats. W = 4 moves them in one 16-byte (float) or 8-byte
// (bf16) access: the caller guarantees that alignment (vector_width).
template <int W>
struct Floats {
  float v[W];
};

__device__ __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ float4 load4(const __nv_bfloat16* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
  const float2 b = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
  return make_float4(a.x, a.y, b.x, b.y);
}
__device__ __forceinline__ void store4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }
__device__ __forceinline__ void store4(__nv_bfloat16* p, float4 v) {
  const __nv_bfloat162 a = __floats2bfloat162_rn(v.x, v.y), b = __floats2bfloat162_rn(v.z, v.w);
  *reinterpret_cast<uint2*>(p) = make_uint2(*reinterpret_cast<const unsigned*>(&a), *reinterpret_cast<const unsigned*>(&b));
}

template <int W, typename T>
__device__ __forceinline__ Floats<W> load_floats(const T* p) {
  Floats<W> r;
  if constexpr (W == 4) {
    const float4 v = load4(p);
    r = {{v.x, v.y, v.z, v.w}};
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) r.v[i] = to_float(p[i]);
  }
  return r;
}

template <int W, typename T>
__device__ __forceinline__ void store_floats(T* p, const Floats<W>& f) {
  if constexpr (W == 4) {
    store4(p, make_float4(f.v[0], f.v[1], f.v[2], f.v[3]));
  } else {
#pragma unroll
    for (int i = 0; i < W; ++i) p[i] = from_float<T>(f.v[i]);
  }
}

// 4 when every row of the call starts 16-byte aligned (L a multiple of 4 and every pointer
// aligned), else 1.
int vector_width(int64_t length, std::initializer_list<const void*> pointers) {
  if (length % 4 != 0) return 1;
  for (const void* p : pointers) {
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return 1;
  }
  return 4;
}

// Grid (chunk rows, time tiles of W-element groups): writes every transform input row,
// padded to n, W elements per access.
template <typename T, int W>
__global__ void pad_kernel(PadSources<T> src, float* reals, Chunk chunk) {
  const int64_t row = blockIdx.x, L = chunk.length, n = chunk.n();
  float* out = reals + row * n;
  const int64_t activation_rows = chunk.activation_rows();
  const Floats<W> zero{};
  if (row < src.tensors * activation_rows) {
    const T* tensor = row < activation_rows ? src.first : src.second;
    const T* in = tensor + chunk.global_row(row % activation_rows) * L;
    for (int64_t t = W * row_start(); t < n; t += W * row_stride()) {
      store_floats<W>(out + t, t < L ? load_floats<W>(in + t) : zero);
    }
  } else {
    const int64_t c = chunk.first + row - src.tensors * activation_rows;
    const float* forward = src.k_fwd + c * L;
    const float* backward = src.k_bwd ? src.k_bwd + c * L : nullptr;
    for (int64_t t = W * row_start(); t < n; t += W * row_stride()) {
      Floats<W> v = zero;
      if (t < L) {
        v = load_floats<W>(forward + t);
      } else if (backward) {
        // out[t + i] = backward[2L - 1 - t - i]: the group backward[2L - W - t ..] reversed.
        const Floats<W> reversed = load_floats<W>(backward + 2 * L - W - t);
#pragma unroll
        for (int i = 0; i < W; ++i) v.v[i] = reversed.v[W - 1 - i];
      }
      store_floats<W>(out + t, v);
    }
  }
}

template <typename T>
void launch_pad(const PadSources<T>& sources, float* reals, const Chunk& chunk, int64_t rows, int width,
                cudaStream_t stream) {
  if (width == 4) {
    pad_kernel<T, 4><<<row_grid(rows, chunk.n() / 4), kThreads, 0, stream>>>(sources, reals, chunk);
  } else {
    pad_kernel<T, 1><<<row_grid(rows, chunk.n()), kThreads, 0, stream>>>(sources, reals, chunk);
  }
  check_launch("pad_kernel");
}

__device__ __forceinline__ float2 cmul(float2 a, float2 b) { return {a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x}; }
// conj(a) * b
__device__ __forceinline__ float2 cmul_conj(float2 a, float2 b) { return {a.x * b.x + a.y * b.y, a.x * b.y - a.y * b.x}; }

// The skip term D u is a kernel with D at lag 0, whose spectrum is D at every frequency:
// the multiplies below add D (0 when null) to the kernel's spectrum, so the inverse
// transform returns conv + D u and the crop only converts.
__device__ __forceinline__ float skip_weight(const float* D, const Chunk& chunk, int64_t j) {
  return D ? D[chunk.first + j] : 0.0f;
}

// Grid (chunk channels, frequency tiles): U[b, j] *= (K[j] + D[j]) / n for every batch entry
// b, with the u spectra in the first activation block and the kernel spectra after it.
__global__ void multiply_kernel(float2* spectra, const float* D, Chunk chunk, float scale) {
  const int64_t j = blockIdx.x;
  const float2* k_spectra = spectra + chunk.activation_rows() * chunk.bins;
  const float d = skip_weight(D, chunk, j);
  for (int64_t f = row_start(); f < chunk.bins; f += row_stride()) {
    float2 k = k_spectra[j * chunk.bins + f];
    k = {(k.x + d) * scale, k.y * scale};
    for (int64_t b = 0; b < chunk.batch; ++b) {
      float2& u = spectra[(b * chunk.count + j) * chunk.bins + f];
      u = cmul(u, k);
    }
  }
}

// Grid (chunk channels, frequency tiles), spectra blocks dy, u, k. For every b:
// DU[b, j] = conj(K[j] + D[j]) DY[b, j] / n (written over U[b, j]); then
// K[j] = sum_b conj(U[b, j]) DY[b, j] / n, summed in batch order.
__global__ void backward_spectra_kernel(float2* spectra, const float* D, Chunk chunk, float scale) {
  const int64_t j = blockIdx.x, block = chunk.activation_rows() * chunk.bins;
  const float2* dy_spectra = spectra;
  float2* u_spectra = spectra + block;
  float2* k_spectra = spectra + 2 * block;
  const float d = skip_weight(D, chunk, j);
  for (int64_t f = row_start(); f < chunk.bins; f += row_stride()) {
    const float2 kernel = k_spectra[j * chunk.bins + f], k = {kernel.x + d, kernel.y};
    float2 dk = {0.0f, 0.0f};
    for (int64_t b = 0; b < chunk.batch; ++b) {
      const int64_t at = (b * chunk.count + j) * chunk.bins + f;
      const float2 dy = dy_spectra[at], u = u_spectra[at];
      const float2 term = cmul_conj(u, dy);
      dk = {dk.x + term.x, dk.y + term.y};
      const float2 du = cmul_conj(k, dy);
      u_spectra[at] = {du.x * scale, du.y * scale};
    }
    k_spectra[j * chunk.bins + f] = {dk.x * scale, dk.y * scale};
  }
}

// Grid (chunk activation rows, time tiles of W-element groups): out[t] = conv[t] for t < L,
// conv being the chunk's inverse-transformed rows (the skip term is in them already).
template <typename T, int W>
__global__ void crop_kernel(const float* conv, T* out, Chunk chunk) {
  const int64_t row = blockIdx.x, L = chunk.length;
  const float* in = conv + row * chunk.n();
  T* target = out + chunk.global_row(row) * L;
  for (int64_t t = W * row_start(); t < L; t += W * row_stride()) store_floats<W>(target + t, load_floats<W>(in + t));
}

template <typename T>
void launch_crop(const float* conv, T* out, const Chunk& chunk, int64_t rows, int width, cudaStream_t stream) {
  if (width == 4) {
    crop_kernel<T, 4><<<row_grid(rows, chunk.length / 4), kThreads, 0, stream>>>(conv, out, chunk);
  } else {
    crop_kernel<T, 1><<<row_grid(rows, chunk.length), kThreads, 0, stream>>>(conv, out, chunk);
  }
  check_launch("crop_kernel");
}

// Grid (chunk channels, time tiles): dk_fwd = dk2[:L], dk_bwd[m] = dk2[2L - 1 - m].
__global__ void kernel_gradient_kernel(const float* dk2, float* dk_fwd, float* dk_bwd, Chunk chunk) {
  const int64_t j = blockIdx.x, c = chunk.first + j, L = chunk.length;
  const float* in = dk2 + j * chunk.n();
  for (int64_t t = row_start(); t < L; t += row_stride()) {
    dk_fwd[c * L + t] = in[t];
    if (dk_bwd) dk_bwd[c * L + t] = in[2 * L - 1 - t];
  }
}

constexpr int kReduceThreads = 1024;

// One block per channel: dD[c] += sum over batch and time of dy * u, in a fixed order.
template <typename T>
__global__ void skip_gradient_kernel(const T* u, const T* dy, float* dD, int64_t batch, int64_t channels,
                                     int64_t length) {
  const int64_t c = blockIdx.x;
  float sum = 0.0f;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t row = (b * channels + c) * length;
    for (int64_t t = threadIdx.x; t < length; t += blockDim.x) sum += to_float(dy[row + t]) * to_float(u[row + t]);
  }
  const float total = block_sum(sum);
  if (threadIdx.x == 0) dD[c] += total;
}

template <typename T> using Device = typename DeviceType<T>::type;

// How a pass splits the channels: `tensors` activation tensors are transformed per chunk
// (forward: u; backward: dy and u) beside the kernels; `inverse_tensors` blocks (activation
// blocks, plus the kernel block in the backward pass) come back through the inverse.
struct Pass {
  int tensors;
  bool inverse_kernels;
};
constexpr Pass kForwardPass{1, false};
constexpr Pass kBackwardPass{2, true};

int64_t transform_rows(FftConvShape s, Pass pass, int64_t count) { return (pass.tensors * s.batch + 1) * count; }
int64_t inverse_rows(FftConvShape s, Pass pass, int64_t count) {
  return s.batch * count + (pass.inverse_kernels ? count : 0);
}

size_t scratch_bytes(FftConvShape s, int64_t rows) {
  const int64_t L = s.length;
  return align_up(static_cast<size_t>(rows * (L + 1)) * sizeof(float2)) +
         align_up(static_cast<size_t>(rows * 2 * L) * sizeof(float));
}

int64_t chunk_channels(FftConvShape s, Pass pass) {
  if (s.channels_per_chunk > 0) return std::min(s.channels_per_chunk, s.channels);
  const size_t per_channel = scratch_bytes(s, transform_rows(s, pass, 1));
  return std::clamp<int64_t>(static_cast<int64_t>(kChunkBytes / per_channel), 1, s.channels);
}

size_t work_bytes(FftConvShape s, Pass pass, int64_t count) {
  return std::max(fft_work_bytes(fft_plan(FftDirection::real_to_complex, 2 * s.length, transform_rows(s, pass, count))),
                  fft_work_bytes(fft_plan(FftDirection::complex_to_real, 2 * s.length, inverse_rows(s, pass, count))));
}

// Workspace: spectra, then padded real rows, then the cuFFT work area, for the largest chunk
// (a shorter last chunk's plans may ask for a different work area: the larger one is kept).
size_t workspace_bytes(FftConvShape s, Pass pass) {
  if (s.length == 0 || s.channels == 0) return 0;
  const int64_t count = chunk_channels(s, pass), last = s.channels % count;
  size_t work = work_bytes(s, pass, count);
  if (last != 0) work = std::max(work, work_bytes(s, pass, last));
  return scratch_bytes(s, transform_rows(s, pass, count)) + work;
}

struct Scratch {
  float2* spectra;
  float* reals;
  void* work_area;
};

Scratch split(void* workspace, FftConvShape s, Pass pass) {
  const int64_t rows = transform_rows(s, pass, chunk_channels(s, pass));
  char* base = static_cast<char*>(workspace);
  const size_t spectra_bytes = align_up(static_cast<size_t>(rows * (s.length + 1)) * sizeof(float2));
  return {reinterpret_cast<float2*>(base), reinterpret_cast<float*>(base + spectra_bytes),
          base + scratch_bytes(s, rows)};
}

// Calls f(chunk) for every chunk of channels, in order.
template <typename F>
void for_each_chunk(FftConvShape s, Pass pass, F&& f) {
  const int64_t count = chunk_channels(s, pass);
  for (int64_t first = 0; first < s.channels; first += count) {
    f(Chunk{s.length, s.length + 1, s.batch, s.channels, first, std::min(count, s.channels - first)});
  }
}

}  // namespace

size_t fft_conv_forward_workspace_bytes(FftConvShape shape) { return workspace_bytes(shape, kForwardPass); }
size_t fft_conv_backward_workspace_bytes(FftConvShape shape) { return workspace_bytes(shape, kBackwardPass); }

template <typename T>
void fft_conv_forward_cuda(const T* u, const float* k_fwd, const float* k_bwd, const float* D, T* y,
                           FftConvShape shape, void* workspace, cudaStream_t stream) {
  if (shape.length == 0 || shape.channels == 0 || shape.batch == 0) return;
  const Scratch scratch = split(workspace, shape, kForwardPass);
  const auto* u_device = reinterpret_cast<const Device<T>*>(u);
  const float* k_bwd_used = shape.bidirectional ? k_bwd : nullptr;
  const int width = vector_width(shape.length, {u, y, k_fwd, k_bwd_used, scratch.reals});
  const float scale = 1.0f / static_cast<float>(2 * shape.length);
  for_each_chunk(shape, kForwardPass, [&](const Chunk chunk) {
    const int64_t rows = transform_rows(shape, kForwardPass, chunk.count), activation_rows = chunk.activation_rows();
    launch_pad(PadSources<Device<T>>{u_device, nullptr, 1, k_fwd, k_bwd_used}, scratch.reals, chunk, rows, width,
               stream);
    fft_execute(fft_plan(FftDirection::real_to_complex, chunk.n(), rows), scratch.reals, scratch.spectra,
                scratch.work_area, stream);
    multiply_kernel<<<row_grid(chunk.count, chunk.bins), kThreads, 0, stream>>>(scratch.spectra, D, chunk, scale);
    check_launch("multiply_kernel");
    fft_execute(fft_plan(FftDirection::complex_to_real, chunk.n(), activation_rows), scratch.spectra, scratch.reals,
                scratch.work_area, stream);
    launch_crop(scratch.reals, reinterpret_cast<Device<T>*>(y), chunk, activation_rows, width, stream);
  });
}

template <typename T>
void fft_conv_backward_cuda(const T* u, const float* k_fwd, const float* k_bwd, const float* D, const T* dy, T* du,
                            float* dk_fwd, float* dk_bwd, float* dD, FftConvShape shape, void* workspace,
                            cudaStream_t stream) {
  if (shape.length == 0 || shape.channels == 0) return;
  const Scratch scratch = split(workspace, shape, kBackwardPass);
  const auto* u_device = reinterpret_cast<const Device<T>*>(u);
  const auto* dy_device = reinterpret_cast<const Device<T>*>(dy);
  const float* k_bwd_used = shape.bidirectional ? k_bwd : nullptr;
  const int width = vector_width(shape.length, {u, dy, du, k_fwd, k_bwd_used, scratch.reals});
  const float scale = 1.0f / static_cast<float>(2 * shape.length);
  for_each_chunk(shape, kBackwardPass, [&](const Chunk chunk) {
    const int64_t rows = transform_rows(shape, kBackwardPass, chunk.count), block = chunk.activation_rows();
    launch_pad(PadSources<Device<T>>{dy_device, u_device, 2, k_fwd, k_bwd_used}, scratch.reals, chunk, rows, width,
               stream);
    fft_execute(fft_plan(FftDirection::real_to_complex, chunk.n(), rows), scratch.reals, scratch.spectra,
                scratch.work_area, stream);
    backward_spectra_kernel<<<row_grid(chunk.count, chunk.bins), kThreads, 0, stream>>>(scratch.spectra, D, chunk,
                                                                                        scale);
    check_launch("backward_spectra_kernel");
    // du's and dk2's spectra (the u and kernel blocks) are adjacent: one inverse for both,
    // into the same rows of the real buffer.
    fft_execute(fft_plan(FftDirection::complex_to_real, chunk.n(), block + chunk.count),
                scratch.spectra + block * chunk.bins, scratch.reals + block * chunk.n(), scratch.work_area, stream);
    if (block > 0) {
      launch_crop(scratch.reals + block * chunk.n(), reinterpret_cast<Device<T>*>(du), chunk, block, width, stream);
    }
    kernel_gradient_kernel<<<row_grid(chunk.count, chunk.length), kThreads, 0, stream>>>(
        scratch.reals + 2 * block * chunk.n(), dk_fwd, shape.bidirectional ? dk_bwd : nullptr, chunk);
    check_launch("kernel_gradient_kernel");
  });
  if (dD && shape.batch > 0) {
    skip_gradient_kernel<<<static_cast<unsigned>(shape.channels), kReduceThreads, 0, stream>>>(
        u_device, dy_device, dD, shape.batch, shape.channels, shape.length);
    check_launch("skip_gradient_kernel");
  }
}

#define SPINDLE_INSTANTIATE(T)                                                                                   \
  template void fft_conv_forward_cuda<T>(const T*, const float*, const float*, const float*, T*, FftConvShape,   \
                                         void*, cudaStream_t);                                                   \
  template void fft_conv_backward_cuda<T>(const T*, const float*, const float*, const float*, const T*, T*,      \
                                          float*, float*, float*, FftConvShape, void*, cudaStream_t);
SPINDLE_INSTANTIATE(float)
SPINDLE_INSTANTIATE(bfloat16)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
