#include "kernels/column_sum.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"

namespace spindle::kernels {
namespace {

constexpr int kColumns = 32;  // columns per block (one warp wide)
constexpr int kRowLanes = 8;  // threads walking the rows of each column

// Block (kColumns, kRowLanes): thread (x, y) sums rows y, y + kRowLanes, ... of column
// blockIdx.x * kColumns + x; the kRowLanes partial sums are then added in a fixed order.
template <typename T>
__global__ void column_sum_kernel(const T* x, float* out, int64_t rows, int64_t cols) {
  __shared__ float partial[kRowLanes][kColumns];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kColumns + threadIdx.x;
  float sum = 0.0f;
  if (col < cols) {
    for (int64_t row = threadIdx.y; row < rows; row += kRowLanes) sum += to_float(x[row * cols + col]);
  }
  partial[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float total = 0.0f;
    for (int i = 0; i < kRowLanes; ++i) total += partial[i][threadIdx.x];
    out[col] += total;
  }
}

template <typename T> using Device = typename DeviceType<T>::type;

}  // namespace

template <typename T>
void column_sum_accumulate_cuda(const T* x, float* out, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (cols == 0) return;
  const unsigned blocks = static_cast<unsigned>((cols + kColumns - 1) / kColumns);
  column_sum_kernel<<<blocks, dim3(kColumns, kRowLanes), 0, stream>>>(reinterpret_cast<const Device<T>*>(x), out,
                                                                       rows, cols);
  check_launch("column_sum_kernel");
}

template void column_sum_accumulate_cuda<float>(const float*, float*, int64_t, int64_t, cudaStream_t);
template void column_sum_accumulate_cuda<bfloat16>(const bfloat16*, float*, int64_t, int64_t, cudaStream_t);

}  // namespace spindle::kernels
