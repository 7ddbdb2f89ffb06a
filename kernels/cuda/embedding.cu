#include <cuda_bf16.h>

#include <algorithm>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/ordered_row_sums.h"
#include "kernels/cuda/scratch.h"
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

// Block (v, tile, g) sums, for table row v and columns tile * blockDim.x + threadIdx.x,
// the dout rows of the ids in segment g (ids_per_segment consecutive ids, kIdTile at a
// time through shared memory) into partial[(g * vocab + v) * dim + column];
// the segments are then added in order (deterministic, no atomics).
template <typename T, typename Id>
__global__ void embedding_backward_kernel(const Id* ids, const T* dout, float* partial, EmbeddingShape shape,
                                          int64_t ids_per_segment, int* bad_id_flag) {
  __shared__ int64_t tile_ids[kIdTile];
  const int64_t v = blockIdx.x;
  const int64_t j = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  const int64_t first = blockIdx.z * ids_per_segment;
  const int64_t end = min(first + ids_per_segment, shape.n);
  float sum = 0.0f;
  for (int64_t start = first; start < end; start += kIdTile) {
    const int64_t i = start + threadIdx.x;
    if (i < end) {
      const int64_t id = static_cast<int64_t>(ids[i]);
      if (v == 0 && blockIdx.y == 0 && (id < 0 || id >= shape.vocab)) *bad_id_flag = 1;
      tile_ids[threadIdx.x] = id;
    }
    __syncthreads();
    const int64_t count = end - start < kIdTile ? end - start : kIdTile;
    if (j < shape.dim) {
      for (int64_t k = 0; k < count; ++k) {
        if (tile_ids[k] == v) sum += to_float(dout[(start + k) * shape.dim + j]);
      }
    }
    __syncthreads();
  }
  if (j < shape.dim) partial[(blockIdx.z * shape.vocab + v) * shape.dim + j] = sum;
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

// Segments of the ids so that about kBackwardBlocksPerSm blocks per multiprocessor run:
// one block per table row alone walks every id (a few rows for DNA).
constexpr int64_t kBackwardBlocksPerSm = 8;

template <typename T, typename Id>
void embedding_backward_cuda(const Id* ids, const T* dout, float* dtable, EmbeddingShape shape, int* bad_id_flag,
                             cudaStream_t stream) {
  if (shape.n * shape.dim * shape.vocab == 0) return;
  const int64_t multiprocessors = multiprocessor_count();
  const int64_t column_tiles = (shape.dim + kIdTile - 1) / kIdTile, id_tiles = (shape.n + kIdTile - 1) / kIdTile;
  const int64_t wanted = (kBackwardBlocksPerSm * multiprocessors + shape.vocab * column_tiles - 1) /
                         (shape.vocab * column_tiles);
  const int64_t segments_wanted = std::clamp<int64_t>(wanted, 1, std::min<int64_t>(id_tiles, 65535));
  const int64_t tiles_per_segment = (id_tiles + segments_wanted - 1) / segments_wanted;
  const int64_t ids_per_segment = tiles_per_segment * kIdTile;
  const int64_t segments = (shape.n + ids_per_segment - 1) / ids_per_segment;
  const int64_t elements = shape.vocab * shape.dim;
  Scratch partial(static_cast<size_t>(segments * elements) * sizeof(float), stream, "embedding backward workspace");
  const dim3 grid(static_cast<unsigned>(shape.vocab), static_cast<unsigned>(column_tiles),
                  static_cast<unsigned>(segments));
  embedding_backward_kernel<<<grid, kIdTile, 0, stream>>>(ids, reinterpret_cast<const Device<T>*>(dout),
                                                          partial.get(), shape, ids_per_segment, bad_id_flag);
  check_launch("embedding_backward_kernel");
  add_ordered_row_sums_cuda(partial.get(), segments, elements, dtable, stream);
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
