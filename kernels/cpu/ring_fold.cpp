#include "kernels/ring_fold.h"

namespace spindle::kernels {

template <typename T>
void ring_fold_cpu(const T* values, const T* decays, const int32_t* first, T* out, RingFoldShape s) {
  for (int64_t row = 0; row < s.rows; ++row) {
    const int step = first[row] < s.rank ? 1 : -1;
    for (int64_t e = row * s.width; e < (row + 1) * s.width; ++e) {
      T acc = 0;
      for (int k = first[row]; k != s.rank; k += step)
        acc = decays[k * s.decays_pitch + e] * acc + values[k * s.values_pitch + e];
      out[e] = acc;
    }
  }
}

template void ring_fold_cpu<float>(const float*, const float*, const int32_t*, float*, RingFoldShape);
template void ring_fold_cpu<double>(const double*, const double*, const int32_t*, double*, RingFoldShape);

}  // namespace spindle::kernels
