// Helpers for op tests: random host tensors, error norms, poisoned outputs.
#pragma once

#include <cstdint>

#include "platform/tensor.h"

namespace spindle::testing {

// A host tensor of `dtype` (f64, f32 or bf16) with values uniform in [low, high), drawn
// from the Philox stream `seed`.
Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed, double low = -1.0, double high = 1.0);

// ||actual - expected|| / ||expected|| over all elements (any device, f64/f32/bf16),
// infinity if either holds a NaN or an infinity. An all-zero expected compares absolute.
double relative_error(const Tensor& actual, const Tensor& expected);

// An uninitialized tensor filled with NaN (f64/f32/bf16), so unwritten elements show.
Tensor poisoned(const Shape& shape, DType dtype, Device device);

// Values as doubles (host copy).
std::vector<double> to_doubles(const Tensor& tensor);

}  // namespace spindle::testing
