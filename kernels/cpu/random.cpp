#include "kernels/philox.h"
#include "kernels/random.h"

namespace spindle::kernels {

void fill_uniform_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = philox::uniform(seed, offset + static_cast<uint64_t>(i));
}

void fill_normal_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = philox::normal(seed, offset + static_cast<uint64_t>(i));
}

}  // namespace spindle::kernels
