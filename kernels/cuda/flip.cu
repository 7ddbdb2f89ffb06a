#include <cstdint>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/flip.h"

namespace spindle::kernels {
namespace {

// One thread per output unit of `inner` consecutive elements (or a 4-, 8- or 16-byte
// piece of them): the bits are moved unchanged, so any unit that divides the inner run
// gives the same result, and wide units move a (batch, length, channels) tensor at copy
// bandwidth.
template <typename Unit>
__global__ void flip_kernel(const Unit* in, Unit* out, int64_t outer, int64_t length, int64_t inner_units) {
  const int64_t n = outer * length * inner_units;
  for (int64_t e = grid_index(); e < n; e += grid_stride()) {
    const int64_t i = e % inner_units;
    const int64_t row = e / inner_units;  // o * length + t
    const int64_t t = row % length;
    out[e] = in[(row - t + (length - 1 - t)) * inner_units + i];
  }
}

template <typename Unit>
void launch_flip(const void* in, void* out, FlipShape shape, int64_t inner_bytes, cudaStream_t stream) {
  const int64_t inner_units = inner_bytes / static_cast<int64_t>(sizeof(Unit));
  const int64_t n = shape.outer * shape.length * inner_units;
  flip_kernel<<<grid_for(n), kThreadsPerBlock, 0, stream>>>(static_cast<const Unit*>(in), static_cast<Unit*>(out),
                                                            shape.outer, shape.length, inner_units);
}

bool fits(int64_t unit, int64_t inner_bytes, const void* in, const void* out) {
  return inner_bytes % unit == 0 && reinterpret_cast<uintptr_t>(in) % unit == 0 &&
         reinterpret_cast<uintptr_t>(out) % unit == 0;
}

}  // namespace

template <typename T>
void flip_cuda(const T* in, T* out, FlipShape shape, cudaStream_t stream) {
  const int64_t n = shape.outer * shape.length * shape.inner;
  if (n == 0) return;
  using Device = typename DeviceType<T>::type;
  const int64_t inner_bytes = shape.inner * static_cast<int64_t>(sizeof(T));
  if (fits(16, inner_bytes, in, out)) {
    launch_flip<uint4>(in, out, shape, inner_bytes, stream);
  } else if (fits(8, inner_bytes, in, out)) {
    launch_flip<uint2>(in, out, shape, inner_bytes, stream);
  } else if (fits(4, inner_bytes, in, out)) {
    launch_flip<uint32_t>(in, out, shape, inner_bytes, stream);
  } else {
    launch_flip<Device>(in, out, shape, inner_bytes, stream);
  }
  check_launch("flip_kernel");
}

template void flip_cuda<float>(const float*, float*, FlipShape, cudaStream_t);
template void flip_cuda<bfloat16>(const bfloat16*, bfloat16*, FlipShape, cudaStream_t);

}  // namespace spindle::kernels
