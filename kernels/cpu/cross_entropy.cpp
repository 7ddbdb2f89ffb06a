#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/cross_entropy.h"
#include "kernels/error.h"

namespace spindle::kernels {

template <typename T, typename Id>
void cross_entropy_cpu(const T* logits, const Id* targets, T* loss, T* dlogits, int64_t* valid_rows,
                       CrossEntropyShape shape, CrossEntropyArgs args) {
  for (int64_t r = 0; r < shape.rows; ++r) {
    const int64_t t = static_cast<int64_t>(targets[r]);
    SPINDLE_CHECK(t == args.ignore_index || (t >= 0 && t < shape.vocab), "cross_entropy: targets",
                  "target " + std::to_string(t) + " at row " + std::to_string(r),
                  "targets in [0, " + std::to_string(shape.vocab) + ") or the ignore_index");
  }
  const T smoothing = static_cast<T>(args.label_smoothing);
  const T uniform = smoothing / static_cast<T>(shape.vocab);
  int64_t valid = 0;
  for (int64_t r = 0; r < shape.rows; ++r) {
    const T* z = logits + r * shape.vocab;
    T* dz = dlogits ? dlogits + r * shape.vocab : nullptr;
    const int64_t t = static_cast<int64_t>(targets[r]);
    if (t == args.ignore_index) {
      loss[r] = T(0);
      if (dz) std::fill(dz, dz + shape.vocab, T(0));
      continue;
    }
    ++valid;
    const T max = *std::max_element(z, z + shape.vocab);
    T sum_exp = 0, sum_shifted = 0;
    for (int64_t k = 0; k < shape.vocab; ++k) {
      sum_exp += std::exp(z[k] - max);
      sum_shifted += z[k] - max;
    }
    // The loss with every logit shifted by -max (the weights of the target sum to 1).
    loss[r] = std::log(sum_exp) - (T(1) - smoothing) * (z[t] - max) - uniform * sum_shifted;
    const T lse = max + std::log(sum_exp);
    if (!dz) continue;
    const T scale = static_cast<T>(args.dloss_scale);
    for (int64_t k = 0; k < shape.vocab; ++k) {
      const T target_weight = (k == t ? T(1) - smoothing : T(0)) + uniform;
      dz[k] = (std::exp(z[k] - lse) - target_weight) * scale;
    }
  }
  *valid_rows = valid;
}

#define SPINDLE_INSTANTIATE(T, Id)                                                                          \
  template void cross_entropy_cpu<T, Id>(const T*, const Id*, T*, T*, int64_t*, CrossEntropyShape,         \
                                         CrossEntropyArgs);
SPINDLE_INSTANTIATE(float, int32_t)
SPINDLE_INSTANTIATE(float, int64_t)
SPINDLE_INSTANTIATE(double, int32_t)
SPINDLE_INSTANTIATE(double, int64_t)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
