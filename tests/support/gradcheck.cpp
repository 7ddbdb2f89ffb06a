#include "tests/support/gradcheck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace spindle::testing {

void expect_gradients_match(const std::function<double()>& loss, const std::vector<GradcheckInput>& inputs,
                            double step, double tolerance) {
  for (const GradcheckInput& input : inputs) {
    ASSERT_EQ(input.value->shape(), input.gradient->shape()) << input.name;
    double* values = input.value->data<double>();
    const double* analytic = input.gradient->data<double>();
    double worst = 0;
    int64_t worst_index = -1;
    for (int64_t i = 0; i < input.value->numel(); ++i) {
      const double saved = values[i];
      values[i] = saved + step;
      const double plus = loss();
      values[i] = saved - step;
      const double minus = loss();
      values[i] = saved;
      const double numeric = (plus - minus) / (2 * step);
      const double error = std::abs(numeric - analytic[i]) / std::max(1.0, std::abs(numeric));
      if (!(error <= worst)) {  // NaN counts as worst
        worst = std::isnan(error) ? INFINITY : error;
        worst_index = i;
      }
    }
    EXPECT_LE(worst, tolerance) << input.name << ": worst element " << worst_index << " of "
                                << input.value->describe();
  }
}

double weighted_sum(const Tensor& output, const Tensor& weights) {
  const double* o = output.data<double>();
  const double* w = weights.data<double>();
  double sum = 0;
  for (int64_t i = 0; i < output.numel(); ++i) sum += o[i] * w[i];
  return sum;
}

}  // namespace spindle::testing
