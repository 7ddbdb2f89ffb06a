#include "kernels/column_sum.h"

namespace spindle::kernels {

template <typename T>
void column_sum_accumulate_cpu(const T* x, T* out, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) out[j] += x[i * cols + j];
  }
}

template void column_sum_accumulate_cpu<float>(const float*, float*, int64_t, int64_t);
template void column_sum_accumulate_cpu<double>(const double*, double*, int64_t, int64_t);

}  // namespace spindle::kernels
