#include <gtest/gtest.h>

#include <cstdio>

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


class BackendOps : public ::testing::TestWithParam<size_t> {};

TEST_P(BackendOps, GpuMatchesCpuReference) {
  SPINDLE_REQUIRE_GPUS(1);
  const OpCase& op = op_cases().at(GetParam());
  const auto reference = op.run(Backend{Device::cpu(), DType::f64, DType::f64});
  for (DType activations : {DType::f32, DType::bf16}) {
    const auto outputs = op.run(Backend{Device::cuda(0), activations, DType::f32});
    ASSERT_EQ(outputs.size(), reference.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      const double error = relative_error(outputs[i].second, reference[i].second);
      std::printf("  %-40s %-4s %-10s rel. error %.3e\n", op.name.c_str(), std::string(dtype_name(activations)).c_str(),
                  outputs[i].first.c_str(), error);
      EXPECT_LT(error, activations == DType::bf16 ? op.bf16_tolerance : 1e-4) << op.name << " " << dtype_name(activations) << " output "
                                               << outputs[i].first;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, BackendOps, ::testing::Range(size_t{0}, op_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return op_cases()[info.param].name; });

}  // namespace
}  // namespace spindle::testing
