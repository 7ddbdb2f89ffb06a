#include "tests/support/tensors.h"

#include <cmath>
#include <limits>

#include "platform/ops/convert.h"
#include "platform/random.h"

namespace spindle::testing {

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed, double low, double high) {
  Tensor unit = Tensor::empty(shape, DType::f32);
  RandomStream stream{seed, 0};
  fill_uniform(unit, stream);
  Tensor values = Tensor::empty(shape, DType::f64);
  const float* u = unit.data<float>();
  double* v = values.data<double>();
  for (int64_t i = 0; i < values.numel(); ++i) v[i] = low + (high - low) * u[i];
  return ops::converted(values, dtype);
}

std::vector<double> to_doubles(const Tensor& tensor) {
  return ops::converted(tensor.to(Device::cpu()).contiguous(), DType::f64).to_vector<double>();
}

double relative_error(const Tensor& actual, const Tensor& expected) {
  const std::vector<double> a = to_doubles(actual), e = to_doubles(expected);
  if (a.size() != e.size()) return std::numeric_limits<double>::infinity();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(e[i])) return std::numeric_limits<double>::infinity();
    diff += (a[i] - e[i]) * (a[i] - e[i]);
    norm += e[i] * e[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

Tensor poisoned(const Shape& shape, DType dtype, Device device) {
  Tensor nans = Tensor::empty(shape, DType::f64);
  double* v = nans.data<double>();
  for (int64_t i = 0; i < nans.numel(); ++i) v[i] = std::numeric_limits<double>::quiet_NaN();
  return ops::converted(nans, dtype).to(device);
}

}  // namespace spindle::testing
