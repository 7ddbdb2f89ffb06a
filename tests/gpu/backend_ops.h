// The backend-parity test: every op runs on the CPU (float64 reference) and on the GPU
// (float32 and bfloat16 activations) on the same random inputs, with GPU outputs poisoned
// (NaN) beforehand, and the outputs must agree: relative error < 1e-4 for f32 and < 1e-2
// for bf16 (a composite case may state its own bf16 bound), no NaN. A new op gets its check by registering one OpCase (one file per op
// under tests/gpu/cases/).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "platform/tensor.h"

namespace spindle::testing {

// Where and in which types a case runs, and how it makes its tensors. The same seeds give
// the same values on every backend (rounded to the backend's dtype).
struct Backend {
  Device device;
  DType activations;  // f64 on the CPU reference; f32 or bf16 on the GPU
  DType parameters;   // f64 on the CPU reference; f32 on the GPU

  Tensor input(const Shape& shape, uint64_t seed, double low = -1, double high = 1) const;
  Tensor parameter(const Shape& shape, uint64_t seed, double low = -1, double high = 1) const;
  // NaN-filled activations for the op to overwrite.
  Tensor output(const Shape& shape) const;
  // Accumulated (+=) parameter gradients start from random values, not zero, so that the
  // check also covers "adds to" rather than "overwrites".
  Tensor parameter_gradient(const Shape& shape, uint64_t seed) const;
  // NaN-filled tensor of the parameter dtype, for outputs kept in float32 on the GPU (states).
  Tensor parameter_output(const Shape& shape) const;
};

struct OpCase {
  std::string name;
  // Runs the op and returns its outputs (on backend.device), named for the report.
  std::function<std::vector<std::pair<std::string, Tensor>>(const Backend& backend)> run;
  // Relative error allowed for bf16 activations. An op gets 1e-2; only a composite of
  // many ops (a whole model, whose gradients pass through dozens of bf16 roundings) may
  // state a larger one, with its reason.
  double bf16_tolerance = 1e-2;
};

// Cases register themselves at static initialization.
std::vector<OpCase>& op_cases();
struct RegisterOpCase {
  explicit RegisterOpCase(OpCase c) { op_cases().push_back(std::move(c)); }
};

}  // namespace spindle::testing
