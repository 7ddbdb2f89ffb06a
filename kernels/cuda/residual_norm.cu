#include <cuda_bf16.h>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/ordered_row_sums.h"
#include "kernels/residual_norm.h"

namespace spindle::kernels {
namespace {

constexpr int kNormThreads = 256;

struct RowStats {
  float mean, rstd;  // mean is 0 for RMSNorm
};

// Mean and 1/sqrt(variance + eps) of the row h (two passes, as the CPU reference).
__device__ RowStats row_stats(const float* h, NormShape shape) {
  float mean = 0.0f;
  if (shape.kind == NormKind::layer) {
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < shape.dim; j += blockDim.x) sum += h[j];
    mean = block_sum(sum) / static_cast<float>(shape.dim);
  }
  float spread = 0.0f;
  for (int64_t j = threadIdx.x; j < shape.dim; j += blockDim.x) spread += (h[j] - mean) * (h[j] - mean);
  spread = block_sum(spread);
  return {mean, rsqrtf(spread / static_cast<float>(shape.dim) + static_cast<float>(shape.eps))};
}

// One warp per row (kNormRowsPerBlock rows per block): rows of a few hundred channels are
// too short to keep a block's barriers busy. Each lane reads back only the elements it
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
  const float n = static_cast<float>(shape.dim);
  float sum = 0.0f;
  for (int64_t j = lane; j < shape.dim; j += 32) {
    const float v = to_float(x[base + j]) + (residual ? residual[base + j] : 0.0f);
    h[j] = v;
    sum += v;
  }
  const float mean = shape.kind == NormKind::layer ? warp_sum(sum) / n : 0.0f;
  float spread = 0.0f;
  for (int64_t j = lane; j < shape.dim; j += 32) spread += (h[j] - mean) * (h[j] - mean);
  const float rstd = rsqrtf(warp_sum(spread) / n + static_cast<float>(shape.eps));
  for (int64_t j = lane; j < shape.dim; j += 32) {
    y[base + j] = from_float<T>((h[j] - mean) * rstd * weight[j] + (bias ? bias[j] : 0.0f));
  }
}

// Block b handles rows b, b + gridDim.x, ... in order and sums its rows' parameter
// gradients into its own workspace rows: dweight at partial_dweight[b], dbias at
// partial_dbias[b] (each thread owns columns threadIdx.x + k * blockDim.x).
template <typename T>
__global__ void residual_norm_backward_kernel(const float* residual_out, const float* weight, const T* dy,
                                              const float* dresidual_out, T* dx, float* dresidual,
                                              float* partial_dweight, float* partial_dbias, NormShape shape) {
  float* my_dweight = partial_dweight + static_cast<int64_t>(blockIdx.x) * shape.dim;
  float* my_dbias = partial_dbias + static_cast<int64_t>(blockIdx.x) * shape.dim;
  for (int64_t j = threadIdx.x; j < shape.dim; j += blockDim.x) my_dweight[j] = my_dbias[j] = 0.0f;
  const float n = static_cast<float>(shape.dim);
  for (int64_t r = blockIdx.x; r < shape.rows; r += gridDim.x) {
    const int64_t base = r * shape.dim;
    const float* h = residual_out + base;
    const RowStats stats = row_stats(h, shape);
    float sum_g = 0.0f, sum_gx = 0.0f;
    for (int64_t j = threadIdx.x; j < shape.dim; j += blockDim.x) {
      const float xhat = (h[j] - stats.mean) * stats.rstd;
      const float grad = to_float(dy[base + j]);
      sum_g += grad * weight[j];
      sum_gx += grad * weight[j] * xhat;
      my_dweight[j] += grad * xhat;
      my_dbias[j] += grad;
    }
    const float mean_g = shape.kind == NormKind::layer ? block_sum(sum_g) / n : 0.0f;
    const float mean_gx = block_sum(sum_gx) / n;
    for (int64_t j = threadIdx.x; j < shape.dim; j += blockDim.x) {
      const float xhat = (h[j] - stats.mean) * stats.rstd;
      const float g = to_float(dy[base + j]) * weight[j];
      const float dh = stats.rstd * (g - mean_g - xhat * mean_gx) + (dresidual_out ? dresidual_out[base + j] : 0.0f);
      dx[base + j] = from_float<T>(dh);
      if (dresidual) dresidual[base + j] = dh;
    }
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
  const int64_t blocks = shape.rows < kNormBackwardBlocks ? shape.rows : kNormBackwardBlocks;
  float* partial_dweight = workspace;
  float* partial_dbias = workspace + blocks * shape.dim;
  residual_norm_backward_kernel<<<static_cast<unsigned>(blocks), kNormThreads, 0, stream>>>(
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
