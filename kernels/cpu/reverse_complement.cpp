#include "kernels/reverse_complement.h"

namespace spindle::kernels {

template <typename Id>
void reverse_complement_tokens_cpu(const Id* in, Id* out, int64_t batch, int64_t length) {
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < length; ++t) out[b * length + t] = complement_token(in[b * length + length - 1 - t]);
  }
}

template void reverse_complement_tokens_cpu<int32_t>(const int32_t*, int32_t*, int64_t, int64_t);
template void reverse_complement_tokens_cpu<int64_t>(const int64_t*, int64_t*, int64_t, int64_t);
template void reverse_complement_tokens_cpu<uint8_t>(const uint8_t*, uint8_t*, int64_t, int64_t);

}  // namespace spindle::kernels
