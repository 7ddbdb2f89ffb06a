#include "kernels/convert.h"

namespace spindle::kernels {
namespace {

template <typename T> double to_double(T v) { return static_cast<double>(v); }
template <> double to_double(bfloat16 v) { return bf16_to_float(v); }
template <typename T> T from_double(double v) { return static_cast<T>(v); }
template <> bfloat16 from_double(double v) { return float_to_bf16(static_cast<float>(v)); }

}  // namespace

template <typename From, typename To>
void convert_cpu(const From* src, To* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = from_double<To>(to_double(src[i]));
}

#define SPINDLE_INSTANTIATE(From, To) template void convert_cpu<From, To>(const From*, To*, int64_t);
SPINDLE_INSTANTIATE(double, float)
SPINDLE_INSTANTIATE(double, bfloat16)
SPINDLE_INSTANTIATE(float, double)
SPINDLE_INSTANTIATE(float, bfloat16)
SPINDLE_INSTANTIATE(bfloat16, double)
SPINDLE_INSTANTIATE(bfloat16, float)
#undef SPINDLE_INSTANTIATE

}  // namespace spindle::kernels
