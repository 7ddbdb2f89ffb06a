#include <algorithm>

#include "kernels/flip.h"

namespace spindle::kernels {

template <typename T>
void flip_cpu(const T* in, T* out, FlipShape shape) {
  for (int64_t o = 0; o < shape.outer; ++o) {
    for (int64_t t = 0; t < shape.length; ++t) {
      const T* from = in + (o * shape.length + (shape.length - 1 - t)) * shape.inner;
      std::copy(from, from + shape.inner, out + (o * shape.length + t) * shape.inner);
    }
  }
}

template void flip_cpu<float>(const float*, float*, FlipShape);
template void flip_cpu<double>(const double*, double*, FlipShape);

}  // namespace spindle::kernels
