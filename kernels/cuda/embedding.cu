#include <cuda_bf16.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/embedding.h"

namespace spindle::kernels {
namespace {

constexpr int kIdTile = 256;  // ids staged in shared memory per step (= threads per block)

template <typename T, typename Id>
__global__ void embedding_forward_kernel(const Id* ids, const float* table, T* out, EmbeddingShape shape,
                                         int* bad_id_flag) {
  const int64_t total = shape.n * shape.dim;
  for (int64_t e = grid_index(); e < total; e += grid_stride()) {
    const int64_t i = e / shape.dim, j = e % shape.dim;
    const int64_t id = static_cast<int64_t>(ids[i]);
    const bool valid = id >= 0 && id < shape.vocab;
    if (!valid) *bad_id_flag = 1;
    out[e] = from_float<T>(valid ? table[id * shape.dim + j] : 0.0f);
  }
}

// Block (v, tile) owns dtable[v][tile * blockDim.x + threadIdx.x]; it walks the ids in
// order, kIdTile at a time through shared memory, adding the dout rows of matching ids.
template <typename T, typename Id>
__global__ void embedding_backward_kernel(const Id* ids, const T* dout, float* dtable, EmbeddingShape shape,
                                          int* bad_id_flag) {
  __shared__ int64_t tile_ids[kIdTile];
  const int64_t v = blockIdx.x;
  const int64_t j = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  float sum = 0.0f;
  for (int64_t start = 0; start < shape.n; start += kIdTile) {
    const int64_t i = start + threadIdx.x;
    if (i < shape.n) {
      const int64_t id = static_cast<int64_t>(ids[i]);
      if (v == 0 && blockIdx.y == 0 && (id < 0 || id >= shape.vocab)) *bad_id_flag = 1;
      tile_ids[threadIdx.x] = id;
    }
    __syncthreads();
    const int64_t count = shape.n - start < kIdTile ? shape.n - start : kIdTile;
    if (j < shape.dim) {
      for (int64_t k = 0; k < count; ++k) {
        if (tile_ids[k] == v) sum += to_float(dout[(start + k) * shape.dim + j]);
      }
    }
    __syncthreads();
  }
  if (j < shape.dim) dtable[v * shape.dim + j] += sum;
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T, typename Id>
void embedding_forward_cuda(const Id* ids, const float* table, T* out, EmbeddingShape shape, int* bad_id_flag,
                            cudaStream_t stream) {
  if (shape.n * shape.dim == 0) return;
  embedding_forward_kernel<<<grid_for(shape.n * shape.dim), kThreadsPerBlock, 0, stream>>>(
      ids, table, reinterpret_cast<Device<T>*>(out), shape, bad_id_flag);
  check_launch("embedding_forward_kernel");
}

template <typename T, typename Id>
void embedding_backward_cuda(const Id* ids, const T* dout, float* dtable, EmbeddingShape shape, int* bad_id_flag,
                             cudaStream_t stream) {
  if (shape.n * shape.dim * shape.vocab == 0) return;
  const dim3 grid(static_cast<unsigned>(shape.vocab), static_cast<unsigned>((shape.dim + kIdTile - 1) / kIdTile));
  embedding_backward_kernel<<<grid, kIdTile, 0, stream>>>(ids, reinterpret_cast<const Device<T>*>(dout), dtable,
                                                          shape, bad_id_flag);
  check_launch("embedding_backward_kernel");
}

#define SPINDLE_INSTANTIATE(T, Id)                                                                              \
  template void embedding_forward_cuda<T, Id>(const Id*, const float*, T*, EmbeddingShape, int*, cudaStream_t); \
  template void embedding_backward_cuda<T, Id>(const Id*, const T*, float*, EmbeddingShape, int*, cudaStream_t);
SPINDLE_INSTANTIATE(float, int32_t)
SPINDLE_INSTANTIATE(float, int64_t)
SPINDLE_INSTANTIATE(bfloat16, int32_t)
SPINDLE_INSTANTIATE(bfloat16, int64_t)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
