#include <cuda_bf16.h>

#include <string>

#include "kernels/error.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/ordered_row_sums.h"
#include "kernels/residual_norm.h"

namespace spindle::kernels {
namespace {

struct RowStats {
  float mean, rstd;  // mean is 0 for RMSNorm
};

// Mean and 1/sqrt(variance + eps) of the row h, computed by one warp (two passes, as the
// CPU reference); every lane receives them.
__device__ RowStats warp_row_stats(const float* h, NormShape shape) {
  const int lane = threadIdx.x % 32;
  const float n = static_cast<float>(shape.dim);
  float mean = 0.0f;
  if (shape.kind == NormKind::layer) {
    float sum = 0.0f;
    for (int64_t j = lane; j < shape.dim; j += 32) sum += h[j];
    mean = warp_sum(sum) / n;
  }
  float spread = 0.0f;
  for (int64_t j = lane; j < shape.dim; j += 32) spread += (h[j] - mean) * (h[j] - mean);
  return {mean, rsqrtf(warp_sum(spread) / n + static_cast<float>(shape.eps))};
}

// One warp per row (up to kNormRowsPerBlock rows per block): rows of a few hundred channels
// are too short to keep a block's barriers busy. Each lane reads back only the elements it
// wrote, so no barrier is needed.
constexpr int kNormRowsPerBlock = 8;

template <typename T>
__global__ void __launch_bounds__(kNormRowsPerBlock * 32)
    residual_norm_forward_kernel(const T* x, const float* residual, const float* weight, const float* bias, T* y,
                                 float* residual_out, NormShape shape) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kNormRowsPerBlock + threadIdx.x / 32;
  if (row >= shape.rows) return;
  const int64_t base = row * shape.dim;
  float* h = residual_out + base;
  for (int64_t j = lane; j < shape.dim; j += 32) h[j] = to_float(x[base + j]) + (residual ? residual[base + j] : 0.0f);
  const RowStats stats = warp_row_stats(h, shape);
  for (int64_t j = lane; j < shape.dim; j += 32) {
    y[base + j] = from_float<T>((h[j] - stats.mean) * stats.rstd * weight[j] + (bias ? bias[j] : 0.0f));
  }
}

// Shared memory the backward keeps per warp: its rows' dweight and dbias sums.
size_t norm_backward_warp_bytes(int64_t dim) { return 2 * static_cast<size_t>(dim) * sizeof(float); }
// Warps per backward block: as many as fit the default 48 KB of shared memory (one at least).
int norm_backward_warps(int64_t dim) {
  const size_t fit = (48 << 10) / norm_backward_warp_bytes(dim);
  return static_cast<int>(fit < 1 ? 1 : (fit > kNormRowsPerBlock ? kNormRowsPerBlock : fit));
}

// Blocks of the backward resident per multiprocessor (40 registers a thread; at 7 or 8 it
// spills): kNormBackwardBlocks fill an H100 or H200 in one wave while dim <= 590 (beyond,
// shared memory holds fewer blocks, and above 768 channels a block has fewer warps).
constexpr int kNormBackwardBlocksPerMultiprocessor = 6;

// One warp per row: warp w of the grid handles rows w, w + warps, ... in order, its lanes
// summing the rows' parameter gradients into the warp's own shared-memory rows (each lane
// its own columns, so no barrier); then the block adds its warps' sums in warp order into
// its workspace rows, dweight at partial_dweight[block], dbias at partial_dbias[block].
template <typename T>
__global__ void __launch_bounds__(kNormRowsPerBlock * 32, kNormBackwardBlocksPerMultiprocessor)
    residual_norm_backward_kernel(const float* residual_out, const float* weight, const T* dy,
                                  const float* dresidual_out, T* dx, float* dresidual, float* partial_dweight,
                                  float* partial_dbias, NormShape shape) {
  extern __shared__ float warp_partials[];  // [warp][dweight dim | dbias dim]
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  float* my_dweight = warp_partials + static_cast<int64_t>(warp) * 2 * shape.dim;
  float* my_dbias = my_dweight + shape.dim;
  for (int64_t j = lane; j < shape.dim; j += 32) my_dweight[j] = my_dbias[j] = 0.0f;
  const float n = static_cast<float>(shape.dim);
  const int dim = static_cast<int>(shape.dim);
  const int64_t grid_warps = static_cast<int64_t>(gridDim.x) * warps;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * warps + warp; r < shape.rows; r += grid_warps) {
    const int64_t base = r * shape.dim;
    const float* h = residual_out + base;
    const T* dy_row = dy + base;
    const RowStats stats = warp_row_stats(h, shape);
    float sum_g = 0.0f, sum_gx = 0.0f;
    for (int j = lane; j < dim; j += 32) {
      const float xhat = (h[j] - stats.mean) * stats.rstd;
      const float grad = to_float(dy_row[j]);
      sum_g += grad * weight[j];
      sum_gx += grad * weight[j] * xhat;
      my_dweight[j] += grad * xhat;
      my_dbias[j] += grad;
    }
    const float mean_g = shape.kind == NormKind::layer ? warp_sum(sum_g) / n : 0.0f;
    const float mean_gx = warp_sum(sum_gx) / n;
    const float* carried = dresidual_out ? dresidual_out + base : nullptr;
    T* dx_row = dx + base;
    float* dresidual_row = dresidual ? dresidual + base : nullptr;
    for (int j = lane; j < dim; j += 32) {
      const float xhat = (h[j] - stats.mean) * stats.rstd;
      const float g = to_float(dy_row[j]) * weight[j];
      const float dh = stats.rstd * (g - mean_g - xhat * mean_gx) + (carried ? carried[j] : 0.0f);
      dx_row[j] = from_float<T>(dh);
      if (dresidual_row) dresidual_row[j] = dh;
    }
  }
  __syncthreads();
  for (int64_t j = threadIdx.x; j < shape.dim; j += blockDim.x) {
    float dweight = 0.0f, dbias = 0.0f;
    for (int w = 0; w < warps; ++w) {
      dweight += warp_partials[w * 2 * shape.dim + j];
      dbias += warp_partials[w * 2 * shape.dim + shape.dim + j];
    }
    partial_dweight[static_cast<int64_t>(blockIdx.x) * shape.dim + j] = dweight;
    partial_dbias[static_cast<int64_t>(blockIdx.x) * shape.dim + j] = dbias;
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T>
void residual_norm_forward_cuda(const T* x, const float* residual, const float* weight, const float* bias, T* y,
                                float* residual_out, NormShape shape, cudaStream_t stream) {
  if (shape.rows == 0 || shape.dim == 0) return;
  const int64_t blocks = (shape.rows + kNormRowsPerBlock - 1) / kNormRowsPerBlock;
  residual_norm_forward_kernel<<<static_cast<unsigned>(blocks), kNormRowsPerBlock * 32, 0, stream>>>(
      reinterpret_cast<const Device<T>*>(x), residual, weight, bias, reinterpret_cast<Device<T>*>(y), residual_out,
      shape);
  check_launch("residual_norm_forward_kernel");
}

template <typename T>
void residual_norm_backward_cuda(const float* residual_out, const float* weight, const T* dy,
                                 const float* dresidual_out, T* dx, float* dresidual, float* dweight, float* dbias,
                                 float* workspace, NormShape shape, cudaStream_t stream) {
  if (shape.rows == 0 || shape.dim == 0) return;
  const int warps = norm_backward_warps(shape.dim);
  const size_t bytes = warps * norm_backward_warp_bytes(shape.dim);
  auto* kernel = residual_norm_backward_kernel<Device<T>>;
  if (bytes > (48 << 10)) {  // rows of more than 6,144 channels: one warp, above the default
    int device = 0, optin = 0;
    SPINDLE_CUDA_CHECK(cudaGetDevice(&device));
    SPINDLE_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    SPINDLE_CHECK(bytes <= static_cast<size_t>(optin), "residual_norm_backward (CUDA)",
                  "dim " + std::to_string(shape.dim) + ", whose gradient sums take " + std::to_string(bytes) +
                      " bytes of shared memory",
                  "at most " + std::to_string(optin) + " bytes on this GPU (dim <= " + std::to_string(optin / 8) + ")");
    SPINDLE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
  }
  const int64_t needed = (shape.rows + warps - 1) / warps;
  const int64_t blocks = needed < kNormBackwardBlocks ? needed : kNormBackwardBlocks;
  float* partial_dweight = workspace;
  float* partial_dbias = workspace + blocks * shape.dim;
  kernel<<<static_cast<unsigned>(blocks), warps * 32, bytes, stream>>>(
      residual_out, weight, reinterpret_cast<const Device<T>*>(dy), dresidual_out, reinterpret_cast<Device<T>*>(dx),
      dresidual, partial_dweight, partial_dbias, shape);
  check_launch("residual_norm_backward_kernel");
  add_ordered_row_sums_cuda(partial_dweight, blocks, shape.dim, dweight, stream);
  if (dbias) add_ordered_row_sums_cuda(partial_dbias, blocks, shape.dim, dbias, stream);
}

#define SPINDLE_INSTANTIATE(T)                                                                                     \
  template void residual_norm_forward_cuda<T>(const T*, const float*, const float*, const float*, T*, float*,      \
                                              NormShape, cudaStream_t);                                            \
  template void residual_norm_backward_cuda<T>(const float*, const float*, const T*, const float*, T*, float*,     \
                                               float*, float*, float*, NormShape, cudaStream_t);
SPINDLE_INSTANTIATE(float)
SPINDLE_INSTANTIATE(bfloat16)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
