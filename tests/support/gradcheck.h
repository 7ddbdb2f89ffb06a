// Finite-difference gradient checks in float64 on the CPU.
//
// The op under test computes outputs from inputs; the check uses the scalar loss
// L = sum(outputs * weights) for fixed random weights, so the output gradients the
// backward receives are the weights. For each input element x_i the central difference
// (L(x_i + h) - L(x_i - h)) / 2h is compared with the analytic gradient.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "platform/tensor.h"

namespace spindle::testing {

struct GradcheckInput {
  std::string name;
  Tensor* value;           // f64 host tensor, perturbed in place during the check
  const Tensor* gradient;  // analytic dL/d(value), f64 host tensor of the same shape
};

// loss(): recomputes L from the current input values. Checks every element of every input;
// tolerance is on |numeric - analytic| / max(1, |numeric|).
void expect_gradients_match(const std::function<double()>& loss, const std::vector<GradcheckInput>& inputs,
                            double step = 1e-6, double tolerance = 1e-6);

// sum(output * weights) over all elements (f64 host tensors).
double weighted_sum(const Tensor& output, const Tensor& weights);

}  // namespace spindle::testing
