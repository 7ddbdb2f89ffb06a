#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "platform/ops/convert.h"
#include "tests/gpu/backend_ops.h"
#include "tests/support/gpu.h"
#include "tests/support/tensors.h"

namespace spindle::testing {

Tensor Backend::input(const Shape& shape, uint64_t seed, double low, double high) const {
  return random_tensor(shape, activations, seed, low, high).to(device);
}
Tensor Backend::parameter(const Shape& shape, uint64_t seed, double low, double high) const {
  return random_tensor(shape, parameters, seed, low, high).to(device);
}
Tensor Backend::output(const Shape& shape) const { return poisoned(shape, activations, device); }
Tensor Backend::parameter_output(const Shape& shape) const { return poisoned(shape, parameters, device); }
Tensor Backend::parameter_gradient(const Shape& shape, uint64_t seed) const {
  return random_tensor(shape, parameters, seed).to(device);
}

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> cases;
  return cases;
}

namespace {

// Elements whose bits differ (their doubles compared: every activation type converts exactly).
int64_t differing_elements(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = to_doubles(a), y = to_doubles(b);
  if (x.size() != y.size()) return static_cast<int64_t>(std::max(x.size(), y.size()));
  int64_t count = 0;
  for (size_t i = 0; i < x.size(); ++i) count += std::memcmp(&x[i], &y[i], sizeof(double)) != 0;
  return count;
}

class BackendOps : public ::testing::TestWithParam<size_t> {};

TEST_P(BackendOps, GpuMatchesCpuReference) {
  SPINDLE_REQUIRE_GPUS(1);
  const OpCase& op = op_cases().at(GetParam());
  const auto reference = op.run(Backend{Device::cpu(), DType::f64, DType::f64});
  for (DType activations : {DType::f32, DType::bf16}) {
    const Backend gpu{Device::cuda(0), activations, DType::f32};
    const auto outputs = op.run(gpu);
    ASSERT_EQ(outputs.size(), reference.size());
    // Every sum runs in a fixed order, so a second run (into freshly poisoned outputs) gives
    // the same bits.
    const auto again = op.run(gpu);
    for (size_t i = 0; i < outputs.size(); ++i) {
      const double error = relative_error(outputs[i].second, reference[i].second);
      std::printf("  %-40s %-4s %-10s rel. error %.3e\n", op.name.c_str(), std::string(dtype_name(activations)).c_str(),
                  outputs[i].first.c_str(), error);
      EXPECT_LT(error, activations == DType::bf16 ? op.bf16_tolerance : 1e-4) << op.name << " " << dtype_name(activations) << " output "
                                               << outputs[i].first;
      EXPECT_EQ(differing_elements(again[i].second, outputs[i].second), 0)
          << op.name << " " << dtype_name(activations) << " output " << outputs[i].first << " differs between runs";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, BackendOps, ::testing::Range(size_t{0}, op_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return op_cases()[info.param].name; });

}  // namespace
}  // namespace spindle::testing
