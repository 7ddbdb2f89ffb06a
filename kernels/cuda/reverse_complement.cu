#include "kernels/cuda/launch.cuh"
#include "kernels/reverse_complement.h"

namespace spindle::kernels {
namespace {

template <typename Id>
__global__ void reverse_complement_tokens_kernel(const Id* in, Id* out, int64_t batch, int64_t length) {
  for (int64_t e = grid_index(); e < batch * length; e += grid_stride()) {
    const int64_t b = e / length, t = e % length;
    out[e] = complement_token(in[b * length + length - 1 - t]);
  }
}

}  // namespace

template <typename Id>
void reverse_complement_tokens_cuda(const Id* in, Id* out, int64_t batch, int64_t length, cudaStream_t stream) {
  if (batch * length == 0) return;
  reverse_complement_tokens_kernel<<<grid_for(batch * length), kThreadsPerBlock, 0, stream>>>(in, out, batch, length);
  check_launch("reverse_complement_tokens_kernel");
}

template void reverse_complement_tokens_cuda<int32_t>(const int32_t*, int32_t*, int64_t, int64_t, cudaStream_t);
template void reverse_complement_tokens_cuda<int64_t>(const int64_t*, int64_t*, int64_t, int64_t, cudaStream_t);
template void reverse_complement_tokens_cuda<uint8_t>(const uint8_t*, uint8_t*, int64_t, int64_t, cudaStream_t);

}  // namespace spindle::kernels
