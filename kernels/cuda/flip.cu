#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/flip.h"

namespace spindle::kernels {
namespace {

// One thread per output element; the element bits are moved unchanged.
template <typename T>
__global__ void flip_kernel(const T* in, T* out, FlipShape shape) {
  const int64_t n = shape.outer * shape.length * shape.inner;
  for (int64_t e = grid_index(); e < n; e += grid_stride()) {
    const int64_t i = e % shape.inner;
    const int64_t t = (e / shape.inner) % shape.length;
    const int64_t o = e / (shape.inner * shape.length);
    out[e] = in[(o * shape.length + (shape.length - 1 - t)) * shape.inner + i];
  }
}

}  // namespace

template <typename T>
void flip_cuda(const T* in, T* out, FlipShape shape, cudaStream_t stream) {
  const int64_t n = shape.outer * shape.length * shape.inner;
  if (n == 0) return;
  using Device = typename DeviceType<T>::type;
  flip_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(reinterpret_cast<const Device*>(in),
                                                             reinterpret_cast<Device*>(out), shape);
  check_launch("flip_kernel");
}

template void flip_cuda<float>(const float*, float*, FlipShape, cudaStream_t);
template void flip_cuda<bfloat16>(const bfloat16*, bfloat16*, FlipShape, cudaStream_t);

}  // namespace spindle::kernels
